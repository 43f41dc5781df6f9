/**
 * The flags every command that calls a Kubernetes API server shares: the
 * bound of each call and how often a passing failure is retried.
 */
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';

export const CALL_OPTIONS = {
  'request-timeout': { type: 'string', default: '30s', describe: 'timeout of each API request' },
  retries: { type: 'number', default: 3, describe: 'retries of each API call on network errors, timeouts, malformed answers, 429 and 5xx' },
} as const;

/** Throws UsageError unless --retries is a whole number from 0 to 20. */
export function checkRetries(value: unknown): true {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 20)) {
    throw new UsageError('--retries must be a whole number from 0 to 20');
  }
  return true;
}

/** The per-call policy the flags ask for. */
export function callPolicyOf(argv: Record<string, unknown>): { requestTimeoutMs: number; attempts: number } {
  return { requestTimeoutMs: parseDuration('--request-timeout', argv['request-timeout']), attempts: Number(argv.retries) + 1 };
}

/**
 * `--dry-run[=none|server]`. A bare `--dry-run` means `server`: a dry-run flag
 * must never persist anything (before this, yargs took the bare flag for the
 * default `none` and applied for real). Unknown values are a usage error.
 */
export const DRY_RUN_OPTION = {
  type: 'string',
  choices: ['none', 'server'],
  coerce: (v: unknown) => (v === '' || v === true ? 'server' : v),
  describe: 'server (or bare --dry-run): validate on the API server, persist nothing; none (default): apply',
} as const;

/** True when the flags ask for a server-side dry run. */
export function isDryRun(argv: Record<string, unknown>): boolean {
  return argv['dry-run'] === 'server';
}

/**
 * `--wait-bindings[=DURATION]` (bare: 5m): after applying all.yaml, wait until
 * every APIServiceBinding it holds is Ready on the App Cluster, i.e. the App
 * Cluster's konnector is running and connected them.
 */
export const WAIT_BINDINGS_OPTION = {
  type: 'string',
  coerce: (v: unknown) => (v === '' || v === true ? '5m' : v),
  describe: 'after applying, wait (bare flag: up to 5m) until every APIServiceBinding in all.yaml is Ready on the App Cluster (its konnector connected them)',
} as const;

/** The --wait-bindings bound in ms, or undefined when not asked for. */
export function waitBindingsMs(argv: Record<string, unknown>): number | undefined {
  const v = argv['wait-bindings'];
  return v === undefined ? undefined : parseDuration('--wait-bindings', v);
}
