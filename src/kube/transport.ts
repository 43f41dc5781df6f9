/**
 * The transport of every Kubernetes call: one call runner (callApi: each
 * attempt bounded by a timeout and the run's signal, passing failures
 * retried, every failure translated once into a ClusterError that names
 * server and action and keeps a header- and body-free cause), one keep-alive
 * Agent per server and TLS setting per run, the credential headers, and one
 * HTTP exchange (sendRequest) or watch stream (openWatch) on undici.
 *
 * Every call goes through the kubeconfig's proxy-url, else the proxy the
 * environment names for the server (proxyFor in http.ts: HTTPS_PROXY and
 * NO_PROXY as kubectl reads them). Every answer is read up to RESPONSE_LIMIT
 * (16 MiB; lists in pages of LIST_PAGE objects), and the text of a server's
 * error is shown with its control characters escaped.
 *
 * The transport is injected (CallPolicy.dispatcher, an undici Dispatcher;
 * default the real Agent), so flows are tested in process with undici's MockAgent.
 */
import { createHash } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { ClusterError, describeCause, isTlsFailure } from '../errors.ts';
import {
  agentVia,
  describeLimit,
  hostOf,
  proxyFor,
  readLimited,
  RESPONSE_LIMIT,
  ResponseTooLargeError,
  tlsDetail,
  tlsHint,
  tooLarge,
} from '../http.ts';
import { log, redact, serverText } from '../log.ts';
import { parseRetryAfter, withRetry, type RetryDecision } from '../retry.ts';
import type { Connection } from './kubeconfig.ts';
import type { KObject } from './resources.ts';

export interface ApiFailure {
  status: number | undefined;
  reason: string | undefined;
  message: string;
  retryAfterMs?: number | undefined;
}

/** A non-2xx answer: status, the Status object's reason and message, Retry-After; never headers or the raw body. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, reason: string | undefined, message: string, retryAfterMs?: number | undefined) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The server does not serve this kind (discovery lists the group version, not the kind). */
export class UnknownKindError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`Unrecognized API version and kind: ${apiVersion} ${kind}`);
    this.name = 'UnknownKindError';
  }
}

const UNKNOWN_KIND = 'UnknownKind';

/**
 * Status, reason and message of an HTTP answer or a network error, without
 * headers. A kind the server does not serve is a 404 with reason UnknownKind.
 */
export function apiFailure(err: unknown): ApiFailure {
  if (err instanceof HttpStatusError)
    return { status: err.status, reason: err.reason, message: redact(err.message), retryAfterMs: err.retryAfterMs };
  const unknown = err instanceof Error ? /^Unrecognized API version and kind: (.+)$/.exec(err.message) : null;
  if (unknown) return { status: 404, reason: UNKNOWN_KIND, message: `it does not serve ${unknown[1]}` };
  return { status: undefined, reason: undefined, message: redact(describeCause(err)) };
}

/** Who is called and what for, as error and progress lines name them. */
export interface CallLabel {
  /** e.g. `control plane 127.0.0.1:6443`. */
  server: string;
  /** The whole action, for error messages: `create apiservicenamespaces "a" in namespace "b"`. */
  action: string;
  /** A short form for progress and timeout lines: `create apiservicenamespaces`; defaults to action. */
  short?: string | undefined;
  /** Hint attached to a 403. */
  forbiddenHint?: string | undefined;
}

/**
 * The one call policy of every Kubernetes call (and of the clients and
 * factories that make them): the bound of each attempt, the attempts, the
 * run's signal and the transport.
 */
export interface CallPolicy {
  /** Bound of each attempt (--request-timeout). */
  requestTimeoutMs: number;
  /** 1 + retries (network errors, timeouts, 429 and 5xx are retried). */
  attempts: number;
  /** First backoff; default 500 ms. */
  baseDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** The transport; default one keep-alive undici Agent per server and TLS setting for the run. */
  dispatcher?: Dispatcher | undefined;
}

/**
 * The one classification of control-plane and cluster API failures: network
 * errors, timeouts, malformed answers, 429 (Retry-After honoured) and 5xx
 * are passing; everything else (TLS, 4xx) is final.
 */
export function retryDecision(err: unknown): RetryDecision {
  if (!(err instanceof ClusterError)) return { retry: false };
  if (err.status !== undefined)
    return { retry: err.status === 429 || err.status >= 500, delayMs: err.retryAfterMs, reason: `HTTP ${err.status}` };
  switch (err.code) {
    case 'HELPER_CLUSTER_UNREACHABLE':
      return { retry: true, reason: 'connection failed' };
    case 'HELPER_CLUSTER_TIMEOUT':
      return { retry: true, reason: 'no answer in time' };
    case 'HELPER_CLUSTER_RESPONSE':
      return { retry: true, reason: 'malformed answer' };
    default:
      return { retry: false };
  }
}

/** A cause safe to keep: the original's name, code and description, nothing of headers or bodies. */
function safeCause(err: unknown): Error {
  const e = new Error(apiFailure(err).message);
  e.name = err instanceof Error ? err.name : 'Error';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (e as Error & { code?: string }).code = code;
  return e;
}

/** Translates a failure of one API call (HTTP status, network error, bad body) into a ClusterError naming server and
 * action. */
export function translateFailure(err: unknown, label: CallLabel): ClusterError {
  if (err instanceof ClusterError) return err;
  const f = apiFailure(err);
  const { server, action } = label;
  const cause = safeCause(err);
  if (f.status === 403) {
    return new ClusterError(
      'HELPER_CLUSTER_FORBIDDEN',
      `${server} refused to ${action} (403 Forbidden): ${f.message}`,
      { status: 403, hint: label.forbiddenHint, cause },
    );
  }
  if (f.status === 401) {
    return new ClusterError(
      'HELPER_CLUSTER_UNAUTHORIZED',
      `${server} did not accept the kubeconfig's credentials (401) when trying to ${action}`,
      { status: 401, cause },
    );
  }
  if (f.reason === UNKNOWN_KIND) {
    return new ClusterError(
      'HELPER_CLUSTER_UNKNOWN_KIND',
      `${server} cannot ${action}: ${f.message} (is its CustomResourceDefinition installed?)`,
      { status: 404, cause },
    );
  }
  const big = tooLarge(err);
  if (big) {
    return new ClusterError(
      'HELPER_CLUSTER_RESPONSE',
      `${server} answered ${action} with a body over ${describeLimit(big.limit)}, helper's limit for one ` +
        `Kubernetes answer (lists are read in pages of ${LIST_PAGE})`,
      { cause },
    );
  }
  if (f.status !== undefined) {
    const e = new ClusterError(
      f.status === 404 ? 'HELPER_CLUSTER_NOT_FOUND' : 'HELPER_CLUSTER_STATUS',
      `${server} failed to ${action}: HTTP ${f.status}${f.reason ? ` ${f.reason}` : ''}: ${f.message}`,
      { status: f.status, cause },
    );
    e.retryAfterMs = f.retryAfterMs;
    return e;
  }
  if (err instanceof SyntaxError || /JSON|Unexpected token|Unexpected end|content-type|is not valid/i.test(f.message)) {
    return new ClusterError(
      'HELPER_CLUSTER_RESPONSE',
      `${server} answered ${action} with a body that is not a Kubernetes object: ${f.message.slice(0, 200)}`,
      { cause },
    );
  }
  if (isTlsFailure(f.message)) {
    return new ClusterError('HELPER_CLUSTER_TLS', `TLS verification of ${server} failed: ${tlsDetail(f.message)}`, {
      hint: tlsHint(
        "the kubeconfig's certificate-authority-data does not match the server; pass the right CA with --ca-file",
      ),
      cause,
    });
  }
  return new ClusterError('HELPER_CLUSTER_UNREACHABLE', `cannot reach ${server} to ${action}: ${f.message}`, { cause });
}

/**
 * Runs one API call: each attempt bounded by the policy's timeout and the
 * run's signal (fn gets a signal that aborts the request itself), failures
 * translated (translateFailure), passing ones (retryDecision) retried with
 * backoff and a progress line. Callers only pass idempotent calls: reads,
 * server-side apply, and creates whose AlreadyExists they treat as success.
 */
export async function callApi<T>(
  label: CallLabel,
  policy: CallPolicy,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { signal } = policy;
  const short = label.short ?? label.action;
  const attempt = async (): Promise<T> => {
    if (signal?.aborted) throw signal.reason;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new ClusterError(
          'HELPER_CLUSTER_TIMEOUT',
          `${label.server} did not answer ${short} within ${Math.round(policy.requestTimeoutMs / 1000)}s`,
        );
        ac.abort(e);
        reject(e);
      }, policy.requestTimeoutMs);
      onAbort = () => {
        ac.abort(signal!.reason);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(ac.signal), bounded]);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw translateFailure(err, label);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      // The losing side of the race may still reject; nobody waits for it.
      bounded.catch(() => {});
    }
  };
  return withRetry(attempt, {
    attempts: policy.attempts,
    baseDelayMs: policy.baseDelayMs ?? 500,
    maxDelayMs: 8000,
    signal,
    classify: retryDecision,
    onRetry: ({ attempt: n, delayMs, reason }) =>
      log.warn(
        `${label.server}: ${short}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${n + 1} ` +
          `of ${policy.attempts})`,
      ),
  });
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof ClusterError && err.status === status;
}

/** The one "2xx answer that is not the object" check: the client takes no 2xx on trust (a proxy's HTML page is a 200
 * too). */
export function expectObject(v: unknown, what: string, name?: string): KObject {
  const ok =
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as KObject).metadata === 'object' &&
    (v as KObject).metadata !== null;
  if (!ok || (name !== undefined && (v as KObject).metadata!.name !== name))
    throw new SyntaxError(`the answer is not ${what}`);
  return v as KObject;
}

export function expectList(v: unknown, what: string): KObject[] {
  const items = (v as { items?: unknown } | null)?.items;
  if (typeof v !== 'object' || v === null || !Array.isArray(items)) throw new SyntaxError(`the answer is not ${what}`);
  return items as KObject[];
}

/** One keep-alive Agent per server and TLS setting, for the whole run (a fleet's clusters share one control plane). */
const agents = new Map<string, Dispatcher>();

/**
 * The proxy of a connection, as kubectl picks it: the kubeconfig's proxy-url
 * (NO_PROXY does not apply to it), else the environment's (proxyFor).
 */
export function proxyOf(conn: Connection): URL | undefined {
  return conn.proxyUrl ? new URL(conn.proxyUrl) : proxyFor(new URL(conn.server));
}

function agentFor(conn: Connection, cert?: { certPem?: string | undefined; keyPem?: string | undefined }): Dispatcher {
  const certPem = cert?.certPem ?? (conn.auth.kind === 'client-certificate' ? conn.auth.certPem : undefined);
  const keyPem = cert?.keyPem ?? (conn.auth.kind === 'client-certificate' ? conn.auth.keyPem : undefined);
  const proxy = proxyOf(conn);
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        new URL(conn.server).origin,
        conn.caPem,
        conn.insecure,
        conn.tlsServerName,
        proxy?.href,
        certPem,
        keyPem,
      ]),
    )
    .digest('hex');
  let a = agents.get(key);
  if (!a) {
    const secureContext =
      conn.caPem || certPem
        ? createSecureContext({
            ...(conn.caPem ? { ca: conn.caPem } : {}),
            ...(certPem && keyPem ? { cert: certPem, key: keyPem } : {}),
          })
        : undefined;
    const tls = {
      ...(secureContext ? { secureContext } : {}),
      rejectUnauthorized: !conn.insecure,
      ...(conn.tlsServerName ? { servername: conn.tlsServerName } : {}),
    };
    a = agentVia(proxy, { tls, connectTimeoutMs: 10_000 });
    agents.set(key, a);
  }
  return a;
}

/** Objects per list request (kubectl's --chunk-size is 500): a page stays far below RESPONSE_LIMIT. */
export const LIST_PAGE = 250;
/** Pages one list follows at most (a server whose continue tokens never end). */
export const MAX_PAGES = 2000;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  query?: Record<string, string | undefined> | undefined;
  body?: unknown;
  contentType?: string | undefined;
}

/** The transport and the headers of the credential (a plugin may return a client certificate, which is part of the
 * Agent). */
async function transportOf(
  conn: Connection,
  dispatcher: Dispatcher | undefined,
): Promise<{ dispatcher: Dispatcher; headers: Record<string, string> }> {
  const a = conn.auth;
  const headers: Record<string, string> = conn.impersonate ? { 'impersonate-user': conn.impersonate } : {};
  let cert: { certPem?: string | undefined; keyPem?: string | undefined } | undefined;
  if (a.kind === 'token') headers.authorization = `Bearer ${a.token}`;
  else if (a.kind === 'basic')
    headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
  else if (a.kind === 'plugin') {
    const p = await a.credentials();
    if (p.authorization) headers.authorization = p.authorization;
    if (p.certPem && p.keyPem) cert = p;
  }
  return { dispatcher: dispatcher ?? agentFor(conn, cert), headers };
}

/**
 * One HTTP exchange (no retry, no translation): the parsed JSON answer of
 * a 2xx, else HttpStatusError with the Status object's reason and message.
 */
export async function sendRequest(
  conn: Connection,
  policy: CallPolicy,
  spec: RequestSpec,
  signal?: AbortSignal,
): Promise<unknown> {
  const { dispatcher, headers } = await transportOf(conn, policy.dispatcher);
  const q = spec.query ? Object.entries(spec.query).filter((e): e is [string, string] => e[1] !== undefined) : [];
  const path =
    `${new URL(conn.server).pathname.replace(/\/$/, '')}${spec.path}` +
    `${q.length ? `?${new URLSearchParams(q)}` : ''}`;
  const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
  const res = await dispatcher.request({
    origin: new URL(conn.server).origin,
    path,
    method: spec.method,
    headers: {
      ...headers,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': spec.contentType ?? 'application/json' } : {}),
    },
    body,
    signal,
    headersTimeout: policy.requestTimeoutMs,
    bodyTimeout: policy.requestTimeoutMs,
  });
  const text = (await readLimited(res.body, hostOf(conn.server))).toString('utf8');
  const type = String(res.headers['content-type'] ?? '');
  let parsed: unknown;
  let json = false;
  if (text && (/json/i.test(type) || /^\s*[{[]/.test(text))) {
    try {
      parsed = JSON.parse(text);
      json = true;
    } catch {
      // reported below without the body
    }
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const s = (json && parsed && typeof parsed === 'object' ? parsed : {}) as { reason?: unknown; message?: unknown };
    // A Status object's message; else the server's own short text (a proxy's "unavailable"), as the API server's
    // clients show it.
    // Either is the server's text: control characters (escape sequences, line breaks) are shown escaped.
    const plain = json ? '' : text.trim().slice(0, 300);
    const message =
      typeof s.message === 'string'
        ? serverText(s.message)
        : plain
          ? serverText(redact(plain))
          : `HTTP ${res.statusCode}${type ? ` (${serverText(type.split(';')[0]!)})` : ''}`;
    const ra = res.headers['retry-after'];
    const reason = typeof s.reason === 'string' ? serverText(s.reason.slice(0, 100)) : undefined;
    throw new HttpStatusError(res.statusCode, reason, message, parseRetryAfter(Array.isArray(ra) ? ra[0] : ra));
  }
  if (!json)
    throw new SyntaxError(
      `the answer is not JSON${type ? ` (content-type ${serverText(type.split(';')[0]!.slice(0, 100))})` : ''}`,
    );
  return parsed;
}

/** Starts a watch for waitUntil (kube/wait.ts). */
export type WatchStart = (onEvent: () => void, onEnd: (err?: unknown) => void, signal: AbortSignal) => Promise<void>;

/**
 * Watches one object of a collection until the signal aborts: onEvent on
 * every change, onEnd once when the watch ends (error or close). Resolves
 * once the server answered the watch; rejects when it cannot start.
 */
export async function openWatch(
  conn: Connection,
  policy: CallPolicy,
  collectionPath: string,
  name: string,
  onEvent: () => void,
  onEnd: (err?: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const { dispatcher, headers } = await transportOf(conn, policy.dispatcher);
  const base = new URL(conn.server);
  const res = await dispatcher.request({
    origin: base.origin,
    path:
      `${base.pathname.replace(/\/$/, '')}${collectionPath}?` +
      `${new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}` })}`,
    method: 'GET',
    headers: { ...headers, accept: 'application/json' },
    signal,
    headersTimeout: policy.requestTimeoutMs,
    bodyTimeout: 0,
  });
  if (res.statusCode !== 200) {
    res.body.resume();
    throw new HttpStatusError(res.statusCode, undefined, `watch answered HTTP ${res.statusCode}`);
  }
  let ended = false;
  const end = (err?: unknown) => {
    if (!ended) {
      ended = true;
      onEnd(err);
    }
  };
  void (async () => {
    try {
      // Bytes since the last line break: one event may not grow past RESPONSE_LIMIT either.
      let line = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        // Every line is an event; the wait reads the object itself, so the content does not matter.
        const nl = chunk.lastIndexOf(10);
        line = nl < 0 ? line + chunk.length : chunk.length - nl - 1;
        if (line > RESPONSE_LIMIT) {
          res.body.destroy();
          end(new ResponseTooLargeError(hostOf(conn.server), RESPONSE_LIMIT));
          return;
        }
        if (nl >= 0) onEvent();
      }
      end();
    } catch (err) {
      end(signal.aborted ? undefined : err);
    }
  })();
}
