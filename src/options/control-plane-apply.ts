/** control-plane apply's options, pure: (argv, env) → frozen options. */
import { clusterOptions, type ClusterOptions } from './control-plane.ts';
import { checkRetries, durationOf, isDryRun } from './flags.ts';

export interface ApplyOptions extends ClusterOptions {
  file: string;
  previous: string | undefined;
  seed: string | undefined;
  dryRun: boolean;
  prune: boolean;
  timeoutMs: number;
}

export function controlPlaneApplyOptions(
  argv: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Readonly<ApplyOptions> {
  checkRetries(argv.retries);
  const timeoutMs = durationOf(argv, 'timeout');
  return Object.freeze({
    file: argv.file as string,
    ...clusterOptions(argv, env),
    previous: argv.previous as string | undefined,
    seed: argv.seed as string | undefined,
    dryRun: isDryRun(argv),
    prune: Boolean(argv.prune),
    timeoutMs,
  });
}
