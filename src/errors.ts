/**
 * Every failure `helper` reports is a HelperError: a stable string code, the
 * exit code the process ends with, a message that names the input and the
 * problem (never a secret), an optional hint, and the original error as cause.
 *
 * Exit codes (documented in README.md, "Exit codes"):
 *
 * | code | class          | meaning                                                       |
 * |------|----------------|---------------------------------------------------------------|
 * | 0    |                | success                                                       |
 * | 1    | HelperError    | unexpected internal error (a bug: please report it)           |
 * | 2    | UsageError     | bad command line: unknown flag, missing argument              |
 * | 3    | InputError     | bad input: binding.json, env vars, kubeconfig file, names     |
 * | 4    | AuthError      | token endpoint refused us, or the backend answered 401/403    |
 * | 5    | BackendError   | bind backend unreachable, non-200, or malformed 200 body      |
 * | 6    | ClusterError   | control-plane API unreachable, refused or rejected a request  |
 * | 7    | TimeoutError   | a bounded wait ran out (the message says what it last saw)    |
 * | 8    | FailedError    | the control plane reported a terminal failure (e.g. Failed)   |
 * | 9    |                | fleet: some clusters failed, the others were bound            |
 * | 10   | DeletedError   | what helper created was deleted while it waited (create-ns:   |
 * |      |                | the App Cluster's konnector, the namespace is not there)      |
 * | 11   |                | status: the binding is degraded (an item is not healthy)      |
 * | 12   |                | status: the binding is missing parts (an item does not exist) |
 * | 130  |                | interrupted by SIGINT                                         |
 * | 143  |                | terminated by SIGTERM                                         |
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
  sigint: 130,
  sigterm: 143,
} as const;

export interface HelperErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

export class HelperError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(code: string, message: string, exitCode: number = ExitCode.internal, opts: HelperErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
  }
}

/** The command line itself is wrong (yargs validation, conflicting flags). */
export class UsageError extends HelperError {
  constructor(message: string, opts: HelperErrorOptions = {}) {
    super('HELPER_USAGE', message, ExitCode.usage, opts);
  }
}

/** A file, variable or argument the user gave is missing or invalid. */
export class InputError extends HelperError {
  /** One line per problem, e.g. "/apis/0/resource: must match pattern ...". */
  readonly problems: readonly string[];
  constructor(code: string, message: string, problems: readonly string[] = [], opts: HelperErrorOptions = {}) {
    super(code, problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message, ExitCode.input, opts);
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
