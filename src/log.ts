/**
 * The stderr-only logger. stdout belongs to the artifact; every diagnostic
 * goes through here, and every line passes through redact() so that a
 * registered secret (client secret, access token, kubeconfig token) or
 * anything shaped like a bearer token or JWT never reaches the terminal or a
 * CI log, at any verbosity and in both formats; and every control character
 * (a terminal escape sequence a server sent) is shown escaped (escapeControl).
 */

import { AsyncLocalStorage } from 'node:async_hooks';

export type LogFormat = 'text' | 'json';
/** trace (-vv): debug plus one line per HTTP request. */
export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/** The values registered for redaction in one scope, and the same longest first (rebuilt after each add). */
export class Secrets {
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;
  add(value: string): void {
    this.values.add(value);
    this.sorted = undefined;
  }
  longestFirst(): string[] {
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    return this.sorted;
  }
}

/** Registers a value that must never be printed (in the current scope). Short values are ignored. */
export function addSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) {
    const { secrets } = currentScope();
    secrets.add(value);
    // The same secret often travels base64-encoded (kubeconfig Secret data).
    secrets.add(Buffer.from(value).toString('base64'));
  }
}

const patterns: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  new RegExp(
    String.raw`(\b\\?"?(?:token|access_token|refresh_token|id_token|client_secret|password)\\?"?\s*[:=]\s*\\?"?)` +
      String.raw`([A-Za-z0-9._~+/=-]{8,})(?=\\?["\s,}&]|$)`,
    'gim',
  ),
];

/**
 * Whether a value after `token=` / `"password":` looks like a credential
 * rather than a word of a message: it mixes letters and digits or is long
 * and mixes cases. "environment" or "POSTGRESQL_PASSWORD" is a word;
 * "abcdefgh12345678" is a token.
 */
function tokenShaped(v: string): boolean {
  const letters = /[A-Za-z]/.test(v);
  const digits = /[0-9]/.test(v);
  if (letters && digits) return true;
  return v.length >= 16 && /[a-z]/.test(v) && /[A-Z]/.test(v);
}

/**
 * Replaces registered secrets (and their base64) and token-shaped strings:
 * bearer/basic credentials, JWTs, and token-shaped values of credential
 * keys. Nothing else: a message's own words are never replaced.
 */
export function redact(text: string): string {
  let out = text;
  for (const s of currentScope().secrets.longestFirst()) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  out = out.replace(patterns[0]!, (_m, scheme: string) => `${scheme} [REDACTED]`);
  out = out.replace(patterns[1]!, '[REDACTED-JWT]');
  out = out.replace(patterns[2]!, (m, prefix: string, value: string) =>
    tokenShaped(value) ? `${prefix}[REDACTED]` : m,
  );
  return out;
}

/**
 * Characters a terminal acts on instead of showing: the C0 controls but
 * newline and tab, DEL, the C1 controls (U+0080-U+009F; U+009B is a CSI), and
 * the bidirectional overrides and isolates that reorder what is shown.
 */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same and newline and tab: for text a server sent, which must stay on its line. */
const CONTROL_AND_BREAKS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The characters JSON.stringify leaves as they are but a terminal acts on. */
const CONTROL_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');
const visible = (c: string): string =>
  c === '\n'
    ? '\\n'
    : c === '\r'
      ? '\\r'
      : c === '\t'
        ? '\\t'
        : c.charCodeAt(0) < 0x100
          ? `\\x${hex(c, 2)}`
          : `\\u${hex(c, 4)}`;

/**
 * Shows control characters as escapes (ESC as `\x1b`, BEL as `\x07`, CSI as
 * `\x9b`, U+202E as `\u202e`), keeping newlines and tabs: every line helper
 * writes to stderr passes through here, so no escape sequence a server sent
 * (in an error body, a TLS certificate's names, a Status message) can
 * retitle, clear or rewrite the user's terminal.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, visible);
}

/**
 * Text a server sent, for a message: every control character escaped,
 * newline, carriage return and tab too (a server's text cannot start a line
 * of its own that looks like helper's).
 */
export function serverText(text: string): string {
  return text.replace(CONTROL_AND_BREAKS, visible);
}

/** A line for stderr: redacted, control characters escaped. */
export function forTerminal(text: string): string {
  return escapeControl(redact(text));
}

export interface LoggerOptions {
  level?: Level;
  format?: LogFormat;
  write?: (line: string) => void;
  /** Whose line it is (a fleet's member): text `[value] ` before each line, JSON a field `key`. */
  tag?: { key: string; value: string } | undefined;
}

/** The level methods, each one line through log() (the one method a logger or a test's stand-in provides). */
abstract class LevelMethods {
  abstract log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  trace(msg: string, fields?: Record<string, unknown>): void {
    this.log('trace', msg, fields);
  }
}

export class Logger extends LevelMethods {
  level: Level;
  format: LogFormat;
  private readonly write: (line: string) => void;
  private readonly tag: LoggerOptions['tag'];

  constructor(opts: LoggerOptions = {}) {
    super();
    this.level = opts.level ?? 'info';
    this.format = opts.format ?? 'text';
    this.write = opts.write ?? ((line) => process.stderr.write(line));
    this.tag = opts.tag;
  }

  /** The same output, level and format, each line tagged (a fleet's member: `[clusterID] ...`). */
  child(tag: { key: string; value: string }): Logger {
    return new Logger({ level: this.level, format: this.format, write: this.write, tag });
  }

  enabled(level: Level): boolean {
    return order[level] <= order[this.level];
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    if (this.format === 'json') {
      const tagged = this.tag ? { [this.tag.key]: this.tag.value } : {};
      const rec = { time: new Date().toISOString(), level, ...tagged, msg, ...fields };
      // JSON.stringify escapes the C0 controls; the rest become \\u escapes, still valid JSON.
      this.write(redact(JSON.stringify(rec)).replace(CONTROL_IN_JSON, (c) => `\\u${hex(c, 4)}`) + '\n');
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const prefix = `${this.tag ? `[${this.tag.value}] ` : ''}${level === 'info' ? '' : `${level}: `}`;
    this.write(forTerminal(`${prefix}${msg}${extra ? ' ' + extra : ''}`) + '\n');
  }
}

/**
 * The scope of one run: its logger, its secret registry and the environment
 * its proxy settings come from (http.ts). The CLI runs in the process scope
 * (stderr, process.env); every library call (src/index.ts) opens its own scope
 * (runInScope): the caller's logger or none, a registry of its own, the
 * caller's environment or none. Scopes follow the async calls of a run
 * (AsyncLocalStorage), so two concurrent calls never mix their lines or secrets.
 */
export interface RunScope {
  logger: Logger;
  secrets: Secrets;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (http.ts proxyFor). */
  env: Readonly<Record<string, string | undefined>>;
}

let processScope: RunScope | undefined;
const scopes = new AsyncLocalStorage<RunScope>();

/** The process scope: stderr and process.env (the CLI, and tests that call a flow directly). */
function defaultScope(): RunScope {
  processScope ??= { logger: new Logger(), secrets: new Secrets(), env: process.env };
  return processScope;
}

/** The scope of the code running now. */
export function currentScope(): RunScope {
  return scopes.getStore() ?? defaultScope();
}

/** Runs fn (and everything it awaits) in a scope of its own. */
export function runInScope<T>(scope: RunScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** A logger that writes nothing (a library call without a logger). */
export const silent = (): Logger => new Logger({ level: 'error', write: () => {} });

/**
 * The logger every module writes to: the current scope's. cli.ts sets its
 * level and format from --quiet/-v/--log-format (on the process scope's logger).
 */
class ScopedLog extends LevelMethods {
  private get target(): Logger {
    return currentScope().logger;
  }
  get level(): Level {
    return this.target.level;
  }
  set level(l: Level) {
    this.target.level = l;
  }
  get format(): LogFormat {
    return this.target.format;
  }
  set format(f: LogFormat) {
    this.target.format = f;
  }
  enabled(level: Level): boolean {
    return this.target.enabled(level);
  }
  log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    this.target.log(level, msg, fields);
  }
}

/** The current scope's logger (see RunScope). */
export const log = new ScopedLog();
