/**
 * The flags every command shares: the bound of each API call and how often a
 * passing failure is retried, --dry-run, -o / --output-file, --context.
 */
import { fchmodSync, fstatSync, readlinkSync } from 'node:fs';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';
import { log } from '../log.ts';

export const CALL_OPTIONS = {
  'request-timeout': { type: 'string', default: '30s', describe: 'timeout of each API request (env HELPER_REQUEST_TIMEOUT)' },
  retries: { type: 'number', default: 3, describe: 'retries of each API call on network errors, timeouts, malformed answers, 429 and 5xx (env HELPER_RETRIES)' },
} as const;

/**
 * --ca-file and --insecure-skip-tls-verify. `trusted` ends "extra PEM CA bundle
 * trusted for ..."; `unverified` ends "do not verify ...".
 */
export function tlsOptions(trusted: string, unverified: string) {
  return {
    'ca-file': { type: 'string', requiresArg: true, normalize: true, describe: `extra PEM CA bundle trusted for ${trusted} (env HELPER_CA_FILE)` },
    'insecure-skip-tls-verify': { type: 'boolean', default: false, describe: `do not verify ${unverified}` },
  } as const;
}

/** The TLS flags as the flows take them. */
export function tlsOf(argv: Record<string, unknown>): { caFile: string | undefined; insecure: boolean } {
  return { caFile: argv['ca-file'] as string | undefined, insecure: Boolean(argv['insecure-skip-tls-verify']) };
}

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

/**
 * The one rule for -o (see README, "Output"): `-o, --output` is always the
 * output format, as in kubectl; a file is `--output-file FILE`, where `-`
 * means stdout. Until scripts move, a value after -o that is no format name
 * is taken as the file it used to be, with a deprecation warning.
 */
export const FORMAT_NAMES = ['yaml', 'json', 'text'] as const;

export const OUTPUT_FILE_OPTION = {
  type: 'string',
  requiresArg: true,
  normalize: true,
  describe: 'write the output to this file (atomically, mode 0600) instead of stdout; - is stdout',
} as const;

export interface OutputChoice {
  format: string;
  /** The file to write, or undefined for stdout. */
  file: string | undefined;
  /** Deprecation warnings to print (once, from the handler). */
  deprecations: string[];
}

/** Resolves -o / --output-file (and a deprecated spelling such as --summary) into a format and a file; UsageError when they clash. */
export function resolveOutput(argv: Record<string, unknown>, formats: readonly string[], def: string, deprecatedFormat?: { flag: string; value: unknown }): OutputChoice {
  const deprecations: string[] = [];
  const o = argv.output as string | undefined;
  let file = argv['output-file'] as string | undefined;
  let format: string | undefined;
  if (o !== undefined) {
    if (formats.includes(o)) format = o;
    else if ((FORMAT_NAMES as readonly string[]).includes(o)) throw new UsageError(`-o ${o}: here the output format is ${formats.join(' or ')}`);
    else {
      if (file !== undefined) throw new UsageError(`-o ${o} and --output-file ${file}: -o is the output format (${formats.join(', ')}); name the file once, with --output-file`);
      deprecations.push(`-o FILE is deprecated: -o is the output format everywhere (${formats.join(', ')}), as in kubectl; write --output-file ${o}`);
      file = o;
    }
  }
  const d = deprecatedFormat;
  if (d && d.value !== undefined) {
    if (format !== undefined && format !== d.value) throw new UsageError(`${d.flag} ${String(d.value)} and -o ${format} disagree; ${d.flag} is deprecated, use -o only`);
    deprecations.push(`${d.flag} is deprecated: write -o ${String(d.value)}`);
    format = String(d.value);
  }
  format ??= def;
  if (!formats.includes(format)) throw new UsageError(`-o ${format}: here the output format is ${formats.join(' or ')}`);
  return { format, file: file === '-' ? undefined : file, deprecations };
}

/**
 * `helper ... > all.yaml` leaves a file the shell created with the umask
 * (often 0644) holding credentials. When stdout is a regular file, make it
 * 0600 before anything is written to it, and say so on stderr.
 */
export function tightenStdoutFile(what: string, fd = 1): void {
  let st;
  try {
    st = fstatSync(fd);
  } catch {
    return;
  }
  if (!st.isFile()) return;
  let path = 'stdout';
  try {
    path = readlinkSync(`/proc/self/fd/${fd}`);
  } catch { /* not Linux: the message says "stdout" */ }
  if ((st.mode & 0o077) === 0) return;
  try {
    fchmodSync(fd, 0o600);
    log.warn(`stdout is the file ${path}, which holds ${what}: changed its mode from ${(st.mode & 0o777).toString(8).padStart(4, '0')} to 0600; --output-file writes it 0600 from the start`);
  } catch (err) {
    log.warn(`stdout is the file ${path}, which holds ${what}, and its mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets others read it; cannot change it (${(err as NodeJS.ErrnoException).code ?? err}); use --output-file`);
  }
}

/** --context: the kubeconfig context to use instead of the current-context. */
export const CONTEXT_OPTION = { type: 'string', requiresArg: true, describe: 'kubeconfig context to use (default: its current-context)' } as const;

/** --kubeconfig resolved like kubectl: the flag, else $KUBECONFIG, else ~/.kube/config. */
export const KUBECONFIG_DESCRIBE = '(default: $KUBECONFIG, else ~/.kube/config)';
