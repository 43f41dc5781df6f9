/** status's adapter, pure: (argv, env) → the library's StatusInput (lib/status.ts) and how the CLI prints it. */
import type { StatusInput } from '../lib/status.ts';
import { callPolicyOf, checkRetries, durationOf, kubeconfigOf, tlsOf } from './flags.ts';
import { libCalls } from './lib.ts';

export interface StatusCli {
  input: StatusInput;
  format: 'text' | 'json';
}

export function statusOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<StatusCli> {
  checkRetries(argv.retries);
  const input: StatusInput = {
    ...kubeconfigOf(argv),
    env,
    appKubeconfig: argv['app-kubeconfig'] as string | undefined,
    timeoutMs: durationOf(argv, 'timeout'),
    ...libCalls(callPolicyOf(argv), tlsOf(argv)),
  };
  return Object.freeze({ input: Object.freeze(input), format: argv.output === 'json' ? 'json' : 'text' });
}
