/** control-plane render's options, pure: (argv, env) → frozen options. */
import { UsageError } from '../errors.ts';
import { kubeconfigOf, resolveOutput } from './flags.ts';

export interface RenderOptions {
  /** Values file, or '-' for stdin. */
  file: string;
  /** --kubeconfig, only the flag (render is offline; never $KUBECONFIG). */
  kubeconfig: string | undefined;
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  previous: string | undefined;
  seed: string | undefined;
  /** --output-file (or -o FILE, deprecated); undefined: stdout. */
  output: string | undefined;
  deprecations: readonly string[];
}

export function controlPlaneRenderOptions(
  argv: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Readonly<RenderOptions> {
  if (argv.context !== undefined && argv.kubeconfig === undefined)
    throw new UsageError('--context picks a context of --kubeconfig; pass --kubeconfig too');
  const out = resolveOutput(argv, ['yaml'], 'yaml');
  return Object.freeze({
    file: argv.file as string,
    ...kubeconfigOf(argv),
    env,
    previous: argv.previous as string | undefined,
    seed: argv.seed as string | undefined,
    output: out.file,
    deprecations: Object.freeze(out.deprecations),
  });
}
