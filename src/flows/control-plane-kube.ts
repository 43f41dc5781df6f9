/**
 * The real Kubernetes client factory of the control-plane sub-verbs (see
 * flows/kube.ts for the binding commands'): the only place they load the
 * kubeconfig and construct the control-plane clients.
 */
import {
  applyControlPlane,
  cookieKeysIn,
  type ControlPlaneApplyOptions,
  type ControlPlaneApplyResult,
} from '../control-plane/apply.ts';
import { CONTROL_PLANE_CLIENT } from '../control-plane/client.ts';
import type { CookieKeys } from '../control-plane/keys.ts';
import type { K8sObject } from '../control-plane/render.ts';
import type { Settings } from '../control-plane/values.ts';
import { readCaFile, warnInsecure } from '../http.ts';
import { kubeconfigClient } from '../kube/connect.ts';
import { resolveKubeconfig, type ResolvedKubeconfig, type ResolveOptions } from '../kube/kubeconfig-file.ts';
import type { ObjectClient } from '../kube/objects.ts';
import type { CallPolicy } from '../kube/transport.ts';

/** A Control Plane Cluster, as the control-plane sub-verbs use it. */
export interface ControlPlaneCluster {
  /** The kubeconfig's server URL. */
  readonly server: string;
  /** host:port of the server, for messages. */
  readonly host: string;
  /** The client check, adopt and apply's comparisons read through. */
  reader(): ObjectClient;
  /** The cookie keys of the backend already in the cluster, if any. */
  cookieKeys(): Promise<CookieKeys | undefined>;
  apply(
    objects: K8sObject[],
    settings: Settings,
    opts: Omit<ControlPlaneApplyOptions, 'signal'>,
  ): Promise<ControlPlaneApplyResult>;
}

export interface ControlPlaneKube {
  resolve(opts: ResolveOptions): ResolvedKubeconfig;
  /** Warns for --insecure-skip-tls-verify, reads --ca-file and the kubeconfig; InputError when it cannot be used. */
  connect(
    kubeconfig: ResolvedKubeconfig,
    tls: { caFile: string | undefined; insecure: boolean },
    policy: CallPolicy,
  ): ControlPlaneCluster;
}

export const controlPlaneKube: ControlPlaneKube = {
  resolve: resolveKubeconfig,
  connect: (kubeconfig, tls, policy) => {
    if (tls.insecure) warnInsecure("the control plane's TLS certificate is");
    const { client } = kubeconfigClient(
      { text: kubeconfig.text, where: `kubeconfig ${kubeconfig.label}` },
      {
        tls: { caPem: readCaFile(tls.caFile), insecure: tls.insecure },
        policy,
        ...CONTROL_PLANE_CLIENT,
      },
    );
    return {
      server: client.conn.server,
      host: client.host,
      reader: () => client,
      cookieKeys: () => cookieKeysIn(client),
      apply: (objects, settings, opts) =>
        applyControlPlane(client, objects, settings, { ...opts, signal: policy.signal }),
    };
  },
};
