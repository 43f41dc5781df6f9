/** apply's options, pure: (argv, env) → frozen options. */
import {
  callPolicyOf,
  checkRetries,
  durationOf,
  isDryRun,
  kubeconfigOf,
  tlsOf,
  waitBindingsMs,
  type KubeconfigFlags,
  type CallFlags,
  type TlsFlags,
} from './flags.ts';

export interface ApplyOptions extends KubeconfigFlags, CallFlags, TlsFlags {
  /** The manifest (all.yaml), or '-' for stdin. */
  file: string;
  env: NodeJS.ProcessEnv;
  dryRun: boolean;
  timeoutMs: number;
  waitBindingsMs: number | undefined;
  /**
   * text: one line per object on stdout, as kubectl prints them; json: the whole result (schemas/apply.schema.json).
   * Unset (the library): each object's line goes to the log.
   */
  format?: 'text' | 'json' | undefined;
}

export function applyOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<ApplyOptions> {
  checkRetries(argv.retries);
  const waitBindings = waitBindingsMs(argv);
  return Object.freeze({
    file: argv.file as string,
    ...kubeconfigOf(argv),
    env,
    dryRun: isDryRun(argv),
    format: argv.output === 'json' ? ('json' as const) : ('text' as const),
    waitBindingsMs: waitBindings,
    timeoutMs: durationOf(argv, 'timeout'),
    ...callPolicyOf(argv),
    ...tlsOf(argv),
  });
}
