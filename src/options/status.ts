/** status's options, pure: (argv, env) → frozen options. */
import { callPolicyOf, checkRetries, durationOf, kubeconfigOf, tlsOf } from './flags.ts';

export interface StatusOptions {
  /** --kubeconfig; undefined: $KUBECONFIG, else ~/.kube/config. */
  kubeconfig: string | undefined;
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  appKubeconfig: string | undefined;
  format: 'text' | 'json';
  timeoutMs: number;
  requestTimeoutMs: number;
  attempts: number;
  caFile: string | undefined;
  insecure: boolean;
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
