/**
 * The shapes helper reads: binding.json (schemas/binding.schema.json) and the
 * backend's BindingResponse (schemas/binding-response.schema.json). The
 * schemas are the contract; these types describe what a value that passed
 * them looks like. Objects the backend sends keep unknown fields (index
 * signatures) because they are forwarded to Kubernetes unchanged.
 */

/** One API to bind, as a Kubernetes GroupResource ("" is the core group). */
export interface BindingApi {
  group: string;
  resource: string;
}

/** binding.json: the input of bootstrap-env, POSTed to the backend as is. */
export interface Binding {
  clusterID: string;
  apis: BindingApi[];
}

/**
 * A permission claim of an exported resource. Only resource and version are
 * required; every other field (selector, read, update, ...) is copied to the
 * APIServiceBinding verbatim.
 */
export interface PermissionClaim {
  group?: string;
  resource: string;
  version: string;
  required?: boolean;
  selector?: { owner?: 'Provider' | 'Consumer'; [key: string]: unknown };
  state?: 'Accepted' | 'Rejected';
  [key: string]: unknown;
}

/** One resource of an APIServiceExportRequest; a missing group means the core group. */
export interface ExportResource {
  group?: string;
  resource: string;
  versions?: string[];
  permissionClaims?: PermissionClaim[];
  [key: string]: unknown;
}

/** An APIServiceExportRequest as the backend returns it (to be created on the control plane). */
export interface ExportRequest {
  apiVersion: 'klutch.anynines.com/v1alpha1';
  kind: 'APIServiceExportRequest';
  metadata?: { name?: string; [key: string]: unknown };
  spec: {
    resources: ExportResource[];
    parameters?: Record<string, unknown>;
    [key: string]: unknown;
  };
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The backend's 200 body for POST /bind-noninteractive. */
export interface BindingResponse {
  apiVersion: 'klutch.anynines.com/v1alpha1';
  kind: 'BindingResponse';
  authentication?: Record<string, unknown>;
  /** Standard base64 (with padding) of the provider kubeconfig YAML. */
  kubeconfig: string;
  requests: ExportRequest[];
  [key: string]: unknown;
}
