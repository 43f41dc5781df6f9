/** createNamespace as a library function. */
import type { NamespaceResult } from '../kube/results.ts';
import {
  callsOf,
  depsOf,
  envOf,
  inScope,
  type ConnectOptions,
  type KubeconfigSource,
  type RunOptions,
  type TransportOptions,
} from './run.ts';

export interface CreateNamespaceInput extends RunOptions, ConnectOptions, KubeconfigSource, TransportOptions {
  /** The namespace name on the App Cluster. */
  name: string;
  /** How long to wait for the control plane to create it (default 60 000 ms). */
  timeoutMs?: number;
}

/** Creates a namespace in a binding (the provider kubeconfig) and returns its control-plane name. */
export async function createNamespace(input: CreateNamespaceInput): Promise<NamespaceResult> {
  return inScope(input, undefined, async () => {
    const { runCreateNs } = await import('../flows/create-ns.ts');
    return runCreateNs(
      {
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: envOf(input),
        name: input.name,
        format: 'json',
        timeoutMs: input.timeoutMs ?? 60_000,
        ...callsOf(input, 3),
      },
      { ...depsOf(input), dispatcher: input.dispatcher as never },
    );
  });
}
