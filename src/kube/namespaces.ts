/**
 * create-ns: an APIServiceNamespace in the cluster namespace, and a bounded
 * wait until the backend reports the control-plane namespace it made for it.
 */
import { log } from '../log.ts';
import { isStatus, type ControlPlane } from './client.ts';
import { waitUntil } from './wait.ts';

const PLURAL = 'apiservicenamespaces';

export interface NamespaceResult {
  /** The App Cluster namespace name (the -n argument). */
  name: string;
  /** The namespace on the control plane (status.namespace). */
  namespace: string;
  clusterNamespace: string;
  created: boolean;
}

/** Creates the APIServiceNamespace (AlreadyExists is fine) and waits for status.namespace. */
export async function ensureServiceNamespace(cp: ControlPlane, name: string, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<NamespaceResult> {
  let created = true;
  try {
    await cp.create(PLURAL, {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceNamespace',
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
    get: () => cp.peek(PLURAL, name),
    check: (obj) => {
      if (!obj) return { done: false, seen: 'the APIServiceNamespace does not exist (deleted by someone else?)' };
      const ns = obj.status?.namespace;
      if (typeof ns === 'string' && ns) return { done: true, value: ns };
      return { done: false, seen: obj.metadata?.deletionTimestamp ? 'being deleted' : 'status.namespace not set yet (is the backend running?)' };
    },
    timeoutMs: opts.timeoutMs,
    intervalMs: 5000,
    fallbackIntervalMs: 500,
    watch: { kc: cp.kc, collectionPath: cp.collectionPath(PLURAL), name },
    signal: opts.signal,
    onProgress: (seen) => log.debug(`APIServiceNamespace ${name}: ${seen}`),
  });
  return { name, namespace, clusterNamespace: cp.namespace, created };
}
