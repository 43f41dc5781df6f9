/**
 * Every failure `helper` reports is a HelperError: a stable string code, the
 * exit code the process ends with, a message that names the input and the
 * problem (never a secret), an optional hint, and the original error as cause.
 *
 * The exit codes are EXIT_CODES below: the README's table and every
 * command's "Exit codes:" epilog are made from it (test/unit/errors.test.ts
 * fails when the README differs; `npm run docs` rewrites it).
 */

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  auth: 4,
  backend: 5,
  cluster: 6,
  timeout: 7,
  failed: 8,
  partial: 9,
  deleted: 10,
  degraded: 11,
  missing: 12,
  declined: 13,
  sigint: 130,
  sigterm: 143,
} as const;

export type ExitName = keyof typeof ExitCode;

/**
 * Every error code helper ends with (HelperError.code), for a library caller
 * to switch on; test/unit/errors.test.ts fails when src/ uses a code not listed.
 */
export const ERROR_CODES = [
  'HELPER_BACKEND_ANSWER_MISMATCH',
  'HELPER_BACKEND_CLAIM_REFUSED',
  'HELPER_BACKEND_CONTENT_TYPE',
  'HELPER_BACKEND_KUBECONFIG',
  'HELPER_BACKEND_RESPONSE_INVALID',
  'HELPER_BACKEND_RESPONSE_JSON',
  'HELPER_BACKEND_RESPONSE_SIZE',
  'HELPER_BACKEND_STATUS',
  'HELPER_BACKEND_TIMEOUT',
  'HELPER_BACKEND_TLS',
  'HELPER_BACKEND_UNAUTHORIZED',
  'HELPER_BACKEND_UNAVAILABLE',
  'HELPER_BACKEND_UNREACHABLE',
  'HELPER_BINDING_INVALID',
  'HELPER_BINDING_JSON',
  'HELPER_BINDING_READ',
  'HELPER_BIND_URL',
  'HELPER_CA_FILE',
  'HELPER_CLIENT_ASSERTION',
  'HELPER_CLIENT_KEY',
  'HELPER_CLUSTER_FORBIDDEN',
  'HELPER_CLUSTER_NOT_FOUND',
  'HELPER_CLUSTER_RESPONSE',
  'HELPER_CLUSTER_STATUS',
  'HELPER_CLUSTER_TIMEOUT',
  'HELPER_CLUSTER_TLS',
  'HELPER_CLUSTER_UNAUTHORIZED',
  'HELPER_CLUSTER_UNKNOWN_KIND',
  'HELPER_CLUSTER_UNREACHABLE',
  'HELPER_CP_INCOMPLETE',
  'HELPER_CP_NOTHING_TO_ADOPT',
  'HELPER_CP_NOT_READY',
  'HELPER_CP_PREREQUISITES',
  'HELPER_CRD_FOREIGN',
  'HELPER_DECLINED',
  'HELPER_ENV',
  'HELPER_EXPORT_NOT_EXPORTED',
  'HELPER_EXPORT_REQUEST_FAILED',
  'HELPER_EXPORT_REQUEST_GONE',
  'HELPER_FLEET_DUPLICATE',
  'HELPER_FLEET_NOT_STARTED',
  'HELPER_FLEET_PARTIAL',
  'HELPER_INTERNAL',
  'HELPER_INTERRUPTED',
  'HELPER_KUBECONFIG',
  'HELPER_KUBECONFIG_CONTEXT',
  'HELPER_KUBECONFIG_INVALID',
  'HELPER_KUBECONFIG_READ',
  'HELPER_MANIFEST',
  'HELPER_NAMESPACE_DELETED',
  'HELPER_NAMESPACE_NAME',
  'HELPER_PREVIOUS',
  'HELPER_PROXY',
  'HELPER_SECRET_FOREIGN',
  'HELPER_SEED',
  'HELPER_STATUS_DEGRADED',
  'HELPER_STDOUT_TERMINAL',
  'HELPER_STATUS_MISSING',
  'HELPER_STATUS_TIMEOUT',
  'HELPER_STATUS_UNREADABLE',
  'HELPER_STATUS_UNREACHABLE',
  'HELPER_TOKEN_FAILED',
  'HELPER_TOKEN_REFUSED',
  'HELPER_TOKEN_STATUS',
  'HELPER_TOKEN_TIMEOUT',
  'HELPER_TOKEN_TLS',
  'HELPER_TOKEN_UNAVAILABLE',
  'HELPER_TOKEN_UNREACHABLE',
  'HELPER_TOKEN_URL',
  'HELPER_UNBIND_NOT_A_BINDING',
  'HELPER_UNBIND_REFUSED',
  'HELPER_UNBIND_TIMEOUT',
  'HELPER_USAGE',
  'HELPER_VALUES_CA',
  'HELPER_VALUES_INVALID',
  'HELPER_VALUES_MISSING',
  'HELPER_VALUES_PLACEHOLDER',
  'HELPER_VALUES_READ',
  'HELPER_VALUES_SECRET',
  'HELPER_VALUES_YAML',
  'HELPER_WAIT_TIMEOUT',
  'HELPER_WRITE_FILE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One row per exit code: the word the epilogs use and the README's meaning. */
export const EXIT_CODES: ReadonlyArray<{ name: ExitName; word: string; meaning: string }> = [
  { name: 'ok', word: 'ok', meaning: 'success' },
  {
    name: 'internal',
    word: 'internal error',
    meaning: 'unexpected internal error (a bug), or a Node.js older than 22.19 running `bin/helper`',
  },
  {
    name: 'usage',
    word: 'usage',
    meaning:
      'usage: unknown command or flag (reported first, with a did-you-mean), missing argument, bad duration, ' +
      'a bad `HELPER_` variable, `-o` clashes',
  },
  {
    name: 'input',
    word: 'input',
    meaning:
      'input: binding.json, environment variables (e.g. `OIDC_TOKEN_URL` without `https://`), kubeconfig ' +
      'file (none found, unreadable, not UTF-8, `--context` not in it), namespace name, output file, values ' +
      'file (also: `init` placeholders left, references unset)',
  },
  {
    name: 'auth',
    word: 'auth',
    meaning: 'auth: the token endpoint refused the client or is unreachable, or the backend answered 401/403',
  },
  {
    name: 'backend',
    word: 'backend',
    meaning:
      'backend: unreachable, non-200 after retries, a malformed 200 body, or an answer that does not match ' +
      'binding.json (an API not asked for, missing or doubled; a permission claim outside the policy and not ' +
      'in acceptClaims)',
  },
  {
    name: 'cluster',
    word: 'cluster',
    meaning:
      'cluster: the control plane (or, for `apply`, the App Cluster) is unreachable, fails TLS verification, ' +
      'refused (403) ' +
      'or rejected a request after the retries; `status`: a cluster it could not reach (its items marked ' +
      '`unreachable`, ' +
      'the rest reported) or an item the kubeconfig may not read (and nothing worse); `unbind`: a deletion refused ' +
      "(named); `bootstrap-env --write-secret`: a Secret of that name that is not the binding's (named); `apply`, " +
      "`bootstrap-env --apply-to`: a bound CRD on the App Cluster that is not the binding's (named, before " +
      'anything is ' +
      'applied)',
  },
  { name: 'timeout', word: 'timeout', meaning: 'timeout: a bounded wait ran out (the message says what it last saw)' },
  {
    name: 'failed',
    word: 'export failed',
    meaning:
      'failed: the control plane reported an export request Failed (its terminal message is shown), ' +
      'or kept it Pending with CRDNotFound past the 90 s grace period (it does not export that resource)',
  },
  {
    name: 'partial',
    word: 'fleet partly failed',
    meaning: 'fleet: some clusters failed (see the summary), the others were bound',
  },
  {
    name: 'deleted',
    word: 'deleted by the konnector',
    meaning:
      "deleted: what helper created was deleted while it waited; `create-ns`: the App Cluster's konnector " +
      'deleted the APIServiceNamespace because the namespace does not exist on the App Cluster (create it ' +
      'there first)',
  },
  {
    name: 'degraded',
    word: 'degraded',
    meaning:
      'status: the binding is degraded (an item exists but is not healthy: a stale heartbeat, ' +
      "the konnector's Lease not renewed (it does not run), a Failed export request, a binding not Ready)",
  },
  {
    name: 'missing',
    word: 'missing',
    meaning:
      'status: the binding is missing parts (e.g. unbound: no export request and no APIServiceNamespace; ' +
      'no ClusterBinding, no konnector, a binding or bound CRD absent, the credential rejected)',
  },
  {
    name: 'declined',
    word: 'declined',
    meaning:
      'declined: a question on the terminal (`unbind --purge` without `--yes`) was not answered yes; nothing was ' +
      'changed (not a usage error, and not 0: a `&&` chain after it must not go on)',
  },
  { name: 'sigint', word: 'interrupted', meaning: 'interrupted by SIGINT' },
  { name: 'sigterm', word: 'terminated', meaning: 'terminated by SIGTERM' },
];

/**
 * A command's "Exit codes: ..." epilog line: 0, the codes it can end with
 * (in table order; a note in parentheses after a word where given), 130/143.
 */
export function exitCodesEpilog(names: readonly ExitName[], notes: Partial<Record<ExitName, string>> = {}): string {
  const rows = EXIT_CODES.filter((r) => r.name === 'ok' || names.includes(r.name));
  const parts = rows.map((r) => `${ExitCode[r.name]} ${r.word}${notes[r.name] ? ` (${notes[r.name]})` : ''}`);
  return `Exit codes: ${[...parts, '130/143 interrupted'].join(', ')}.`;
}

/** The README's "Exit codes" table (between its markers). */
export function exitCodesMarkdown(): string {
  const rows = EXIT_CODES.filter((r) => r.name !== 'sigint' && r.name !== 'sigterm').map(
    (r) => `| ${ExitCode[r.name]} | ${r.meaning} |`,
  );
  return ['| code | meaning |', '| --- | --- |', ...rows, '| 130, 143 | interrupted by SIGINT, SIGTERM |'].join('\n');
}

export interface HelperErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
  /** false: running the same command again cannot end otherwise (a Failed export); the exit path does not advise it. */
  rerunHelps?: boolean | undefined;
}

export class HelperError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly rerunHelps: boolean;

  constructor(code: string, message: string, exitCode: number = ExitCode.internal, opts: HelperErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.rerunHelps = opts.rerunHelps ?? true;
  }
}

/** The command line itself is wrong (yargs validation, conflicting flags). */
export class UsageError extends HelperError {
  constructor(message: string, opts: HelperErrorOptions = {}) {
    super('HELPER_USAGE', message, ExitCode.usage, opts);
  }
}

/** The user answered a confirmation question with no (exit 13): nothing was changed. */
export class DeclinedError extends HelperError {
  constructor(message: string) {
    super('HELPER_DECLINED', message, ExitCode.declined);
  }
}

/** A file, variable or argument the user gave is missing or invalid. */
export class InputError extends HelperError {
  /** One line per problem, e.g. "/apis/0/resource: must match pattern ...". */
  readonly problems: readonly string[];
  constructor(code: string, message: string, problems: readonly string[] = [], opts: HelperErrorOptions = {}) {
    super(
      code,
      problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message,
      ExitCode.input,
      opts,
    );
    this.problems = problems;
  }
}

/** The identity provider or the backend refused our credentials. */
export class AuthError extends HelperError {
  constructor(code: string, message: string, opts: HelperErrorOptions = {}) {
    super(code, message, ExitCode.auth, opts);
  }
}

/** The bind backend failed or answered something we cannot use. */
export class BackendError extends HelperError {
  constructor(code: string, message: string, opts: HelperErrorOptions = {}) {
    super(code, message, ExitCode.backend, opts);
  }
}

/** A Kubernetes API server failed, refused or rejected a request. */
export class ClusterError extends HelperError {
  readonly status: number | undefined;
  /** Server-requested delay before a retry (Retry-After), when given. */
  retryAfterMs: number | undefined;
  constructor(code: string, message: string, opts: HelperErrorOptions & { status?: number | undefined } = {}) {
    super(code, message, ExitCode.cluster, opts);
    this.status = opts.status;
  }
}

/** A bounded wait ended before the awaited state was seen. */
export class TimeoutError extends HelperError {
  constructor(code: string, message: string, opts: HelperErrorOptions = {}) {
    super(code, message, ExitCode.timeout, opts);
  }
}

/** The server reported a terminal failure of something we created. */
export class FailedError extends HelperError {
  constructor(code: string, message: string, opts: HelperErrorOptions = {}) {
    super(code, message, ExitCode.failed, opts);
  }
}

/** A fleet in which some clusters failed and the others were bound (the summary says which). */
export class PartialError extends HelperError {
  constructor(message: string) {
    super('HELPER_FLEET_PARTIAL', message, ExitCode.partial);
  }
}

/** Something helper created was deleted by someone else while helper waited for it. */
export class DeletedError extends HelperError {
  constructor(code: string, message: string, opts: HelperErrorOptions = {}) {
    super(code, message, ExitCode.deleted, opts);
  }
}

/** The run was cancelled by a signal; exitCode is 130 or 143. */
export class InterruptedError extends HelperError {
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super('HELPER_INTERRUPTED', `interrupted by ${signal}`, signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
  }
}

export function isHelperError(err: unknown): err is HelperError {
  return err instanceof HelperError;
}

/**
 * A short, secret-free description of a low-level error (undici, node:net,
 * TLS): the error code and the innermost message, never headers or bodies.
 */
export function describeCause(err: unknown): string {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  let best = '';
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { code?: unknown; message?: unknown; cause?: unknown };
    const code = typeof e.code === 'string' ? e.code : '';
    const msg = typeof e.message === 'string' ? e.message : '';
    if (code || msg) best = code && msg && !msg.includes(code) ? `${code}: ${msg}` : msg || code;
    cur = e.cause;
  }
  return best || String(err);
}

/** True when a low-level error (or its description) is a TLS verification failure: never worth a retry. */
export function isTlsFailure(errOrText: unknown): boolean {
  const text = typeof errOrText === 'string' ? errOrText : describeCause(errOrText);
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|altnames/i.test(text);
}
