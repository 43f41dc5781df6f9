/**
 * How control-plane apply, check and adopt read the cluster: the one
 * ObjectClient (kube/objects.ts), with the wording their messages have
 * always had (`read Secret bind/k8sca`, `list Deployment`, a 403 hint asking
 * for a cluster-admin kubeconfig), and the one CRD read.
 */
import type { KubeOptions } from '../kube/client.ts';
import { isEstablished } from '../kube/conditions.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { KINDS, type KObject, type Kind } from '../kube/resources.ts';

export const CONTROL_PLANE_WORDING = {
  action: (verb: string, kind: Kind, name: string | undefined, namespace: string | undefined) => {
    const action =
      verb === 'list'
        ? `list ${kind.kind}${namespace ? ` in namespace ${namespace}` : ''}`
        : `${verb === 'get' ? 'read' : verb} ${kind.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    return { action, short: action };
  },
  forbiddenHint: 'control-plane apply and check need a cluster-admin kubeconfig',
};

/** How the Control Plane Cluster's client names itself and its calls: `control plane <host>`, `read Secret bind/k8sca`.
 * */
export const CONTROL_PLANE_CLIENT: Pick<KubeOptions, 'label' | 'forbiddenHint' | 'wording'> = {
  label: 'control plane',
  forbiddenHint: CONTROL_PLANE_WORDING.forbiddenHint,
  wording: CONTROL_PLANE_WORDING.action,
};

export const readCrd = (c: ObjectClient, name: string): Promise<KObject | undefined> => c.get(KINDS.crd, name);

/** Whether the cluster serves the API of this CRD (it exists and is Established). */
export const served = async (c: ObjectClient, crd: string): Promise<boolean> => isEstablished(await readCrd(c, crd));

/** Every object of a kind; [] when the kind is not served. */
export const listAll = async (
  c: ObjectClient,
  kind: Kind,
  namespace?: string,
  labelSelector?: string,
): Promise<KObject[]> => (await c.list(kind, namespace, labelSelector === undefined ? {} : { labelSelector })) ?? [];

/** A Secret's data, decoded; {} for an absent Secret. */
export const secretData = (o: KObject | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries((o?.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
