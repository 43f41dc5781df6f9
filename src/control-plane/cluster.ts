/**
 * Reads of the Control Plane Cluster for apply's pre-flight and for check:
 * any kind by apiVersion/kind, each call through callApi (bounded by a
 * timeout and the run's signal, passing failures retried). A 404 is "absent"
 * (undefined); every other failure is a ClusterError that names the object
 * and the host.
 */
import * as k8s from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { hostOf } from '../http.ts';
import { apiFailure, callApi, type CallPolicy, type KObject } from '../kube/client.ts';

export class Reader {
  readonly host: string;
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly policy: CallPolicy;

  constructor(kc: k8s.KubeConfig, opts: { timeoutMs?: number | undefined; attempts?: number | undefined; signal?: AbortSignal | undefined } = {}) {
    this.host = hostOf(kc.getCurrentCluster()?.server ?? '');
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.policy = { timeoutMs: opts.timeoutMs ?? 30_000, attempts: opts.attempts ?? 4, signal: opts.signal };
  }

  /** The object, or undefined when it does not exist. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KObject | undefined> {
    return this.call(`read ${kind} ${namespace ? `${namespace}/` : ''}${name}`, async () => {
      try {
        const o = await this.objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as unknown;
        // The client library takes any 2xx as success, even an HTML page from a proxy.
        if (!isObject(o) || (o as KObject).metadata?.name !== name) throw new SyntaxError(`the answer is not the ${kind} ${name}`);
        return plain(o as KObject, kind);
      } catch (err) {
        if (apiFailure(err).status === 404) return undefined;
        throw err;
      }
    });
  }

  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KObject[]> {
    return this.call(`list ${kind}${namespace ? ` in namespace ${namespace}` : ''}`, async () => {
      const r = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector) as unknown;
      if (!isObject(r) || !Array.isArray((r as { items?: unknown }).items)) throw new SyntaxError(`the answer is not a ${kind} list`);
      return (r as { items: KObject[] }).items.map((o) => plain(o, kind));
    });
  }

  /** Deletes an object; absent already is fine. */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    return this.call(`delete ${kind} ${namespace ? `${namespace}/` : ''}${name}`, async () => {
      try {
        await this.objects.delete({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
      } catch (err) {
        if (apiFailure(err).status !== 404) throw err;
      }
    });
  }

  crd(name: string): Promise<KObject | undefined> {
    return this.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name);
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return callApi({ server: `control plane ${this.host}`, action, forbiddenHint: 'control-plane apply and check need a cluster-admin kubeconfig' }, this.policy, fn);
  }
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An object with the API's own field names. The client library hands a CRD
 * back in its model's shape (`_enum`, `xKubernetesValidations`, ...), which
 * would not compare with what render writes.
 */
function plain(o: KObject, kind: string): KObject {
  return kind === 'CustomResourceDefinition' ? ObjectSerializer.serialize(o, 'V1CustomResourceDefinition', '') as KObject : o;
}

export { conditionsOf, isEstablished, type Condition } from '../kube/conditions.ts';
