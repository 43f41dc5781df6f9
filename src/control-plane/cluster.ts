/**
 * Reads of the Control Plane Cluster for apply's pre-flight, check and
 * adopt, by apiVersion/kind: a thin view of the one Kubernetes client
 * (kube/client.ts), kept until check.ts, adopt.ts and control-plane/apply.ts
 * take the ObjectClient itself. A 404 is "absent" (undefined); every other
 * failure is a ClusterError that names the object and the host.
 */
import type { KObject, KubeClient } from '../kube/client.ts';

const HINT = 'control-plane apply and check need a cluster-admin kubeconfig';

export class Reader {
  readonly host: string;
  private readonly client: KubeClient;

  constructor(client: KubeClient, _opts?: unknown) {
    this.client = client;
    this.host = client.host;
  }

  private label(action: string) {
    return { server: `control plane ${this.host}`, action, forbiddenHint: HINT };
  }

  /** The object, or undefined when it does not exist. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KObject | undefined> {
    return this.client.get({ apiVersion, kind }, name, namespace, { label: this.label(`read ${kind} ${namespace ? `${namespace}/` : ''}${name}`) });
  }

  /** Every object of the kind (none when the kind is not served). */
  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KObject[]> {
    return (await this.client.list({ apiVersion, kind }, namespace, labelSelector ? { labelSelector } : {})) ?? [];
  }

  /** Deletes an object; absent already is fine. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    await this.client.delete({ apiVersion, kind }, name, namespace, { label: this.label(`delete ${kind} ${namespace ? `${namespace}/` : ''}${name}`) });
  }

  crd(name: string): Promise<KObject | undefined> {
    return this.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name);
  }
}

export { conditionsOf, isEstablished, type Condition } from '../kube/conditions.ts';
