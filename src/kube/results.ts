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

/** What apply did: each object, its phase (1: Namespaces and CRDs, 2: the rest) and outcome (none in a dry run). */
export interface ApplyResult {
  applied: Array<{
    kind: string;
    name: string;
    namespace?: string | undefined;
    phase: 1 | 2;
    outcome?: ApplyAction | undefined;
  }>;
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
