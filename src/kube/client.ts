/**
 * Step 7's plumbing: a client for the control plane built from the provider
 * kubeconfig with @kubernetes/client-node. Every call is bounded by a
 * timeout and the run's abort signal, and every failure is translated here
 * (the library's ApiException glues response bodies and headers into its
 * message) into a ClusterError that names verb, resource, namespace and host.
 */
import * as k8s from '@kubernetes/client-node';
import { ClusterError, describeCause, isTlsFailure } from '../errors.ts';
import { hostOf, tlsDetail, tlsHint } from '../http.ts';
import { KLUTCH_GROUP } from '../render/crds.ts';
import { log, redact } from '../log.ts';
import { parseRetryAfter, withRetry, type RetryDecision } from '../retry.ts';

// One name for the klutch API group (render/crds.ts, pure, holds it; kube/ re-exports it).
export { KLUTCH_GROUP };
export const KLUTCH_VERSION = 'v1alpha1';
/** apiVersion of every klutch.anynines.com object helper creates. */
export const KLUTCH_API_VERSION = `${KLUTCH_GROUP}/${KLUTCH_VERSION}`;

export interface ClientOptions {
  /** Extra PEM CA(s) trusted besides the kubeconfig's own. */
  extraCaPem?: string | undefined;
  insecure?: boolean | undefined;
  requestTimeoutMs?: number;
  /** Attempts per call (network errors, timeouts, 429 and 5xx are retried). */
  attempts?: number;
  baseDelayMs?: number;
  signal?: AbortSignal | undefined;
}

/** Loads kubeconfig text into a KubeConfig with our CA / TLS settings applied. */
export function loadKubeConfig(text: string, opts: ClientOptions = {}): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  shareDispatchers(kc);
  kc.loadFromString(text);
  if (opts.extraCaPem || opts.insecure) {
    const clusters = kc.clusters.map((c) => {
      const own = c.caData ? Buffer.from(c.caData, 'base64').toString('utf8') : '';
      return {
        ...c,
        ...(opts.extraCaPem ? { caData: Buffer.from(`${own.trim()}\n${opts.extraCaPem.trim()}\n`).toString('base64') } : {}),
        ...(opts.insecure ? { skipTLSVerify: true } : {}),
      };
    });
    kc.loadFromOptions({ clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
  }
  return kc;
}

type DispatcherFactory = (cluster: k8s.Cluster | null, agentOptions: object) => unknown;
const dispatchers = new Map<string, unknown>();

/**
 * client-node makes a new undici Agent, so a new TLS connection, for every API call. Calls with
 * the same server and TLS settings (in a fleet: every cluster namespace on one control plane)
 * share one keep-alive Agent per run instead; the bearer token is a header, not Agent state.
 */
function shareDispatchers(kc: k8s.KubeConfig): void {
  const inner = kc as unknown as { createDispatcher: DispatcherFactory; createDispatcherOptions: (c: k8s.Cluster | null, o: object) => unknown };
  const create = inner.createDispatcher.bind(kc);
  inner.createDispatcher = (cluster, agentOptions) => {
    const key = JSON.stringify([cluster?.server, cluster?.proxyUrl, inner.createDispatcherOptions(cluster, agentOptions)]);
    if (!dispatchers.has(key)) dispatchers.set(key, create(cluster, agentOptions));
    return dispatchers.get(key);
  };
}

export interface ApiFailure {
  status: number | undefined;
  reason: string | undefined;
  message: string;
  retryAfterMs?: number | undefined;
}

/**
 * Extracts status/reason/message from an ApiException or a network error,
 * without headers. A kind the server does not serve (client-node's discovery
 * error, before any request) is a 404 with reason UnknownKind.
 */
export function apiFailure(err: unknown): ApiFailure {
  if (err instanceof k8s.ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try { body = JSON.parse(body); } catch { /* plain text body */ }
    }
    const b = (body && typeof body === 'object' ? body : {}) as { reason?: unknown; message?: unknown };
    const message = typeof b.message === 'string' ? b.message : typeof body === 'string' ? body.slice(0, 300) : `HTTP ${err.code}`;
    const ra = err.headers?.['retry-after'] ?? err.headers?.['Retry-After'];
    return { status: err.code, reason: typeof b.reason === 'string' ? b.reason : undefined, message: redact(message), retryAfterMs: parseRetryAfter(ra) };
  }
  // Raised before any request when discovery lists the group but not the kind.
  const unknown = err instanceof Error ? /^Unrecognized API version and kind: (.+)$/.exec(err.message) : null;
  if (unknown) return { status: 404, reason: UNKNOWN_KIND, message: `it does not serve ${unknown[1]}` };
  return { status: undefined, reason: undefined, message: redact(describeCause(err)) };
}

const UNKNOWN_KIND = 'UnknownKind';

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

/** Translates a failure of one API call (ApiException, network error, bad body) into a ClusterError naming server and action. */
export function translateFailure(err: unknown, label: CallLabel): ClusterError {
  if (err instanceof ClusterError) return err;
  const f = apiFailure(err);
  const { server, action } = label;
  if (f.status === 403) {
    return new ClusterError('HELPER_CLUSTER_FORBIDDEN', `${server} refused to ${action} (403 Forbidden): ${f.message}`, { status: 403, hint: label.forbiddenHint });
  }
  if (f.status === 401) {
    return new ClusterError('HELPER_CLUSTER_UNAUTHORIZED', `${server} did not accept the kubeconfig's credentials (401) when trying to ${action}`, { status: 401 });
  }
  if (f.reason === UNKNOWN_KIND) {
    return new ClusterError('HELPER_CLUSTER_UNKNOWN_KIND', `${server} cannot ${action}: ${f.message} (is its CustomResourceDefinition installed?)`, { status: 404 });
  }
  if (f.status !== undefined) {
    const e = new ClusterError(f.status === 404 ? 'HELPER_CLUSTER_NOT_FOUND' : 'HELPER_CLUSTER_STATUS', `${server} failed to ${action}: HTTP ${f.status}${f.reason ? ` ${f.reason}` : ''}: ${f.message}`, { status: f.status });
    e.retryAfterMs = f.retryAfterMs;
    return e;
  }
  if (err instanceof SyntaxError || /JSON|Unexpected token|Unexpected end|content-type|is not valid/i.test(f.message)) {
    return new ClusterError('HELPER_CLUSTER_RESPONSE', `${server} answered ${action} with a body that is not a Kubernetes object: ${f.message.slice(0, 200)}`);
  }
  if (isTlsFailure(f.message)) {
    return new ClusterError('HELPER_CLUSTER_TLS', `TLS verification of ${server} failed: ${tlsDetail(f.message)}`, { hint: tlsHint('the kubeconfig\'s certificate-authority-data does not match the server; pass the right CA with --ca-file') });
  }
  return new ClusterError('HELPER_CLUSTER_UNREACHABLE', `cannot reach ${server} to ${action}: ${f.message}`);
}

/**
 * Runs one API call: each attempt bounded by the policy's timeout and the
 * run's signal, failures translated (translateFailure), passing ones
 * (retryDecision) retried with backoff and a progress line. Callers only
 * pass idempotent calls: reads, server-side apply, and creates whose
 * AlreadyExists they treat as success.
 */
export async function callApi<T>(label: CallLabel, policy: CallPolicy, fn: () => Promise<T>): Promise<T> {
  const { signal } = policy;
  const short = label.short ?? label.action;
  const attempt = async (): Promise<T> => {
    if (signal?.aborted) throw signal.reason;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterError('HELPER_CLUSTER_TIMEOUT', `${label.server} did not answer ${short} within ${Math.round(policy.timeoutMs / 1000)}s`)), policy.timeoutMs);
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), bounded]);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw translateFailure(err, label);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
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

export class ControlPlane {
  readonly kc: k8s.KubeConfig;
  readonly host: string;
  readonly namespace: string;
  private readonly api: k8s.CustomObjectsApi;
  private readonly policy: CallPolicy;

  constructor(kc: k8s.KubeConfig, namespace: string, opts: ClientOptions = {}) {
    this.kc = kc;
    this.namespace = namespace;
    this.host = hostOf(kc.getCurrentCluster()?.server ?? '');
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.policy = { timeoutMs: opts.requestTimeoutMs ?? 30_000, attempts: opts.attempts ?? 4, baseDelayMs: opts.baseDelayMs ?? 500, signal: opts.signal };
  }

  /** One call in the cluster namespace, through callApi. */
  call<T>(what: { verb: string; resource: string; name?: string | undefined }, fn: () => Promise<T>): Promise<T> {
    return callApi(this.label(what), this.policy, fn);
  }

  private label(what: { verb: string; resource: string; name?: string | undefined }): CallLabel {
    return {
      server: `control plane ${this.host}`,
      action: `${what.verb} ${what.resource}${what.name ? ` ${JSON.stringify(what.name)}` : ''} in namespace ${JSON.stringify(this.namespace)}`,
      short: `${what.verb} ${what.resource}`,
      forbiddenHint: 'the kubeconfig\'s identity lacks this permission; was the binding created for this cluster namespace?',
    };
  }

  create(plural: string, body: object): Promise<KObject> {
    const name = (body as KObject).metadata?.name;
    return this.call({ verb: 'create', resource: plural, name }, async () => {
      const created = await this.api.createNamespacedCustomObject({ group: KLUTCH_GROUP, version: KLUTCH_VERSION, namespace: this.namespace, plural, body }) as unknown;
      // The client library takes any 2xx as success, even an HTML page from a proxy.
      if (!isKObject(created) || created.metadata?.name !== name) throw new SyntaxError(`the answer to the create is not the ${plural} object that was sent`);
      return created;
    });
  }

  get(plural: string, name: string): Promise<KObject> {
    return this.read(plural, name, this.policy);
  }

  /** Like get(), but resolves undefined when the object does not exist. */
  async find(plural: string, name: string): Promise<KObject | undefined> {
    try {
      return await this.get(plural, name);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * One read for a wait's loop: a single attempt (the loop itself is the
   * retry, bounded by the wait's deadline), undefined when the object does
   * not exist.
   */
  async peek(plural: string, name: string): Promise<KObject | undefined> {
    try {
      return await this.read(plural, name, { ...this.policy, attempts: 1 });
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  private read(plural: string, name: string, policy: CallPolicy): Promise<KObject> {
    return callApi(this.label({ verb: 'get', resource: plural, name }), policy, async () => {
      const obj = await this.api.getNamespacedCustomObject({ group: KLUTCH_GROUP, version: KLUTCH_VERSION, namespace: this.namespace, plural, name }) as unknown;
      if (!isKObject(obj)) throw new SyntaxError(`the answer is not a ${plural} object`);
      return obj;
    });
  }

  delete(plural: string, name: string): Promise<unknown> {
    return this.call({ verb: 'delete', resource: plural, name }, () =>
      this.api.deleteNamespacedCustomObject({ group: KLUTCH_GROUP, version: KLUTCH_VERSION, namespace: this.namespace, plural, name }));
  }

  /** Path of a namespaced klutch resource collection, for watches. */
  collectionPath(plural: string): string {
    return `/apis/${KLUTCH_GROUP}/${KLUTCH_VERSION}/namespaces/${encodeURIComponent(this.namespace)}/${plural}`;
  }
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generateName?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

function isKObject(v: unknown): v is KObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as KObject).metadata === 'object';
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof ClusterError && err.status === status;
}
