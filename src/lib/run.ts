/**
 * What every library call shares: the options each takes (RunOptions: signal, logger, env, clock, files;
 * ConnectOptions; a kubeconfig source), the scope a call runs in, and the mapping of those plain inputs onto
 * what the flows take. Nothing here reads process.*: a call sees the environment it is given (default none).
 *
 * The CLI calls the same functions (commands/ → lib/): its call carries a `CliCall` (the run's journal) and runs
 * in the process scope cli.ts set up (stderr with --quiet/-v/--log-format, process.env, one secret registry);
 * every other call opens a scope of its own (log.ts runInScope): the caller's logger or none, its own registry,
 * the caller's environment or none.
 */
import type { Files } from '../flows/deps.ts';
import type { Journal } from '../journal.ts';
import { Logger, runInScope, Secrets, silent, type Level, type LogFormat } from '../log.ts';

export type { Files };

/**
 * Where log lines go: a function of one line (already redacted, control
 * characters escaped, ending in a newline), or that with a level and format.
 * Without one a call writes nothing.
 */
export type LogSink = ((line: string) => void) | { write: (line: string) => void; level?: Level; format?: LogFormat };

/**
 * An undici Dispatcher (Agent, ProxyAgent, MockAgent) for the token endpoint,
 * the backend and the control plane of bind. Typed loosely so that the types
 * do not need undici installed.
 */
export type Transport = object;

/** What every call takes; all optional. */
export interface RunOptions {
  /** Aborts the call (every wait and request observes it). */
  signal?: AbortSignal;
  /** Where the call's log lines go (default: nowhere). */
  logger?: LogSink;
  /**
   * The environment the call sees: HTTPS_PROXY/HTTP_PROXY/NO_PROXY, $KUBECONFIG and $HOME for a kubeconfig
   * not named. Default: none ({}).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
  /** The local files read and written (default: the file system). */
  files?: Files;
}

/** The transport of a call that takes one (bind, createNamespace, applyManifests). */
export interface TransportOptions {
  /**
   * An undici Dispatcher for bind's token endpoint, backend and control plane, or createNamespace's and
   * applyManifests' cluster (default: keep-alive agents with the TLS inputs).
   */
  dispatcher?: Transport;
}

/** How the servers are reached. */
export interface ConnectOptions {
  /** An extra PEM CA bundle file trusted for the servers (the kubeconfig's own CA stays trusted). */
  caFile?: string;
  /** Do not verify TLS certificates (logs a warning; never in production). */
  insecure?: boolean;
  /** The bound of each request (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** Retries of a request on network errors, timeouts, 429 and 5xx (default 3; bind: 4). */
  retries?: number;
}

/** A kubeconfig: a file, and a context in it. */
export interface KubeconfigSource {
  /** Path of the kubeconfig (default: $KUBECONFIG of `env`, else ~/.kube/config under its $HOME). */
  kubeconfig?: string;
  /** Its context (default: its current-context). */
  context?: string;
}

/** @internal The CLI's call (not part of the public surface): the run's journal, in the process scope cli.ts set up. */
export interface CliCall {
  journal: Journal;
}

/** Default call settings (the CLI's flag defaults). */
const REQUEST_TIMEOUT_MS = 30_000;

/** @internal Runs fn in the call's scope: the CLI's process scope, or one of its own. */
export async function inScope<T>(run: RunOptions, cli: CliCall | undefined, fn: () => Promise<T>): Promise<T> {
  if (cli) return fn();
  return runInScope({ logger: loggerOf(run.logger), secrets: new Secrets(), env: run.env ?? {} }, fn);
}

function loggerOf(sink: LogSink | undefined): Logger {
  if (!sink) return silent();
  if (typeof sink === 'function') return new Logger({ write: sink });
  return new Logger({ write: (line) => sink.write(line), level: sink.level ?? 'info', format: sink.format ?? 'text' });
}

/** @internal The flows' deps of a call: what it was given, and the CLI's journal. */
export function depsOf(run: RunOptions, cli?: CliCall) {
  return {
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.clock ? { clock: run.clock } : {}),
    ...(run.files ? { files: run.files } : {}),
    ...(cli ? { journal: cli.journal } : {}),
  };
}

/** @internal The flows' TLS and call policy of the inputs (`retries` default per verb). */
export function callsOf(c: ConnectOptions, retries: number) {
  return {
    caFile: c.caFile,
    insecure: c.insecure ?? false,
    requestTimeoutMs: c.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    attempts: (c.retries ?? retries) + 1,
  };
}

/** @internal The environment the flows see: the call's own (a copy), never process.env unless the caller passed it. */
export function envOf(run: RunOptions): NodeJS.ProcessEnv {
  return { ...(run.env ?? {}) } as NodeJS.ProcessEnv;
}
