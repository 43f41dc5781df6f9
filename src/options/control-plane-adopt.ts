/** control-plane adopt's options, pure: (argv, env) → frozen options. */
import { clusterOptions, type ClusterOptions } from './control-plane.ts';
import { checkRetries, resolveOutput } from './flags.ts';

export interface AdoptOptions extends ClusterOptions {
  output: string | undefined;
  deprecations: readonly string[];
}

export function controlPlaneAdoptOptions(
  argv: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Readonly<AdoptOptions> {
  const out = resolveOutput(argv, ['yaml'], 'yaml');
  checkRetries(argv.retries);
  return Object.freeze({
    ...clusterOptions(argv, env),
    output: out.file,
    deprecations: Object.freeze(out.deprecations),
  });
}
