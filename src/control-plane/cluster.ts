/**
 * Reads of the Control Plane Cluster for apply's pre-flight and for check:
 * any kind by apiVersion/kind, each call bounded by a timeout and the run's
 * signal. A 404 is "absent" (undefined); every other failure is a
 * ClusterError that names the object and the host.
 */
import * as k8s from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { hostOf } from '../http.ts';
import { apiFailure, type KObject } from '../kube/client.ts';

export class Reader {
  readonly host: string;
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(kc: k8s.KubeConfig, opts: { timeoutMs?: number; signal?: AbortSignal | undefined } = {}) {
    this.host = hostOf(kc.getCurrentCluster()?.server ?? '');
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.signal = opts.signal;
  }

  /** The object, or undefined when it does not exist. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KObject | undefined> {
    const what = `read ${kind} ${namespace ? `${namespace}/` : ''}${name}`;
    return this.bounded(what, async () => {
      try {
        return (await this.objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } })) as KObject;
      } catch (err) {
        if (apiFailure(err).status === 404) return undefined;
        throw err;
      }
    });
  }

  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KObject[]> {
    const what = `list ${kind}${namespace ? ` in namespace ${namespace}` : ''}`;
    return this.bounded(what, async () => {
      const r = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      return r.items as KObject[];
    });
  }

  crd(name: string): Promise<KObject | undefined> {
    return this.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name);
  }

  private async bounded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const signal = this.signal;
    if (signal?.aborted) throw signal.reason;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterError('HELPER_CLUSTER_TIMEOUT', `control plane ${this.host} did not answer (${what}) within ${Math.round(this.timeoutMs / 1000)}s`)), this.timeoutMs);
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), limit]);
    } catch (err) {
      if (err instanceof ClusterError || signal?.aborted) throw err;
      const f = apiFailure(err);
      if (f.status === 403) throw new ClusterError('HELPER_CLUSTER_FORBIDDEN', `control plane ${this.host} refused to ${what} (403 Forbidden): ${f.message}`, { status: 403, hint: 'control-plane apply and check need a cluster-admin kubeconfig' });
      if (f.status === 401) throw new ClusterError('HELPER_CLUSTER_UNAUTHORIZED', `control plane ${this.host} did not accept the kubeconfig's credentials (401) to ${what}`, { status: 401 });
      throw new ClusterError(f.status ? 'HELPER_CLUSTER_STATUS' : 'HELPER_CLUSTER_UNREACHABLE', `${f.status ? `control plane ${this.host} failed to ${what}: HTTP ${f.status}` : `cannot reach control plane ${this.host} to ${what}`}: ${f.message}`, { status: f.status });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}

export type Condition = { type?: string; status?: string; reason?: string; message?: string };

export function conditionsOf(o: KObject | undefined): Condition[] {
  const c = (o?.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

export function isEstablished(crd: KObject | undefined): boolean {
  return conditionsOf(crd).some((c) => c.type === 'Established' && c.status === 'True');
}
