/**
 * create-ns, step by step:
 *   load the provider kubeconfig → check the name against the namespace
 *   budget → create the APIServiceNamespace → wait for status.namespace →
 *   return it (the command prints it).
 */
import { InputError } from '../errors.ts';
import { readCaFile, warnInsecure } from '../http.ts';
import { connect, ControlPlane, type KubeFactory } from '../kube/client.ts';
import { readKubeconfig, trust, usableConnection } from '../kube/kubeconfig.ts';
import { resolveKubeconfig } from '../kube/kubeconfig-file.ts';
import { ensureServiceNamespace, type NamespaceResult } from '../kube/namespaces.ts';
import { log } from '../log.ts';
import { namespaceNameProblems } from '../validate/names.ts';

export interface CreateNsOptions {
  /** --kubeconfig; undefined: $KUBECONFIG, else ~/.kube/config. */
  kubeconfig: string | undefined;
  context?: string | undefined;
  env?: NodeJS.ProcessEnv;
  name: string;
  timeoutMs: number;
  requestTimeoutMs: number;
  attempts: number;
  caFile?: string | undefined;
  insecure: boolean;
}

/** Creates the namespace in the binding and returns its control-plane name. */
export async function runCreateNs(opts: CreateNsOptions, deps: { signal?: AbortSignal | undefined; kube?: KubeFactory | undefined } = {}): Promise<NamespaceResult> {
  const resolved = resolveKubeconfig({ flag: opts.kubeconfig, context: opts.context, env: opts.env ?? process.env });
  const { text } = resolved;
  const { where } = resolved;
  const k = readKubeconfig(text, { provider: true });
  if (k.problems.length || !k.facts) throw new InputError('HELPER_KUBECONFIG_INVALID', `${where} cannot be used:`, k.problems);
  const problems = namespaceNameProblems(opts.name, k.facts.namespace);
  if (problems.length) throw new InputError('HELPER_NAMESPACE_NAME', `-n ${JSON.stringify(opts.name)} cannot be used as a namespace in cluster namespace ${k.facts.namespace}:`, problems);
  const caPem = readCaFile(opts.caFile);
  if (opts.insecure) warnInsecure('the control plane\'s TLS certificate is');
  const conn = trust(usableConnection(k, (why) => new InputError('HELPER_KUBECONFIG_INVALID', `${where} cannot be used: ${why}`)), { caPem, insecure: opts.insecure });
  const client = (deps.kube ?? connect)(conn, { label: 'control plane', requestTimeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, signal: deps.signal });
  const cp = new ControlPlane(client, k.facts.namespace);
  const result = await ensureServiceNamespace(cp, opts.name, { timeoutMs: opts.timeoutMs, signal: deps.signal });
  if (!result.konnectorConnected) log.warn(`create namespace ${JSON.stringify(opts.name)} on the App Cluster BEFORE the konnector starts there (kubectl create namespace ${opts.name}); otherwise the konnector deletes this APIServiceNamespace and the control-plane namespace ${result.namespace} with everything in it`);
  return result;
}
