/** create-ns's options, pure: (argv, env) → frozen options. */
import {
  callPolicyOf,
  checkRetries,
  durationOf,
  kubeconfigOf,
  tlsOf,
  type KubeconfigFlags,
  type CallFlags,
  type TlsFlags,
} from './flags.ts';

export interface CreateNsOptions extends KubeconfigFlags, CallFlags, TlsFlags {
  /** The environment the kubeconfig is looked up in ($KUBECONFIG, $HOME). */
  env: NodeJS.ProcessEnv;
  name: string;
  format: 'text' | 'json';
  timeoutMs: number;
}

export function createNsOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<CreateNsOptions> {
  checkRetries(argv.retries);
  return Object.freeze({
    ...kubeconfigOf(argv),
    env,
    name: argv.name as string,
    format: argv.output === 'json' ? 'json' : 'text',
    timeoutMs: durationOf(argv, 'timeout'),
    ...callPolicyOf(argv),
    ...tlsOf(argv),
  });
}
