/**
 * How control-plane apply, check and adopt read the cluster: the one
 * ObjectClient (kube/objects.ts), with the wording their messages have
 * always had (`read Secret bind/k8sca`, `list Deployment`, a 403 hint asking
 * for a cluster-admin kubeconfig), and the one CRD read.
 */
import type { Dispatcher } from 'undici';
import { connect, type KObject, type KubeClient } from '../kube/client.ts';
import { isEstablished } from '../kube/conditions.ts';
import type { Connection } from '../kube/kubeconfig.ts';
import type { Kind, ObjectClient } from '../kube/objects.ts';

export const CRD_KIND: Kind = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

export const CONTROL_PLANE_WORDING = {
  action: (verb: string, kind: Kind, name: string | undefined, namespace: string | undefined) => {
    const action = verb === 'list'
      ? `list ${kind.kind}${namespace ? ` in namespace ${namespace}` : ''}`
      : `${verb === 'get' ? 'read' : verb} ${kind.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    return { action, short: action };
  },
  forbiddenHint: 'control-plane apply and check need a cluster-admin kubeconfig',
};

export interface ClientOptions {
  /** Bound of each API call; default 30 s. */
  timeoutMs?: number | undefined;
  /** Attempts per API call (1 + retries); default 4. */
  attempts?: number | undefined;
  signal?: AbortSignal | undefined;
  /** The transport; default a keep-alive Agent per server. */
  dispatcher?: Dispatcher | undefined;
}

/** The client of the Control Plane Cluster; messages name it `control plane <host>`. */
export function controlPlaneClient(conn: Connection, opts: ClientOptions = {}): KubeClient {
  return connect(conn, {
    label: 'control plane', requestTimeoutMs: opts.timeoutMs ?? 30_000, attempts: opts.attempts ?? 4, signal: opts.signal, dispatcher: opts.dispatcher,
    forbiddenHint: CONTROL_PLANE_WORDING.forbiddenHint, wording: CONTROL_PLANE_WORDING.action,
  });
}

/** The kind of an object (its apiVersion and kind), to read it by. */
export const kindOf = (o: { apiVersion: string; kind: string }): Kind => ({ apiVersion: o.apiVersion, kind: o.kind });

export const readCrd = (c: ObjectClient, name: string): Promise<KObject | undefined> => c.get(CRD_KIND, name);

/** Whether the cluster serves the API of this CRD (it exists and is Established). */
export const served = async (c: ObjectClient, crd: string): Promise<boolean> => isEstablished(await readCrd(c, crd));

/** Every object of a kind; [] when the kind is not served. */
export const listAll = async (c: ObjectClient, kind: Kind, namespace?: string, labelSelector?: string): Promise<KObject[]> =>
  (await c.list(kind, namespace, labelSelector === undefined ? {} : { labelSelector })) ?? [];

/** A Secret's data, decoded; {} for an absent Secret. */
export const secretData = (o: KObject | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries((o?.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
