/**
 * The objects one binding consists of, on both clusters, and how status and
 * unbind find them (protocol.md §4-§7; klutchio v1.4.0):
 *
 * control plane, cluster namespace <ns>: Namespace <ns>, ClusterBinding
 *   `cluster` (the konnector's heartbeat), APIServiceExportRequests,
 *   APIServiceExports (one per bound resource, `<plural>.<group>`),
 *   APIServiceNamespaces (status.namespace = `<ns>-<name>`, where the claims live);
 * App Cluster: Namespace klutch-bind with the konnector Deployment, its
 *   ServiceAccount and the kubeconfig Secret, ClusterRole and
 *   ClusterRoleBinding klutch-bind-konnector, one APIServiceBinding per bound
 *   resource (cluster-scoped in v1.4.0) and the bound CRDs the konnector
 *   creates (owned by their APIServiceBinding).
 */
import { conditionsOf, type Condition } from './conditions.ts';
import type { ObjectClient } from './objects.ts';
import { KLUTCH_GROUP, type KObject, type Kind } from './resources.ts';

export const KONNECTOR_NS = 'klutch-bind';
export const KONNECTOR_NAME = 'konnector';
export const KONNECTOR_RBAC = 'klutch-bind-konnector';
export const KUBECONFIG_SECRET = 'kubeconfig';
export const CLUSTER_BINDING = 'cluster';
/** Set by the konnector on objects it synced; with it, a konnector deletes the control-plane object once the App
 * Cluster's copy is gone (v1.4.0 status controller). */
export const BOUND_ANNOTATION = 'klutch.anynines.com/bound';
/** The konnector's finalizer on App Cluster objects it synced up (v1.4.0 DownstreamFinalizer). */
export const SYNCER_FINALIZER = 'klutch.anynines.com/syncer';

/**
 * Set by unbind on a bound CRD, just before the orphaning delete of the
 * APIServiceBinding that owns it removes that ownerReference: the cluster
 * namespace of the binding it belonged to. Only someone who may write CRDs on
 * the App Cluster can set it (never the backend), so a later
 * `unbind --delete-crds` takes it as proof that the orphaned CRD was this
 * binding's.
 */
export const ORPHANED_FROM_ANNOTATION = 'helper.klutch.anynines.com/orphaned-from';

/**
 * Whether a CRD on the App Cluster is provably this binding's, and why not:
 * owned (name and uid, as v1.4.0's konnector sets and checks it) by this
 * konnector's APIServiceBinding (isOurBinding) of the CRD's own name; or,
 * owned by no APIServiceBinding that exists, annotated by an earlier unbind
 * of this cluster namespace (ORPHANED_FROM_ANNOTATION). `bindings`: every
 * APIServiceBinding on the App Cluster.
 */
export function crdOwnership(
  crd: KObject,
  bindings: KObject[],
  clusterNamespace: string,
): { owner: 'binding' | 'orphaned'; binding?: KObject } | { owner: undefined; why: string } {
  const name = crd.metadata?.name ?? '';
  const refs = (Array.isArray(crd.metadata?.ownerReferences) ? crd.metadata!.ownerReferences : []) as Array<{
    apiVersion?: unknown;
    kind?: unknown;
    name?: unknown;
    uid?: unknown;
  }>;
  const bindingRefs = refs.filter(
    (r) =>
      typeof r.apiVersion === 'string' && r.apiVersion.split('/')[0] === KLUTCH_GROUP && r.kind === 'APIServiceBinding',
  );
  const ours = bindings.find((b) => b.metadata?.name === name && isOurBinding(b));
  if (ours?.metadata?.uid && bindingRefs.some((r) => r.name === name && r.uid === ours.metadata!.uid))
    return { owner: 'binding', binding: ours };
  const owners = bindings.filter((b) => b.metadata?.uid && bindingRefs.some((r) => r.uid === b.metadata!.uid));
  if (owners.length)
    return {
      owner: undefined,
      why:
        `it is owned by ${owners.map((b) => `APIServiceBinding ${b.metadata?.name ?? ''}`).join(', ')}, which ` +
        `is not this binding's APIServiceBinding of that name`,
    };
  const ann = crd.metadata?.annotations as Record<string, unknown> | undefined;
  if (ann?.[ORPHANED_FROM_ANNOTATION] === clusterNamespace) return { owner: 'orphaned' };
  return {
    owner: undefined,
    why:
      'no APIServiceBinding of this binding owns it' +
      (ann?.[ORPHANED_FROM_ANNOTATION] !== undefined
        ? `, and its ${ORPHANED_FROM_ANNOTATION} names another binding (${String(ann[ORPHANED_FROM_ANNOTATION])})`
        : `, and no unbind of ${clusterNamespace} recorded it (${ORPHANED_FROM_ANNOTATION})`),
  };
}

/** A bound resource as its APIServiceExport describes it. */
export interface BoundResource {
  /** The export's (and APIServiceBinding's and CRD's) name, `<plural>.<group>`. */
  name: string;
  /** The API group ('' for the core group). */
  group: string;
  kind: Kind;
  plural: string;
  namespaced: boolean;
}

/** What an APIServiceExport says about its resource; undefined when its spec is unusable. */
export function boundResource(exp: KObject): BoundResource | undefined {
  const s = (exp.spec ?? {}) as {
    group?: unknown;
    names?: { plural?: unknown; kind?: unknown };
    versions?: Array<{ name?: unknown; served?: unknown }>;
    scope?: unknown;
  };
  const versions = Array.isArray(s.versions) ? s.versions : [];
  const served =
    versions.find((v) => v.served !== false && typeof v.name === 'string') ??
    versions.find((v) => typeof v.name === 'string');
  if (typeof s.names?.plural !== 'string' || typeof s.names.kind !== 'string' || typeof served?.name !== 'string')
    return undefined;
  const group = typeof s.group === 'string' ? s.group : '';
  return {
    name: exp.metadata?.name ?? '',
    group,
    kind: { apiVersion: group ? `${group}/${served.name}` : served.name, kind: s.names.kind },
    plural: s.names.plural,
    namespaced: s.scope !== 'Cluster',
  };
}

/** The namespace an APIServiceNamespace stands for on the control plane, when set. */
export function serviceNamespaceOf(sns: KObject): string | undefined {
  const ns = sns.status?.namespace;
  return typeof ns === 'string' && ns ? ns : undefined;
}

/** Only `<cluster-ns>-*` namespaces belong to the binding; anything else is never touched. */
export function inBinding(clusterNamespace: string, namespace: string): boolean {
  return namespace.startsWith(`${clusterNamespace}-`) && namespace.length > clusterNamespace.length + 1;
}

/** APIServiceBindings of this konnector: those whose kubeconfigSecretRef is klutch-bind/kubeconfig. */
export function isOurBinding(b: KObject): boolean {
  const r = (b.spec?.kubeconfigSecretRef ?? {}) as { name?: unknown; namespace?: unknown };
  return r.name === KUBECONFIG_SECRET && (r.namespace === undefined || r.namespace === KONNECTOR_NS);
}

/** True when the konnector marked the object as synced (see BOUND_ANNOTATION). */
export function isMarkedBound(obj: KObject): boolean {
  const ann = obj.metadata?.annotations;
  return typeof ann === 'object' && ann !== null && (ann as Record<string, unknown>)[BOUND_ANNOTATION] !== undefined;
}

/** The condition of a type, if the object has it. */
export function conditionOf(obj: KObject | undefined, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c?.type === type);
}

/** Every claim (object of a bound resource) in the binding's namespaces, per resource and namespace. */
export interface ClaimGroup {
  resource: BoundResource;
  namespace: string;
  items: KObject[];
}

/** Lists the claims of every namespaced bound resource in every given namespace. 403s propagate (callers name them). */
export async function listClaims(
  cp: ObjectClient,
  resources: BoundResource[],
  namespaces: string[],
): Promise<ClaimGroup[]> {
  const out: ClaimGroup[] = [];
  for (const resource of resources.filter((r) => r.namespaced)) {
    for (const namespace of namespaces) {
      const items = (await cp.list(resource.kind, namespace)) ?? [];
      out.push({ resource, namespace, items });
    }
  }
  return out;
}

/** Removes the konnector's BOUND_ANNOTATION from a claim on the control plane (unbind, and apply's re-bind guard). */
export function unmarkBound(
  cp: ObjectClient,
  kind: Kind,
  name: string,
  namespace: string,
  dryRun: boolean,
): Promise<'patched' | 'gone'> {
  return cp.mergePatch(kind, name, namespace, { metadata: { annotations: { [BOUND_ANNOTATION]: null } } }, { dryRun });
}

/** A duration for humans: `45s`, `3m12s`, `2h5m`, `3d4h`. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
}
