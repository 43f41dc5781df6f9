/**
 * The real Kubernetes client factory of the control-plane sub-verbs (see
 * flows/kube.ts for the binding commands'): the only place they load the
 * kubeconfig and construct the control-plane clients.
 */
import { applyControlPlane, clusterCookieKeys, type ControlPlaneApplyOptions, type ControlPlaneApplyResult } from '../control-plane/apply.ts';
import { controlPlaneClient } from '../control-plane/client.ts';
import type { CookieKeys } from '../control-plane/keys.ts';
import type { K8sObject } from '../control-plane/render.ts';
import type { ObjectClient } from '../kube/objects.ts';
import type { Settings } from '../control-plane/values.ts';
import { hostOf, readCaFile, warnInsecure } from '../http.ts';
import { loadKubeConfig } from '../kube/client.ts';
import { resolveKubeconfig, type ResolvedKubeconfig, type ResolveOptions } from '../kube/kubeconfig-file.ts';
import type { Policy } from './kube.ts';

/** A Control Plane Cluster, as the control-plane sub-verbs use it. */
export interface ControlPlaneCluster {
  /** The kubeconfig's server URL. */
  readonly server: string;
  /** host:port of the server, for messages. */
  readonly host: string;
  /** The reader check, adopt and apply's comparisons probe with. */
  reader(): ObjectClient;
  /** The cookie keys of the backend already in the cluster, if any. */
  cookieKeys(): Promise<CookieKeys | undefined>;
  apply(objects: K8sObject[], settings: Settings, opts: Omit<ControlPlaneApplyOptions, 'requestTimeoutMs' | 'attempts' | 'signal'>): Promise<ControlPlaneApplyResult>;
}

export interface ControlPlaneKube {
  resolve(opts: ResolveOptions): ResolvedKubeconfig;
  /** Warns for --insecure-skip-tls-verify, reads --ca-file and loads the kubeconfig. */
  connect(text: string, tls: { caFile: string | undefined; insecure: boolean }, policy: Policy): ControlPlaneCluster;
}

export const controlPlaneKube: ControlPlaneKube = {
  resolve: resolveKubeconfig,
  connect: (text, tls, policy) => {
    if (tls.insecure) warnInsecure('the control plane\'s TLS certificate is');
    const kc = loadKubeConfig(text, { extraCaPem: readCaFile(tls.caFile), insecure: tls.insecure });
    const server = kc.getCurrentCluster()?.server ?? '';
    let reader: ObjectClient | undefined;
    return {
      server,
      host: hostOf(server),
      reader: () => (reader ??= controlPlaneClient(kc, { timeoutMs: policy.requestTimeoutMs, attempts: policy.attempts, signal: policy.signal })),
      cookieKeys: () => clusterCookieKeys(kc, { signal: policy.signal, timeoutMs: policy.requestTimeoutMs, attempts: policy.attempts }),
      apply: (objects, settings, opts) => applyControlPlane(kc, objects, settings, { ...opts, requestTimeoutMs: policy.requestTimeoutMs, attempts: policy.attempts, signal: policy.signal }),
    };
  },
};
