/**
 * The flag groups every command declares from (each flag, its help text and
 * its default written once), and the pure readers that turn their parsed
 * values into options: the call policy (--request-timeout, --retries), TLS
 * (--ca-file, --insecure-skip-tls-verify), the kubeconfig (--kubeconfig,
 * --context), the output (-o, --output-file), --dry-run and --wait-bindings.
 * No file is read here: options/<verb>.ts build on these, flows do the I/O.
 */
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';

/**
 * --retries has two defaults, and both stay as they are documented (README,
 * docs/faults.md, every --help): 4 for bootstrap-env, whose calls cross three
 * servers (token endpoint, bind backend, control plane; the default dates from
 * its first version), and 3 for every command that only calls Kubernetes API
 * servers (added later with those commands). Unifying them would change
 * what a pipeline relying on either sees, so the difference lives here only.
 */
export const RETRIES_DEFAULT = { 'bootstrap-env': 4, api: 3 } as const;

/** --request-timeout and --retries: the bound of each call and how often a passing failure is retried. */
export function callOptions(kind: keyof typeof RETRIES_DEFAULT) {
  return kind === 'bootstrap-env'
    ? ({
        'request-timeout': {
          type: 'string',
          default: '30s',
          describe: 'timeout of each HTTP request (env HELPER_REQUEST_TIMEOUT)',
        },
        retries: {
          type: 'number',
          default: RETRIES_DEFAULT['bootstrap-env'],
          describe:
            'retries of each token, bind and control-plane call on network errors, timeouts, 429 and 5xx ' +
            '(env HELPER_RETRIES)',
        },
      } as const)
    : ({
        'request-timeout': {
          type: 'string',
          default: '30s',
          describe: 'timeout of each API request (env HELPER_REQUEST_TIMEOUT)',
        },
        retries: {
          type: 'number',
          default: RETRIES_DEFAULT.api,
          describe:
            'retries of each API call on network errors, timeouts, malformed answers, 429 and 5xx (env HELPER_RETRIES)',
        },
      } as const);
}

/** The commands that only call Kubernetes API servers. */
export const CALL_OPTIONS = callOptions('api');

/**
 * --ca-file and --insecure-skip-tls-verify. `trusted` ends "extra PEM CA bundle
 * trusted for ..."; `unverified` ends "do not verify ...".
 */
export function tlsOptions(trusted: string, unverified: string) {
  return {
    'ca-file': {
      type: 'string',
      requiresArg: true,
      normalize: true,
      describe: `extra PEM CA bundle trusted for ${trusted} (env HELPER_CA_FILE)`,
    },
    'insecure-skip-tls-verify': { type: 'boolean', default: false, describe: `do not verify ${unverified}` },
  } as const;
}

/** --ca-file and --insecure-skip-tls-verify as the flows take them. */
export interface TlsFlags {
  caFile: string | undefined;
  insecure: boolean;
}

/** --request-timeout and --retries as the flows take them: the bound of each call, and 1 + retries. */
export interface CallFlags {
  requestTimeoutMs: number;
  attempts: number;
}

/** --kubeconfig (undefined: $KUBECONFIG, else ~/.kube/config) and --context (undefined: the current-context). */
export interface KubeconfigFlags {
  kubeconfig: string | undefined;
  context: string | undefined;
}

/** The TLS flags as the flows take them. */
export function tlsOf(argv: Record<string, unknown>): TlsFlags {
  return { caFile: argv['ca-file'] as string | undefined, insecure: Boolean(argv['insecure-skip-tls-verify']) };
}

/** Throws UsageError unless --retries is a whole number from 0 to 20. */
export function checkRetries(value: unknown): true {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 20)) {
    throw new UsageError('--retries must be a whole number from 0 to 20');
  }
  return true;
}

/** The per-call policy the flags ask for (UsageError for a bad --retries or --request-timeout). */
export function callPolicyOf(argv: Record<string, unknown>): CallFlags {
  checkRetries(argv.retries);
  return {
    requestTimeoutMs: parseDuration('--request-timeout', argv['request-timeout']),
    attempts: Number(argv.retries) + 1,
  };
}

/** A duration flag in ms (UsageError naming the flag when it is not one). */
export function durationOf(argv: Record<string, unknown>, flag: string): number {
  return parseDuration(`--${flag}`, argv[flag]);
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
  describe:
    'server (or bare --dry-run): send every change as a server-side dry run (validated, nothing persisted); ' +
    'none (default): make the changes',
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
  describe:
    'after applying, wait (bare flag: up to 5m) until every APIServiceBinding in all.yaml is Ready on the ' +
    'App Cluster (its konnector connected them)',
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

/** Resolves -o / --output-file (and a deprecated spelling such as --summary) into a format and a file; UsageError when
 * they clash. */
export function resolveOutput(
  argv: Record<string, unknown>,
  formats: readonly string[],
  def: string,
  deprecatedFormat?: { flag: string; value: unknown },
): OutputChoice {
  const deprecations: string[] = [];
  const o = argv.output as string | undefined;
  let file = argv['output-file'] as string | undefined;
  let format: string | undefined;
  if (o !== undefined) {
    if (formats.includes(o)) format = o;
    else if ((FORMAT_NAMES as readonly string[]).includes(o))
      throw new UsageError(`-o ${o}: here the output format is ${formats.join(' or ')}`);
    else {
      if (file !== undefined)
        throw new UsageError(
          `-o ${o} and --output-file ${file}: -o is the output format (${formats.join(', ')}); name the file ` +
            `once, with --output-file`,
        );
      deprecations.push(
        `-o FILE is deprecated: -o is the output format everywhere (${formats.join(', ')}), as in kubectl; ` +
          `write --output-file ${o}`,
      );
      file = o;
    }
  }
  const d = deprecatedFormat;
  if (d && d.value !== undefined) {
    if (format !== undefined && format !== d.value)
      throw new UsageError(
        `${d.flag} ${String(d.value)} and -o ${format} disagree; ${d.flag} is deprecated, use -o only`,
      );
    deprecations.push(`${d.flag} is deprecated: write -o ${String(d.value)}`);
    format = String(d.value);
  }
  format ??= def;
  if (!formats.includes(format))
    throw new UsageError(`-o ${format}: here the output format is ${formats.join(' or ')}`);
  return { format, file: file === '-' ? undefined : file, deprecations };
}

/** --context: the kubeconfig context to use instead of the current-context. */
export const CONTEXT_OPTION = {
  type: 'string',
  requiresArg: true,
  describe: 'kubeconfig context to use (default: its current-context)',
} as const;

/** --kubeconfig resolved like kubectl: the flag, else $KUBECONFIG, else ~/.kube/config. */
export const KUBECONFIG_DESCRIBE = '(default: $KUBECONFIG, else ~/.kube/config)';

/** --kubeconfig and --context as the flows take them. */
export function kubeconfigOf(argv: Record<string, unknown>): KubeconfigFlags {
  return { kubeconfig: argv.kubeconfig as string | undefined, context: argv.context as string | undefined };
}
