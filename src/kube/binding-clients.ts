/**
 * status and unbind read the same two kubeconfigs: the provider kubeconfig
 * (its current context's namespace is the cluster namespace) and, when
 * given, the App Cluster's. Both are checked before any call; the file's
 * credentials are registered for redaction as they are read.
 */
import { readCaFile, warnInsecure } from '../http.ts';
import { connect as defaultConnect, type KubeFactory } from './client.ts';
import { readSource } from './connect.ts';
import { trust, type Connection, type CredentialFacts, type ProviderKubeconfig } from './kubeconfig.ts';
import { readKubeconfigFile, resolveKubeconfig } from './kubeconfig-file.ts';
import type { ObjectClient } from './objects.ts';
import type { CallPolicy } from './transport.ts';

export type { CredentialFacts };

export interface ConnectOptions extends CallPolicy {
  /** --kubeconfig; undefined: $KUBECONFIG, else ~/.kube/config (unless explicitKubeconfig). */
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** unbind: the provider kubeconfig must be named (a stray $KUBECONFIG must not pick what is deleted). */
  explicitKubeconfig?: boolean | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  appKubeconfig?: string | undefined;
  caFile?: string | undefined;
  insecure: boolean;
  /** The Kubernetes client factory (tests pass one with an undici MockAgent). */
  kube?: KubeFactory | undefined;
}

export interface BindingClients {
  provider: ProviderKubeconfig;
  /** The provider kubeconfig user's credential, as far as helper reports it (never the token itself). */
  credential: CredentialFacts;
  cp: ObjectClient;
  app?: ObjectClient | undefined;
}

export function connect(opts: ConnectOptions): BindingClients {
  const provider = resolveKubeconfig({
    flag: opts.kubeconfig,
    context: opts.context,
    env: opts.env ?? {},
    fallback: !opts.explicitKubeconfig,
  });
  const { read: k, connection } = readSource(provider, { provider: true });
  const tls = { caPem: readCaFile(opts.caFile), insecure: opts.insecure };
  const kube = opts.kube ?? defaultConnect;
  const policy: CallPolicy = {
    requestTimeoutMs: opts.requestTimeoutMs,
    attempts: opts.attempts,
    signal: opts.signal,
    dispatcher: opts.dispatcher,
  };
  const cpConn = trust(connection, tls);
  let appConn: Connection | undefined;
  if (opts.appKubeconfig) {
    const text = readKubeconfigFile(opts.appKubeconfig, '--app-kubeconfig');
    appConn = readSource({ text, where: `--app-kubeconfig ${opts.appKubeconfig}` }, { tls }).connection;
  }
  if (opts.insecure) {
    const host = (c: Connection) => (URL.canParse(c.server) ? new URL(c.server).host : c.server);
    warnInsecure(
      appConn
        ? `the TLS certificates of the control plane ${host(cpConn)} and the App Cluster ${host(appConn)} are`
        : `the TLS certificate of the control plane ${host(cpConn)} is`,
    );
  }
  const cp = kube(cpConn, { label: 'control plane', ...policy });
  const app: ObjectClient | undefined = appConn ? kube(appConn, { label: 'App Cluster', ...policy }) : undefined;
  return { provider: k.facts!, credential: k.credential, cp, app };
}
