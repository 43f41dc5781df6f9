/**
 * create-ns: an APIServiceNamespace in the cluster namespace, and a bounded
 * wait until the backend reports the control-plane namespace it made for it
 * and lets the binding's identity create claims there.
 */
import { DeletedError } from '../errors.ts';
import { log } from '../log.ts';
import { sleep } from '../retry.ts';
import { boundResource, type BoundResource } from './binding-objects.ts';
import type { ControlPlane } from './client.ts';
import { mayI } from './objects.ts';
import { KINDS, type KObject } from './resources.ts';
import { isStatus } from './transport.ts';
import { formatAge, heartbeatOf, type Heartbeat } from './heartbeat.ts';
import { waitUntil } from './wait.ts';

const SERVICE_NAMESPACES = KINDS.serviceNamespace;
/** How long a connected konnector gets to delete a new APIServiceNamespace (it reacts within milliseconds). */
const KONNECTOR_SETTLE_MS = 3000;

import type { NamespaceResult } from './results.ts';

export type { NamespaceResult };

/**
 * The binding's konnector, if one is connected (fresh ClusterBinding
 * heartbeat). A read the kubeconfig may not make, or that fails, says
 * nothing: undefined.
 */
export async function connectedKonnector(cp: ControlPlane, now = Date.now()): Promise<Heartbeat | undefined> {
  try {
    const hb = heartbeatOf(await cp.peek(KINDS.clusterBinding, 'cluster'), now);
    return hb.fresh ? hb : undefined;
  } catch (err) {
    log.debug(
      `cannot read ClusterBinding ${cp.namespace}/cluster to see whether a konnector is connected: ` +
        `${(err as Error).message}`,
    );
    return undefined;
  }
}

/**
 * Creates the APIServiceNamespace (AlreadyExists is fine) and waits for
 * status.namespace. If it disappears during the wait, that is final
 * (DeletedError, exit 10): a connected konnector deletes every
 * APIServiceNamespace whose namespace does not exist on its App Cluster.
 */
export async function ensureServiceNamespace(
  cp: ControlPlane,
  name: string,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<NamespaceResult> {
  const start = Date.now();
  const konnector = await connectedKonnector(cp);
  const fix =
    `create namespace ${JSON.stringify(name)} on the App Cluster (kubectl create namespace ${name}); its ` +
    `konnector then creates the APIServiceNamespace itself, and create-ns is not needed`;
  if (konnector) {
    log.warn(
      `a konnector${konnector.konnectorVersion ? ` ${konnector.konnectorVersion}` : ''} is connected to this ` +
        `binding (ClusterBinding ${cp.namespace}/cluster heartbeat ${formatAge(konnector.ageMs!)} ago): unless ` +
        `namespace ${JSON.stringify(name)} exists on its App Cluster, it deletes this APIServiceNamespace at ` +
        `once; ${fix}`,
    );
  }
  // Not deleted, nor being deleted (the example-backend's finalizer first removes the control-plane namespace).
  const alive = (obj: KObject | undefined): obj is KObject => obj !== undefined && !obj.metadata?.deletionTimestamp;
  const deleted = () =>
    new DeletedError(
      'HELPER_NAMESPACE_DELETED',
      konnector
        ? `APIServiceNamespace ${cp.namespace}/${name} was deleted (or is being deleted) while helper waited: ` +
            `the App Cluster's konnector (connected to this binding) deletes it because namespace ` +
            `${JSON.stringify(name)} does not exist on the App Cluster`
        : `APIServiceNamespace ${cp.namespace}/${name} was deleted (or is being deleted) while helper waited; ` +
            `the usual cause is the App Cluster's konnector, which deletes every APIServiceNamespace whose ` +
            `namespace does not exist on the App Cluster`,
      { hint: fix },
    );
  let created = true;
  try {
    await cp.create(SERVICE_NAMESPACES, {
      apiVersion: SERVICE_NAMESPACES.apiVersion,
      kind: SERVICE_NAMESPACES.kind,
      metadata: { name, namespace: cp.namespace },
      spec: {},
    });
    log.info(`APIServiceNamespace ${cp.namespace}/${name} created`);
  } catch (err) {
    if (!isStatus(err, 409)) throw err;
    created = false;
    log.info(`APIServiceNamespace ${cp.namespace}/${name} already exists`);
  }
  const namespace = await waitUntil({
    what: `APIServiceNamespace ${cp.namespace}/${name} to report status.namespace`,
    get: () => cp.peek(SERVICE_NAMESPACES, name),
    check: (obj) => {
      if (!alive(obj)) throw deleted();
      const ns = obj.status?.namespace;
      if (typeof ns === 'string' && ns) return { done: true, value: ns };
      return { done: false, seen: 'status.namespace not set yet (is the backend running?)' };
    },
    timeoutMs: opts.timeoutMs,
    intervalMs: 5000,
    fallbackIntervalMs: 500,
    watch: cp.watch(SERVICE_NAMESPACES, name),
    signal: opts.signal,
    onProgress: (seen) => log.debug(`APIServiceNamespace ${name}: ${seen}`),
  });
  // A connected konnector deletes the APIServiceNamespace within milliseconds
  // when the namespace is absent on its App Cluster, but the example-backend
  // may set status.namespace first: make sure it survives that reaction time.
  if (konnector) {
    log.info(
      `a konnector is connected: checking for ${KONNECTOR_SETTLE_MS / 1000}s that it keeps ` +
        `APIServiceNamespace ${cp.namespace}/${name}`,
    );
    const until = Date.now() + KONNECTOR_SETTLE_MS;
    while (Date.now() < until) {
      await sleep(250, opts.signal);
      const obj = await cp.peek(SERVICE_NAMESPACES, name);
      if (!alive(obj)) throw deleted();
    }
  }
  await waitForClaimAccess(cp, namespace, { deadline: start + opts.timeoutMs, signal: opts.signal });
  return { name, namespace, clusterNamespace: cp.namespace, created, konnectorConnected: konnector !== undefined };
}

/**
 * Waits until the kubeconfig's identity may create every exported resource
 * in the new namespace, so that a claim made right after create-ns is not
 * refused. The example-backend grants them there by a RoleBinding to
 * ClusterRole klutch-binder-<cluster namespace>, whose rules follow the
 * APIServiceExports in a reconcile of their own: just after a bind, that
 * ClusterRole can lack the newest export for a moment. Exports the identity
 * may not list, or none at all, leave nothing to wait for.
 */
async function waitForClaimAccess(
  cp: ControlPlane,
  namespace: string,
  opts: { deadline: number; signal?: AbortSignal | undefined },
): Promise<void> {
  let exports: KObject[] | undefined;
  try {
    exports = await cp.list(KINDS.export);
  } catch (err) {
    log.debug(
      `cannot list the APIServiceExports of ${cp.namespace} to check access in ${namespace}: ${(err as Error).message}`,
    );
    return;
  }
  const resources = (exports ?? []).map(boundResource).filter((r): r is BoundResource => r?.namespaced === true);
  if (!resources.length) return;
  const names = resources.map((r) => (r.group ? `${r.plural}.${r.group}` : r.plural));
  await waitUntil<void, string[]>({
    what: `the kubeconfig's identity to be allowed to create ${names.join(', ')} in namespace ${namespace}`,
    get: async () => {
      const allowed = await Promise.all(
        resources.map((r) => mayI(cp.client, { verb: 'create', group: r.group, resource: r.plural, namespace })),
      );
      return names.filter((_, i) => !allowed[i]);
    },
    check: (denied) =>
      denied?.length
        ? {
            done: false,
            seen:
              `not allowed yet: ${denied.join(', ')} (the backend has not yet granted them through ClusterRole ` +
              `klutch-binder-${cp.namespace})`,
          }
        : { done: true, value: undefined },
    timeoutMs: Math.max(0, opts.deadline - Date.now()),
    intervalMs: 250,
    fallbackIntervalMs: 250,
    signal: opts.signal,
    onProgress: (seen) => log.debug(`access in ${namespace}: ${seen}`),
  });
}
