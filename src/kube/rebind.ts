/**
 * The re-bind guard: what must be true on the control plane before a
 * konnector starts on an App Cluster, so that starting it deletes nothing.
 *
 * v1.4.0's konnector deletes a claim on the control plane that carries its
 * BOUND_ANNOTATION when the App Cluster has no copy of it ("Deleting upstream
 * object because downstream is gone"), and an APIServiceNamespace whose
 * namespace the App Cluster lacks (the backend then deletes the namespace with
 * its claims). Both are right while one App Cluster lives; both destroy data
 * when an App Cluster vanished without unbind and the same clusterID is bound
 * onto a new, empty one (ephemeral CI clusters, a re-run Terraform apply).
 *
 * So, for the binding of the provider kubeconfig the manifest carries, before
 * the konnector is applied: every APIServiceNamespace of the binding (status
 * namespace `<cluster-ns>-*` only) gets its namespace on the App Cluster, and
 * every marked claim whose copy the App Cluster lacks loses the mark (as
 * unbind does). The konnector then copies those claims to the App Cluster
 * instead of deleting them. On the healthy App Cluster that holds every copy
 * nothing changes. Only the binding's own namespaces are read or patched.
 */
import type { ApplyObject } from './apply.ts';
import {
  KONNECTOR_NAME,
  KONNECTOR_NS,
  KUBECONFIG_SECRET,
  boundResource,
  inBinding,
  isMarkedBound,
  listClaims,
  serviceNamespaceOf,
  unmarkBound,
  type BoundResource,
} from './binding-objects.ts';
import type { ObjectClient } from './objects.ts';
import { KINDS } from './resources.ts';

export interface RebindGuard {
  /** App Cluster namespaces the binding's APIServiceNamespaces need and the App Cluster lacks: applied before the
   * konnector. */
  namespaces: string[];
  /** Claims unmarked (or, dry run, that would be), as `<resource> <namespace>/<name>`. */
  unmarked: string[];
}

/** Reads the binding on both clusters and unmarks (dryRun: server-side dry run) the claims the konnector would delete.
 * */
export async function guardRebind(
  cp: ObjectClient,
  app: ObjectClient,
  clusterNamespace: string,
  opts: { dryRun: boolean },
): Promise<RebindGuard> {
  const ns = clusterNamespace;
  const resources = ((await cp.list(KINDS.export, ns)) ?? [])
    .map(boundResource)
    .filter((r): r is BoundResource => r !== undefined);
  const out: RebindGuard = { namespaces: [], unmarked: [] };
  for (const sns of (await cp.list(KINDS.serviceNamespace, ns)) ?? []) {
    const target = serviceNamespaceOf(sns);
    const appNs = sns.metadata?.name ?? '';
    // Only the binding's own namespaces; an APIServiceNamespace pointing elsewhere is none of its claims.
    if (!target || !appNs || !inBinding(ns, target)) continue;
    if (!(await app.get(KINDS.namespace, appNs))) out.namespaces.push(appNs);
    for (const group of await listClaims(cp, resources, [target])) {
      for (const claim of group.items) {
        if (!isMarkedBound(claim) || claim.metadata?.deletionTimestamp) continue;
        const name = claim.metadata?.name ?? '';
        // get: undefined also when the App Cluster does not serve the kind yet (no bound CRD): no copy.
        if (await app.get(group.resource.kind, name, appNs)) continue;
        if ((await unmarkBound(cp, group.resource.kind, name, target, opts.dryRun)) === 'patched')
          out.unmarked.push(`${group.resource.name} ${target}/${name}`);
      }
    }
  }
  return out;
}

/**
 * The provider kubeconfig of a manifest that starts a konnector (all.yaml:
 * Deployment and Secret `kubeconfig` in klutch-bind), decoded; undefined for
 * any other manifest.
 */
export function konnectorKubeconfig(objects: readonly ApplyObject[]): string | undefined {
  const at = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === KONNECTOR_NS);
  const secret = at('Secret', KUBECONFIG_SECRET);
  if (!at('Deployment', KONNECTOR_NAME) || !secret) return undefined;
  const data = (secret.data ?? {}) as Record<string, unknown>;
  const plain = (secret.stringData ?? {}) as Record<string, unknown>;
  if (typeof plain[KUBECONFIG_SECRET] === 'string') return plain[KUBECONFIG_SECRET];
  return typeof data[KUBECONFIG_SECRET] === 'string'
    ? Buffer.from(data[KUBECONFIG_SECRET], 'base64').toString('utf8')
    : undefined;
}
