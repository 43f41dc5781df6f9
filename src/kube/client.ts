/**
 * The one Kubernetes client, on undici: one call runner (callApi: each
 * attempt bounded by a timeout and the run's signal, passing failures
 * retried, every failure translated once into a ClusterError that names
 * server and action and keeps a header- and body-free cause), one keep-alive
 * Agent per server and TLS setting per run, and one client for objects of
 * any kind (KubeClient, the ObjectClient of objects.ts) with REST mapping by
 * discovery for kinds whose plural helper does not know. ControlPlane is its
 * view of the klutch objects in one cluster namespace.
 *
 * Every call goes through the kubeconfig's proxy-url, else the proxy the
 * environment names for the server (proxyFor in http.ts: HTTPS_PROXY and
 * NO_PROXY as kubectl reads them). Every answer is read up to RESPONSE_LIMIT
 * (16 MiB; lists in pages of LIST_PAGE objects), and the text of a server's
 * error is shown with its control characters escaped.
 *
 * The transport is injected (an undici Dispatcher; default the real Agent),
 * so flows are tested in process with undici's MockAgent.
 */
import { createHash } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { ClusterError, describeCause, isTlsFailure } from '../errors.ts';
import { agentVia, describeLimit, hostOf, proxyFor, readLimited, RESPONSE_LIMIT, ResponseTooLargeError, tlsDetail, tlsHint, tooLarge } from '../http.ts';
import { log, redact, serverText } from '../log.ts';
import { KLUTCH_GROUP } from '../render/crds.ts';
import { parseRetryAfter, withRetry, type RetryDecision } from '../retry.ts';
import type { Connection } from './kubeconfig.ts';
import type { DeleteOptions, Kind, ObjectClient } from './objects.ts';

// One name for the klutch API group (render/crds.ts, pure, holds it; kube/ re-exports it).
export { KLUTCH_GROUP };
export const KLUTCH_VERSION = 'v1alpha1';
/** apiVersion of every klutch.anynines.com object helper creates. */
export const KLUTCH_API_VERSION = `${KLUTCH_GROUP}/${KLUTCH_VERSION}`;

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generateName?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

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
  if (err instanceof HttpStatusError) return { status: err.status, reason: err.reason, message: redact(err.message), retryAfterMs: err.retryAfterMs };
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

export interface CallPolicy {
  /** Bound of each attempt. */
  timeoutMs: number;
  /** 1 + retries. */
  attempts: number;
  baseDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The one classification of control-plane and cluster API failures: network
 * errors, timeouts, malformed answers, 429 (Retry-After honoured) and 5xx
 * are passing; everything else (TLS, 4xx) is final.
 */
export function retryDecision(err: unknown): RetryDecision {
  if (!(err instanceof ClusterError)) return { retry: false };
  if (err.status !== undefined) return { retry: err.status === 429 || err.status >= 500, delayMs: err.retryAfterMs, reason: `HTTP ${err.status}` };
  switch (err.code) {
    case 'HELPER_CLUSTER_UNREACHABLE': return { retry: true, reason: 'connection failed' };
    case 'HELPER_CLUSTER_TIMEOUT': return { retry: true, reason: 'no answer in time' };
    case 'HELPER_CLUSTER_RESPONSE': return { retry: true, reason: 'malformed answer' };
    default: return { retry: false };
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

/** Translates a failure of one API call (HTTP status, network error, bad body) into a ClusterError naming server and action. */
export function translateFailure(err: unknown, label: CallLabel): ClusterError {
  if (err instanceof ClusterError) return err;
  const f = apiFailure(err);
  const { server, action } = label;
  const cause = safeCause(err);
  if (f.status === 403) {
    return new ClusterError('HELPER_CLUSTER_FORBIDDEN', `${server} refused to ${action} (403 Forbidden): ${f.message}`, { status: 403, hint: label.forbiddenHint, cause });
  }
  if (f.status === 401) {
    return new ClusterError('HELPER_CLUSTER_UNAUTHORIZED', `${server} did not accept the kubeconfig's credentials (401) when trying to ${action}`, { status: 401, cause });
  }
  if (f.reason === UNKNOWN_KIND) {
    return new ClusterError('HELPER_CLUSTER_UNKNOWN_KIND', `${server} cannot ${action}: ${f.message} (is its CustomResourceDefinition installed?)`, { status: 404, cause });
  }
  const big = tooLarge(err);
  if (big) {
    return new ClusterError('HELPER_CLUSTER_RESPONSE', `${server} answered ${action} with a body over ${describeLimit(big.limit)}, helper's limit for one Kubernetes answer (lists are read in pages of ${LIST_PAGE})`, { cause });
  }
  if (f.status !== undefined) {
    const e = new ClusterError(f.status === 404 ? 'HELPER_CLUSTER_NOT_FOUND' : 'HELPER_CLUSTER_STATUS', `${server} failed to ${action}: HTTP ${f.status}${f.reason ? ` ${f.reason}` : ''}: ${f.message}`, { status: f.status, cause });
    e.retryAfterMs = f.retryAfterMs;
    return e;
  }
  if (err instanceof SyntaxError || /JSON|Unexpected token|Unexpected end|content-type|is not valid/i.test(f.message)) {
    return new ClusterError('HELPER_CLUSTER_RESPONSE', `${server} answered ${action} with a body that is not a Kubernetes object: ${f.message.slice(0, 200)}`, { cause });
  }
  if (isTlsFailure(f.message)) {
    return new ClusterError('HELPER_CLUSTER_TLS', `TLS verification of ${server} failed: ${tlsDetail(f.message)}`, { hint: tlsHint('the kubeconfig\'s certificate-authority-data does not match the server; pass the right CA with --ca-file'), cause });
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
export async function callApi<T>(label: CallLabel, policy: CallPolicy, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal } = policy;
  const short = label.short ?? label.action;
  const attempt = async (): Promise<T> => {
    if (signal?.aborted) throw signal.reason;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new ClusterError('HELPER_CLUSTER_TIMEOUT', `${label.server} did not answer ${short} within ${Math.round(policy.timeoutMs / 1000)}s`);
        ac.abort(e);
        reject(e);
      }, policy.timeoutMs);
      onAbort = () => { ac.abort(signal!.reason); reject(signal!.reason); };
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
      log.warn(`${label.server}: ${short}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${n + 1} of ${policy.attempts})`),
  });
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof ClusterError && err.status === status;
}

/** The one "2xx answer that is not the object" check: the client takes no 2xx on trust (a proxy's HTML page is a 200 too). */
export function expectObject(v: unknown, what: string, name?: string): KObject {
  const ok = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as KObject).metadata === 'object' && (v as KObject).metadata !== null;
  if (!ok || (name !== undefined && (v as KObject).metadata!.name !== name)) throw new SyntaxError(`the answer is not ${what}`);
  return v as KObject;
}

function expectList(v: unknown, what: string): KObject[] {
  const items = (v as { items?: unknown } | null)?.items;
  if (typeof v !== 'object' || v === null || !Array.isArray(items)) throw new SyntaxError(`the answer is not ${what}`);
  return items as KObject[];
}

// ---------------------------------------------------------------------------
// Transport

export interface KubeOptions {
  /** How messages name the server: "control plane", "App Cluster", "cluster". */
  label: string;
  requestTimeoutMs?: number | undefined;
  /** Attempts per call (network errors, timeouts, 429 and 5xx are retried); default 4. */
  attempts?: number | undefined;
  baseDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** The transport; default one keep-alive undici Agent per server and TLS setting for the run. */
  dispatcher?: Dispatcher | undefined;
  /** Hint attached to a 403 of the generic object calls. */
  forbiddenHint?: string | undefined;
  /** How messages name each generic call; default `get Secret "a" in namespace "b"`. */
  wording?: Wording | undefined;
}

/** How a client's messages name a call: the whole action for errors, a short form for progress lines. */
export type Wording = (verb: string, kind: Kind, name: string | undefined, namespace: string | undefined, dryRun?: boolean) => { action: string; short: string };

/** What flows take to reach a cluster: a connection (from readKubeconfig) and options → a client. */
export type KubeFactory = (conn: Connection, opts: KubeOptions) => KubeClient;

/** The default KubeFactory. */
export const connect: KubeFactory = (conn, opts) => new KubeClient(conn, opts);

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
  const key = createHash('sha256').update(JSON.stringify([new URL(conn.server).origin, conn.caPem, conn.insecure, conn.tlsServerName, proxy?.href, certPem, keyPem])).digest('hex');
  let a = agents.get(key);
  if (!a) {
    const secureContext = conn.caPem || certPem ? createSecureContext({ ...(conn.caPem ? { ca: conn.caPem } : {}), ...(certPem && keyPem ? { cert: certPem, key: keyPem } : {}) }) : undefined;
    const tls = { ...(secureContext ? { secureContext } : {}), rejectUnauthorized: !conn.insecure, ...(conn.tlsServerName ? { servername: conn.tlsServerName } : {}) };
    a = agentVia(proxy, { tls, connectTimeoutMs: 10_000 });
    agents.set(key, a);
  }
  return a;
}

/** Objects per list request (kubectl's --chunk-size is 500): a page stays far below RESPONSE_LIMIT. */
export const LIST_PAGE = 250;
/** Pages one list follows at most (a server whose continue tokens never end). */
const MAX_PAGES = 2000;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  query?: Record<string, string | undefined> | undefined;
  body?: unknown;
  contentType?: string | undefined;
}

/** One REST mapping: the path segment of a kind and whether it is namespaced. */
interface Mapping { plural: string; namespaced: boolean }

/** Kinds helper uses all the time: no discovery needed for them. */
const KNOWN: Record<string, Mapping> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': { plural: 'selfsubjectaccessreviews', namespaced: false },
  'authentication.k8s.io/v1/SelfSubjectReview': { plural: 'selfsubjectreviews', namespaced: false },
  [`${KLUTCH_API_VERSION}/APIServiceExportRequest`]: { plural: 'apiserviceexportrequests', namespaced: true },
  [`${KLUTCH_API_VERSION}/APIServiceNamespace`]: { plural: 'apiservicenamespaces', namespaced: true },
  [`${KLUTCH_API_VERSION}/APIServiceExport`]: { plural: 'apiserviceexports', namespaced: true },
  [`${KLUTCH_API_VERSION}/ClusterBinding`]: { plural: 'clusterbindings', namespaced: true },
  [`${KLUTCH_API_VERSION}/APIServiceBinding`]: { plural: 'apiservicebindings', namespaced: false },
};

/** The base path of an apiVersion: /api/v1 or /apis/group/version. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

const seg = encodeURIComponent;

/**
 * A client for one API server: every call through callApi, objects of any
 * kind by apiVersion and kind. Discovery results are cached for the
 * client's life (a run), and fetched again when a kind is missing (its CRD
 * may have just been created).
 */
export class KubeClient implements ObjectClient {
  /** How messages name the server: `control plane 127.0.0.1:6443`. */
  readonly server: string;
  /** host:port of the server. */
  readonly host: string;
  readonly conn: Connection;
  readonly policy: CallPolicy;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly forbiddenHint: string;
  private readonly wording: Wording | undefined;
  private readonly discovery = new Map<string, Promise<Mapping[]>>();

  constructor(conn: Connection, opts: KubeOptions) {
    this.conn = conn;
    this.host = hostOf(conn.server);
    this.server = `${opts.label} ${this.host}`;
    this.policy = { timeoutMs: opts.requestTimeoutMs ?? 30_000, attempts: opts.attempts ?? 4, baseDelayMs: opts.baseDelayMs ?? 500, signal: opts.signal };
    this.dispatcher = opts.dispatcher;
    this.forbiddenHint = opts.forbiddenHint ?? 'the kubeconfig\'s identity lacks this permission';
    this.wording = opts.wording;
    // A proxy variable helper cannot use is an input error now, not a failed call later.
    if (!opts.dispatcher) proxyOf(conn);
  }

  /** The transport and the headers of the credential (a plugin may return a client certificate, which is part of the Agent). */
  private async transport(): Promise<{ dispatcher: Dispatcher; headers: Record<string, string> }> {
    const a = this.conn.auth;
    const headers: Record<string, string> = this.conn.impersonate ? { 'impersonate-user': this.conn.impersonate } : {};
    let cert: { certPem?: string | undefined; keyPem?: string | undefined } | undefined;
    if (a.kind === 'token') headers.authorization = `Bearer ${a.token}`;
    else if (a.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    else if (a.kind === 'plugin') {
      const p = await a.credentials();
      if (p.authorization) headers.authorization = p.authorization;
      if (p.certPem && p.keyPem) cert = p;
    }
    return { dispatcher: this.dispatcher ?? agentFor(this.conn, cert), headers };
  }

  /**
   * One HTTP exchange (no retry, no translation): the parsed JSON answer of
   * a 2xx, else HttpStatusError with the Status object's reason and message.
   */
  async request(spec: RequestSpec, signal?: AbortSignal): Promise<unknown> {
    const { dispatcher, headers } = await this.transport();
    const q = spec.query ? Object.entries(spec.query).filter((e): e is [string, string] => e[1] !== undefined) : [];
    const path = `${new URL(this.conn.server).pathname.replace(/\/$/, '')}${spec.path}${q.length ? `?${new URLSearchParams(q)}` : ''}`;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const res = await dispatcher.request({
      origin: new URL(this.conn.server).origin,
      path,
      method: spec.method,
      headers: { ...headers, accept: 'application/json', ...(body !== undefined ? { 'content-type': spec.contentType ?? 'application/json' } : {}) },
      body,
      signal,
      headersTimeout: this.policy.timeoutMs,
      bodyTimeout: this.policy.timeoutMs,
    });
    const text = (await readLimited(res.body, this.host)).toString('utf8');
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
      // A Status object's message; else the server's own short text (a proxy's "unavailable"), as the API server's clients show it.
      // Either is the server's text: control characters (escape sequences, line breaks) are shown escaped.
      const plain = json ? '' : text.trim().slice(0, 300);
      const message = typeof s.message === 'string' ? serverText(s.message) : plain ? serverText(redact(plain)) : `HTTP ${res.statusCode}${type ? ` (${serverText(type.split(';')[0]!)})` : ''}`;
      const ra = res.headers['retry-after'];
      throw new HttpStatusError(res.statusCode, typeof s.reason === 'string' ? serverText(s.reason.slice(0, 100)) : undefined, message, parseRetryAfter(Array.isArray(ra) ? ra[0] : ra));
    }
    if (!json) throw new SyntaxError(`the answer is not JSON${type ? ` (content-type ${serverText(type.split(';')[0]!.slice(0, 100))})` : ''}`);
    return parsed;
  }

  /** callApi with this client's policy (attempts overridable: a wait's read is a single attempt). */
  call<T>(label: Omit<CallLabel, 'server'> & { server?: string }, fn: (signal: AbortSignal) => Promise<T>, attempts?: number): Promise<T> {
    return callApi({ server: this.server, ...label }, attempts === undefined ? this.policy : { ...this.policy, attempts }, fn);
  }

  /** The REST mapping of a kind: known, else by discovery of its group version (cached; fetched again on a miss). */
  async mapping(kind: Kind, signal?: AbortSignal): Promise<Mapping> {
    const known = KNOWN[`${kind.apiVersion}/${kind.kind}`];
    if (known) return known;
    for (let fresh = false; ; fresh = true) {
      let p = this.discovery.get(kind.apiVersion);
      if (!p || fresh) {
        p = this.request({ method: 'GET', path: groupVersionPath(kind.apiVersion) }, signal).then((v) => {
          const list = (v as { resources?: unknown } | null)?.resources;
          if (!Array.isArray(list)) throw new SyntaxError(`the answer is not an APIResourceList of ${kind.apiVersion}`);
          return (list as Array<{ name?: unknown; kind?: unknown; namespaced?: unknown }>)
            .filter((r) => typeof r.name === 'string' && !r.name.includes('/') && typeof r.kind === 'string')
            .map((r) => ({ plural: r.name as string, namespaced: r.namespaced === true, kind: r.kind as string }));
        });
        this.discovery.set(kind.apiVersion, p);
        p.catch(() => this.discovery.delete(kind.apiVersion));
      }
      const found = (await p as Array<Mapping & { kind: string }>).find((m) => m.kind === kind.kind);
      if (found) return found;
      if (fresh) throw new UnknownKindError(kind.apiVersion, kind.kind);
    }
  }

  /** The path of a kind's collection (namespace when namespaced), or of one object. */
  async pathOf(kind: Kind, namespace: string | undefined, name?: string, signal?: AbortSignal): Promise<string> {
    const m = await this.mapping(kind, signal);
    return `${groupVersionPath(kind.apiVersion)}${m.namespaced && namespace ? `/namespaces/${seg(namespace)}` : ''}/${m.plural}${name !== undefined ? `/${seg(name)}` : ''}`;
  }

  // ObjectClient: the generic calls status and unbind make, labelled as they name them.

  private label(verb: string, kind: Kind, name: string | undefined, namespace: string | undefined, dryRun?: boolean): Omit<CallLabel, 'server'> {
    if (this.wording) return { ...this.wording(verb, kind, name, namespace, dryRun), forbiddenHint: this.forbiddenHint };
    return {
      action: `${verb} ${describeKind(kind)}${name !== undefined ? ` ${JSON.stringify(name)}` : ''}${where(namespace)}${dryRun ? ' (dry run)' : ''}`,
      short: `${verb} ${kind.kind}`,
      forbiddenHint: this.forbiddenHint,
    };
  }

  /**
   * Every object of a kind, read in pages of LIST_PAGE (as kubectl reads
   * lists); one attempt reads all pages; undefined when the kind is not served.
   */
  async list(kind: Kind, namespace?: string, opts: { labelSelector?: string } = {}): Promise<KObject[] | undefined> {
    try {
      const items = await this.call(this.label('list', kind, undefined, namespace), async (signal) => {
        const path = await this.pathOf(kind, namespace, undefined, signal);
        const all: KObject[] = [];
        let next: string | undefined;
        for (let page = 1; ; page++) {
          const answer = await this.request({ method: 'GET', path, query: { labelSelector: opts.labelSelector, limit: String(LIST_PAGE), continue: next } }, signal);
          for (const o of expectList(answer, `a list of ${kind.kind}`)) all.push(o);
          const c = (answer as { metadata?: { continue?: unknown } }).metadata?.continue;
          if (typeof c !== 'string' || !c) return all;
          if (page >= MAX_PAGES) throw new SyntaxError(`the answer is not a list that ends: ${MAX_PAGES} pages of ${LIST_PAGE} and still a continue token`);
          next = c;
        }
      });
      return items.map((o) => ({ apiVersion: kind.apiVersion, kind: kind.kind, ...o }));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async get(kind: Kind, name: string, namespace?: string, opts: { attempts?: number; label?: Omit<CallLabel, 'server'> } = {}): Promise<KObject | undefined> {
    try {
      return await this.call(opts.label ?? this.label('get', kind, name, namespace), async (signal) =>
        expectObject(await this.request({ method: 'GET', path: await this.pathOf(kind, namespace, name, signal) }, signal), `the ${kind.kind} ${name}`, name), opts.attempts);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async delete(kind: Kind, name: string, namespace: string | undefined, opts: DeleteOptions & { label?: Omit<CallLabel, 'server'> } = {}): Promise<'deleted' | 'gone'> {
    try {
      await this.call(opts.label ?? this.label('delete', kind, name, namespace, opts.dryRun), async (signal) =>
        this.request({ method: 'DELETE', path: await this.pathOf(kind, namespace, name, signal), query: { dryRun: opts.dryRun ? 'All' : undefined, propagationPolicy: opts.propagationPolicy } }, signal));
      return 'deleted';
    } catch (err) {
      if (isStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  async mergePatch(kind: Kind, name: string, namespace: string | undefined, patch: object, opts: { dryRun?: boolean } = {}): Promise<'patched' | 'gone'> {
    try {
      await this.call(this.label('patch', kind, name, namespace, opts.dryRun), async (signal) =>
        expectObject(await this.request({ method: 'PATCH', path: await this.pathOf(kind, namespace, name, signal), query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: 'helper' }, body: patch, contentType: 'application/merge-patch+json' }, signal), `a ${kind.kind}`));
      return 'patched';
    } catch (err) {
      if (isStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  review(body: KObject): Promise<KObject> {
    const kind = { apiVersion: String(body.apiVersion), kind: String(body.kind) };
    return this.call({ action: `create ${body.kind}`, short: `create ${body.kind}`, forbiddenHint: this.forbiddenHint }, async (signal) => {
      const out = await this.request({ method: 'POST', path: await this.pathOf(kind, undefined, undefined, signal), body }, signal);
      if (!out || typeof out !== 'object') throw new SyntaxError(`the answer is not a ${body.kind}`);
      return out as KObject;
    });
  }

  /** Creates an object; a 409 (AlreadyExists) is a ClusterError with status 409 for the caller to judge. */
  create(body: KObject, label?: Omit<CallLabel, 'server'>): Promise<KObject> {
    const kind = { apiVersion: String(body.apiVersion), kind: String(body.kind) };
    const name = body.metadata?.name;
    const ns = body.metadata?.namespace;
    return this.call(label ?? this.label('create', kind, name, ns), async (signal) =>
      expectObject(await this.request({ method: 'POST', path: await this.pathOf(kind, ns, undefined, signal), body }, signal), `the ${kind.kind} object that was sent`, name));
  }

  /** Server-side apply (plain JSON: the API's own field names), conflicts forced. */
  apply(obj: KObject, opts: { fieldManager: string; dryRun?: boolean | undefined; label: Omit<CallLabel, 'server'> }): Promise<KObject> {
    const kind = { apiVersion: String(obj.apiVersion), kind: String(obj.kind) };
    const name = obj.metadata!.name!;
    return this.call(opts.label, async (signal) =>
      expectObject(await this.request({
        method: 'PATCH', path: await this.pathOf(kind, obj.metadata?.namespace, name, signal),
        query: { fieldManager: opts.fieldManager, force: 'true', dryRun: opts.dryRun ? 'All' : undefined },
        body: obj, contentType: 'application/apply-patch+yaml',
      }, signal), `the applied ${kind.kind} ${name}`, name));
  }

  /**
   * Watches one object of a collection until the signal aborts: onEvent on
   * every change, onEnd once when the watch ends (error or close). Resolves
   * once the server answered the watch; rejects when it cannot start.
   */
  async watch(collectionPath: string, name: string, onEvent: () => void, onEnd: (err?: unknown) => void, signal: AbortSignal): Promise<void> {
    const { dispatcher, headers } = await this.transport();
    const base = new URL(this.conn.server);
    const res = await dispatcher.request({
      origin: base.origin,
      path: `${base.pathname.replace(/\/$/, '')}${collectionPath}?${new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}` })}`,
      method: 'GET',
      headers: { ...headers, accept: 'application/json' },
      signal,
      headersTimeout: this.policy.timeoutMs,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) {
      res.body.resume();
      throw new HttpStatusError(res.statusCode, undefined, `watch answered HTTP ${res.statusCode}`);
    }
    let ended = false;
    const end = (err?: unknown) => { if (!ended) { ended = true; onEnd(err); } };
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
            end(new ResponseTooLargeError(this.host, RESPONSE_LIMIT));
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
}

function describeKind(k: Kind): string {
  const group = k.apiVersion.includes('/') ? k.apiVersion.split('/')[0] : '';
  return group ? `${k.kind} (${group})` : k.kind;
}

function where(namespace: string | undefined): string {
  return namespace ? ` in namespace ${JSON.stringify(namespace)}` : '';
}

/** The kind of a klutch plural (create-ns and bootstrap-env name klutch objects by plural). */
const KLUTCH_KINDS: Record<string, string> = {
  apiserviceexportrequests: 'APIServiceExportRequest',
  apiserviceexports: 'APIServiceExport',
  apiservicenamespaces: 'APIServiceNamespace',
  clusterbindings: 'ClusterBinding',
};

/**
 * The klutch objects in one cluster namespace on the control plane: a view
 * of a KubeClient, labelled as create-ns and bootstrap-env name them
 * (`create apiservicenamespaces "a" in namespace "b"`).
 */
export class ControlPlane {
  readonly host: string;
  readonly namespace: string;
  readonly client: KubeClient;

  constructor(client: KubeClient, namespace: string) {
    this.client = client;
    this.namespace = namespace;
    this.host = client.host;
  }

  private label(verb: string, plural: string, name?: string): Omit<CallLabel, 'server'> & { server: string } {
    return {
      server: `control plane ${this.host}`,
      action: `${verb} ${plural}${name ? ` ${JSON.stringify(name)}` : ''} in namespace ${JSON.stringify(this.namespace)}`,
      short: `${verb} ${plural}`,
      forbiddenHint: 'the kubeconfig\'s identity lacks this permission; was the binding created for this cluster namespace?',
    };
  }

  private kind(plural: string): Kind {
    return { apiVersion: KLUTCH_API_VERSION, kind: KLUTCH_KINDS[plural] ?? plural };
  }

  create(plural: string, body: KObject): Promise<KObject> {
    return this.client.create({ ...body, metadata: { ...body.metadata, namespace: this.namespace } }, this.label('create', plural, body.metadata?.name));
  }

  async get(plural: string, name: string): Promise<KObject> {
    const o = await this.read(plural, name);
    if (!o) throw new ClusterError('HELPER_CLUSTER_NOT_FOUND', `control plane ${this.host} failed to ${this.label('get', plural, name).action}: HTTP 404 NotFound`, { status: 404 });
    return o;
  }

  /** Like get(), but resolves undefined when the object does not exist. */
  find(plural: string, name: string): Promise<KObject | undefined> {
    return this.read(plural, name);
  }

  /**
   * One read for a wait's loop: a single attempt (the loop itself is the
   * retry, bounded by the wait's deadline), undefined when the object does
   * not exist.
   */
  peek(plural: string, name: string): Promise<KObject | undefined> {
    return this.read(plural, name, 1);
  }

  private read(plural: string, name: string, attempts?: number): Promise<KObject | undefined> {
    return this.client.get(this.kind(plural), name, this.namespace, { label: this.label('get', plural, name), ...(attempts ? { attempts } : {}) });
  }

  async delete(plural: string, name: string): Promise<void> {
    await this.client.delete(this.kind(plural), name, this.namespace, { label: this.label('delete', plural, name) });
  }

  /** The objects of a klutch collection in the cluster namespace; undefined when the API is not served. */
  list(plural: string): Promise<KObject[] | undefined> {
    return this.client.list(this.kind(plural), this.namespace);
  }

  /** Path of a namespaced klutch resource collection, for watches. */
  collectionPath(plural: string): string {
    return `/apis/${KLUTCH_GROUP}/${KLUTCH_VERSION}/namespaces/${seg(this.namespace)}/${plural}`;
  }

  /** A watch on one object of a klutch collection, for waitUntil. */
  watch(plural: string, name: string): WatchStart {
    return (onEvent, onEnd, signal) => this.client.watch(this.collectionPath(plural), name, onEvent, onEnd, signal);
  }
}

/** Starts a watch for waitUntil (kube/wait.ts). */
export type WatchStart = (onEvent: () => void, onEnd: (err?: unknown) => void, signal: AbortSignal) => Promise<void>;
