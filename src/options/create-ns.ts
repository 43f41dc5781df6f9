/** create-ns's options, pure: (argv, env) → frozen options. */
import { callPolicyOf, checkRetries, durationOf, kubeconfigOf, tlsOf } from './flags.ts';

export interface CreateNsOptions {
  /** --kubeconfig; undefined: $KUBECONFIG, else ~/.kube/config. */
  kubeconfig: string | undefined;
  context: string | undefined;
  /** The environment the kubeconfig is looked up in ($KUBECONFIG, $HOME). */
  env: NodeJS.ProcessEnv;
  name: string;
  format: 'text' | 'json';
  timeoutMs: number;
  requestTimeoutMs: number;
  attempts: number;
  caFile: string | undefined;
  insecure: boolean;
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
