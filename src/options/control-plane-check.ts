/** control-plane check's options, pure: (argv, env) → frozen options. */
import { clusterOptions, type ClusterOptions } from './control-plane.ts';
import { checkRetries } from './flags.ts';

export interface CheckOptions extends ClusterOptions {
  /** Values file: expect what render makes of it; undefined: what adopt reads from the cluster. */
  file: string | undefined;
  format: 'text' | 'json';
  requireReady: boolean;
}

export function controlPlaneCheckOptions(
  argv: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Readonly<CheckOptions> {
  checkRetries(argv.retries);
  return Object.freeze({
    file: argv.file as string | undefined,
    ...clusterOptions(argv, env),
    format: argv.output === 'json' ? 'json' : 'text',
    requireReady: argv['require-ready'] !== false,
  });
}
