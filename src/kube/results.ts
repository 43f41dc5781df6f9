/**
 * The shapes of what the Kubernetes steps hand back, as types only (no imports), so that the library's
 * declarations (src/index.ts) reach them without reaching the transport (undici). Their one home:
 * kube/apply.ts, kube/namespaces.ts and flows/bootstrap-env.ts use them from here.
 */

/** A Kubernetes object of a manifest (all.yaml). */
export interface ApplyObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** What server-side apply did to one object, as kubectl names it: new, changed (new resourceVersion) or not. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** One object server-side apply accepted: its phase (1: Namespaces and CRDs, 2: the rest), outcome (none in a dry run).
 * */
export interface AppliedItem {
  apiVersion?: string | undefined;
  kind: string;
  name: string;
  namespace?: string | undefined;
  phase: 1 | 2;
  outcome?: ApplyAction | undefined;
}

/** One object a server-side dry run could not validate, and why (its CRD or namespace is new in the manifest). */
export interface NotValidatedItem {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  reason: 'new-crd' | 'new-namespace';
}

/** What apply did: each object applied; in a dry run also those the API server could not validate. */
export interface ApplyResult {
  applied: AppliedItem[];
  /** Dry run only: the objects the API server could not validate. */
  notValidated?: NotValidatedItem[] | undefined;
}

/** A namespace created in a binding. */
export interface NamespaceResult {
  /** The App Cluster namespace name (the -n argument). */
  name: string;
  /** The namespace on the control plane (status.namespace). */
  namespace: string;
  clusterNamespace: string;
  created: boolean;
  /** A konnector was connected to the binding (and kept the APIServiceNamespace). */
  konnectorConnected: boolean;
}

/** An export request: created, found equivalent (reused) or recreated after a Failed/different one (replaced). */
export type ExportRequestAction = 'created' | 'reused' | 'replaced';

/** An export request of a binding: its action; Succeeded once waited for (the wait fails otherwise), else unknown. */
export interface ExportRequestState {
  name: string;
  action: ExportRequestAction;
  phase: 'Succeeded' | 'unknown';
}
