/**
 * create-ns, step by step:
 *   load the provider kubeconfig → check the name against the namespace
 *   budget → create the APIServiceNamespace → wait for status.namespace →
 *   return it (the command prints it).
 */
import type { Dispatcher } from 'undici';
import { InputError } from '../errors.ts';
import { warnInsecure } from '../http.ts';
import { readSource } from '../kube/connect.ts';
import type { NamespaceResult } from '../kube/namespaces.ts';
import { log } from '../log.ts';
import type { CreateNsOptions } from '../options/create-ns.ts';
import { namespaceNameProblems } from '../validate/names.ts';
import { flowDeps, type FlowDeps, type FlowOutcome } from './deps.ts';
import { createNsKube, type CreateNsKube } from './kube.ts';

export interface CreateNsDeps extends FlowDeps {
  kube: CreateNsKube;
  /** The transport of the control plane's calls (default: a keep-alive agent per server). */
  dispatcher?: Dispatcher | undefined;
}

/** The command's flow: stdout is the control-plane name (text) or all names (json). */
export async function createNs(
  opts: Readonly<CreateNsOptions>,
  given: Partial<CreateNsDeps> = {},
): Promise<FlowOutcome> {
  const result = await runCreateNs(opts, given);
  return {
    stdout:
      opts.format === 'json'
        ? JSON.stringify({
            name: result.name,
            namespace: result.namespace,
            clusterNamespace: result.clusterNamespace,
            created: result.created,
          }) + '\n'
        : result.namespace + '\n',
  };
}

/** Creates the namespace in the binding and returns its control-plane name. */
export async function runCreateNs(
  opts: Readonly<CreateNsOptions>,
  given: Partial<CreateNsDeps> = {},
): Promise<NamespaceResult> {
  const deps = { ...flowDeps(given), kube: given.kube ?? createNsKube };
  const { text, where } = deps.kube.resolve({ flag: opts.kubeconfig, context: opts.context, env: opts.env });
  const { read: k, connection: conn } = readSource({ text, where }, { provider: true });
  const problems = namespaceNameProblems(opts.name, k.facts!.namespace);
  if (problems.length)
    throw new InputError(
      'HELPER_NAMESPACE_NAME',
      `-n ${JSON.stringify(opts.name)} cannot be used as a namespace in cluster namespace ${k.facts!.namespace}:`,
      problems,
    );
  const caPem = deps.kube.caPem(opts.caFile);
  if (opts.insecure) warnInsecure("the control plane's TLS certificate is");
  const cp = deps.kube.controlPlane(
    conn,
    k.facts!.namespace,
    { caPem, insecure: opts.insecure },
    {
      requestTimeoutMs: opts.requestTimeoutMs,
      attempts: opts.attempts,
      signal: deps.signal,
      dispatcher: given.dispatcher,
    },
  );
  const result = await cp.ensureServiceNamespace(opts.name, opts.timeoutMs);
  deps.journal.recordNamespace(result.namespace);
  if (!result.konnectorConnected)
    log.warn(
      `create namespace ${JSON.stringify(opts.name)} on the App Cluster BEFORE the konnector starts there ` +
        `(kubectl create namespace ${opts.name}); otherwise the konnector deletes this APIServiceNamespace and ` +
        `the control-plane namespace ${result.namespace} with everything in it`,
    );
  return result;
}
