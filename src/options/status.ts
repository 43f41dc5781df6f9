/** status's options, pure: (argv, env) → frozen options. */
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

export interface StatusOptions extends KubeconfigFlags, CallFlags, TlsFlags {
  env: NodeJS.ProcessEnv;
  appKubeconfig: string | undefined;
  format: 'text' | 'json';
  timeoutMs: number;
}

export function statusOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<StatusOptions> {
  checkRetries(argv.retries);
  return Object.freeze({
    ...kubeconfigOf(argv),
    env,
    appKubeconfig: argv['app-kubeconfig'] as string | undefined,
    format: argv.output === 'json' ? 'json' : 'text',
    timeoutMs: durationOf(argv, 'timeout'),
    ...callPolicyOf(argv),
    ...tlsOf(argv),
  });
}
