/**
 * The one way from a kubeconfig to a client. Any source gives a text and how
 * messages name it: a file, $KUBECONFIG's files or the in-cluster
 * ServiceAccount (resolveKubeconfig's ResolvedKubeconfig has both), or a text
 * from a Secret's data. Every problem of it is one error:
 * InputError HELPER_KUBECONFIG_INVALID (exit 3), worded per input.
 */
import { connect as defaultConnect, type KubeClient, type KubeFactory, type KubeOptions } from './client.ts';
import {
  kubeconfigError,
  readKubeconfig,
  type Connection,
  type KubeconfigRead,
  type ReadOptions,
} from './kubeconfig.ts';
import type { CallPolicy } from './transport.ts';

/** A kubeconfig's text and how messages name it (`--kubeconfig FILE`, `kubeconfig FILES (from KUBECONFIG)`). */
export interface KubeconfigSource {
  text: string;
  where: string;
}

export interface KubeconfigUse {
  /** A provider kubeconfig: its current context carries the cluster namespace (facts are then always returned). */
  provider?: boolean | undefined;
  /** --ca-file's PEM and --insecure-skip-tls-verify. */
  tls?: { caPem?: string | undefined; insecure?: boolean | undefined } | undefined;
  /** The message of a problem; default `<where> cannot be used: <why>`. */
  describe?: ((why: string) => string) | undefined;
  /** provider: the line above the list of its problems; default `<where> cannot be used:`. */
  heading?: string | undefined;
  /** The message when the current context names no cluster; default describe('its current context names no cluster').
   * */
  noCluster?: string | undefined;
}

export interface UsableKubeconfig {
  read: KubeconfigRead;
  connection: Connection;
}

/** Reads the kubeconfig, or throws kubeconfigError naming the source and every problem. */
export function readSource(src: KubeconfigSource, use: KubeconfigUse = {}): UsableKubeconfig {
  const describe = use.describe ?? ((why: string) => `${src.where} cannot be used: ${why}`);
  const opts: ReadOptions = {
    caPem: use.tls?.caPem,
    insecure: use.tls?.insecure,
    ...(use.provider ? { provider: true } : {}),
  };
  const read = readKubeconfig(src.text, opts);
  if (use.provider && (read.problems.length || !read.facts))
    throw kubeconfigError(use.heading ?? `${src.where} cannot be used:`, read.problems);
  if (read.problems.length) throw kubeconfigError(describe(read.problems.join('; ')));
  if (!read.connection) throw kubeconfigError(use.noCluster ?? describe('its current context names no cluster'));
  return { read, connection: read.connection };
}

export interface ClientUse extends KubeconfigUse, Omit<KubeOptions, keyof CallPolicy> {
  policy: CallPolicy;
  /** The client factory; default the real one (tests pass one with an undici MockAgent). */
  kube?: KubeFactory | undefined;
}

/** The client of a kubeconfig's current context (readSource, then the factory). */
export function kubeconfigClient(src: KubeconfigSource, use: ClientUse): { client: KubeClient; read: KubeconfigRead } {
  const { read, connection } = readSource(src, use);
  const { label, forbiddenHint, wording } = use;
  return { client: (use.kube ?? defaultConnect)(connection, { label, forbiddenHint, wording, ...use.policy }), read };
}
