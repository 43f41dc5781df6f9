/**
 * The stderr-only logger. stdout belongs to the artifact; every diagnostic
 * goes through here, and every line passes through redact() so that a
 * registered secret (client secret, access token, kubeconfig token) or
 * anything shaped like a bearer token or JWT never reaches the terminal or a
 * CI log, at any verbosity and in both formats.
 */

export type LogFormat = 'text' | 'json';
/** trace (-vv): debug plus one line per HTTP request. */
export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

const secrets = new Set<string>();

/** Registers a value that must never be printed. Short values are ignored. */
export function addSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) {
    secrets.add(value);
    // The same secret often travels base64-encoded (kubeconfig Secret data).
    secrets.add(Buffer.from(value).toString('base64'));
  }
}

const patterns: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  /(\\?"?(?:token|access_token|refresh_token|id_token|client_secret|password)\\?"?\s*[:=]\s*\\?"?)[A-Za-z0-9._~+/=-]{8,}(?=\\?["\s,}&]|$)/gim,
];

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  out = out.replace(patterns[0]!, (_m, scheme: string) => `${scheme} [REDACTED]`);
  out = out.replace(patterns[1]!, '[REDACTED-JWT]');
  out = out.replace(patterns[2]!, (_m, prefix: string) => `${prefix}[REDACTED]`);
  return out;
}

export interface LoggerOptions {
  level?: Level;
  format?: LogFormat;
  write?: (line: string) => void;
}

export class Logger {
  level: Level;
  format: LogFormat;
  private readonly write: (line: string) => void;

  constructor(opts: LoggerOptions = {}) {
    this.level = opts.level ?? 'info';
    this.format = opts.format ?? 'text';
    this.write = opts.write ?? ((line) => process.stderr.write(line));
  }

  enabled(level: Level): boolean {
    return order[level] <= order[this.level];
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    if (this.format === 'json') {
      const rec = { time: new Date().toISOString(), level, msg, ...fields };
      this.write(redact(JSON.stringify(rec)) + '\n');
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const prefix = level === 'info' ? '' : `${level}: `;
    this.write(redact(`${prefix}${msg}${extra ? ' ' + extra : ''}`) + '\n');
  }

  error(msg: string, fields?: Record<string, unknown>): void { this.log('error', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.log('warn', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.log('info', msg, fields); }
  debug(msg: string, fields?: Record<string, unknown>): void { this.log('debug', msg, fields); }
  trace(msg: string, fields?: Record<string, unknown>): void { this.log('trace', msg, fields); }
}

/** The process-wide logger; cli.ts configures it from --quiet/-v/--log-format. */
export const log = new Logger();
