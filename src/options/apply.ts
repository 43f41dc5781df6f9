/** apply's options, pure: (argv, env) → frozen options. */
import { callPolicyOf, checkRetries, durationOf, isDryRun, kubeconfigOf, tlsOf, waitBindingsMs } from './flags.ts';

export interface ApplyOptions {
  /** The manifest (all.yaml), or '-' for stdin. */
  file: string;
  kubeconfig: string | undefined;
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  dryRun: boolean;
  timeoutMs: number;
  waitBindingsMs: number | undefined;
  requestTimeoutMs: number;
  attempts: number;
  caFile: string | undefined;
  insecure: boolean;
}

export function applyOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<ApplyOptions> {
  checkRetries(argv.retries);
  const waitBindings = waitBindingsMs(argv);
  return Object.freeze({
    file: argv.file as string,
    ...kubeconfigOf(argv),
    env,
    dryRun: isDryRun(argv),
    waitBindingsMs: waitBindings,
    timeoutMs: durationOf(argv, 'timeout'),
    ...callPolicyOf(argv),
    ...tlsOf(argv),
  });
}
