/**
 * Step 7's plumbing: a client for the control plane built from the provider
 * kubeconfig with @kubernetes/client-node. Every call is bounded by a
 * timeout and the run's abort signal, and every failure is translated here
 * (the library's ApiException glues response bodies and headers into its
 * message) into a ClusterError that names verb, resource, namespace and host.
 */
import * as k8s from '@kubernetes/client-node';
import { ClusterError, describeCause, isTlsFailure } from '../errors.ts';
import { hostOf } from '../http.ts';
import { log, redact } from '../log.ts';
import { parseRetryAfter, withRetry } from '../retry.ts';

export const KLUTCH_GROUP = 'klutch.anynines.com';
export const KLUTCH_VERSION = 'v1alpha1';

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

export interface ApiFailure {
  status: number | undefined;
  reason: string | undefined;
  message: string;
  retryAfterMs?: number | undefined;
}

/** Extracts status/reason/message from an ApiException or a network error, without headers. */
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
  return { status: undefined, reason: undefined, message: redact(describeCause(err)) };
}

export class ControlPlane {
  readonly kc: k8s.KubeConfig;
  readonly host: string;
  readonly namespace: string;
  private readonly api: k8s.CustomObjectsApi;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(kc: k8s.KubeConfig, namespace: string, opts: ClientOptions = {}) {
    this.kc = kc;
    this.namespace = namespace;
    this.host = hostOf(kc.getCurrentCluster()?.server ?? '');
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.attempts = opts.attempts ?? 4;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.signal = opts.signal;
  }

  /**
   * Runs one API call, each attempt bounded by the request timeout and the
   * run's signal; network errors, timeouts, 429 (Retry-After honoured) and
   * 5xx are retried with backoff. Creates are safe to retry: a create that
   * landed before its answer was lost comes back as AlreadyExists, which
   * every caller treats as success.
   */
  async call<T>(what: { verb: string; resource: string; name?: string | undefined }, fn: () => Promise<T>): Promise<T> {
    return withRetry(() => this.attempt(what, fn), {
      attempts: this.attempts,
      baseDelayMs: this.baseDelayMs,
      maxDelayMs: 8000,
      signal: this.signal,
      classify: (err) => {
        if (!(err instanceof ClusterError)) return { retry: false };
        const passing = err.code === 'HELPER_CLUSTER_UNREACHABLE' || err.code === 'HELPER_CLUSTER_TIMEOUT' || err.code === 'HELPER_CLUSTER_RESPONSE' || (err.status !== undefined && (err.status === 429 || err.status >= 500));
        return { retry: passing, delayMs: err.retryAfterMs, reason: err.status ? `HTTP ${err.status}` : err.code === 'HELPER_CLUSTER_TIMEOUT' ? 'no answer in time' : err.code === 'HELPER_CLUSTER_RESPONSE' ? 'malformed answer' : 'connection failed' };
      },
      onRetry: ({ attempt, delayMs, reason }) =>
        log.warn(`control plane ${this.host}: ${what.verb} ${what.resource}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${this.attempts})`),
    });
  }

  private async attempt<T>(what: { verb: string; resource: string; name?: string | undefined }, fn: () => Promise<T>): Promise<T> {
    const { signal } = this;
    if (signal?.aborted) throw signal.reason;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterError('HELPER_CLUSTER_TIMEOUT', `control plane ${this.host} did not answer ${what.verb} ${what.resource} within ${Math.round(this.timeoutMs / 1000)}s`)), this.timeoutMs);
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), bounded]);
    } catch (err) {
      if (err instanceof ClusterError || signal?.aborted) throw err;
      throw this.translate(err, what);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  translate(err: unknown, what: { verb: string; resource: string; name?: string | undefined }): ClusterError {
    const f = apiFailure(err);
    const target = `${what.resource}${what.name ? ` ${JSON.stringify(what.name)}` : ''} in namespace ${JSON.stringify(this.namespace)}`;
    if (f.status === 403) {
      return new ClusterError('HELPER_CLUSTER_FORBIDDEN', `control plane ${this.host} refused to ${what.verb} ${target} (403 Forbidden): ${f.message}`, { status: 403, hint: 'the kubeconfig\'s identity lacks this permission; was the binding created for this cluster namespace?' });
    }
    if (f.status === 401) {
      return new ClusterError('HELPER_CLUSTER_UNAUTHORIZED', `control plane ${this.host} did not accept the kubeconfig's credentials (401) when trying to ${what.verb} ${target}`, { status: 401 });
    }
    if (f.status !== undefined) {
      const e = new ClusterError(f.status === 404 ? 'HELPER_CLUSTER_NOT_FOUND' : 'HELPER_CLUSTER_STATUS', `control plane ${this.host} failed to ${what.verb} ${target}: HTTP ${f.status}${f.reason ? ` ${f.reason}` : ''}: ${f.message}`, { status: f.status });
      e.retryAfterMs = f.retryAfterMs;
      return e;
    }
    if (err instanceof SyntaxError || /JSON|Unexpected token|Unexpected end|content-type|is not valid/i.test(f.message)) {
      return new ClusterError('HELPER_CLUSTER_RESPONSE', `control plane ${this.host} answered ${what.verb} ${target} with a body that is not a Kubernetes object: ${f.message.slice(0, 200)}`);
    }
    if (isTlsFailure(f.message)) {
      return new ClusterError('HELPER_CLUSTER_TLS', `TLS verification of control plane ${this.host} failed: ${f.message}`, { hint: 'the kubeconfig\'s certificate-authority-data does not match the server; pass the right CA with --ca-file' });
    }
    return new ClusterError('HELPER_CLUSTER_UNREACHABLE', `cannot reach control plane ${this.host} to ${what.verb} ${target}: ${f.message}`);
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
    return this.call({ verb: 'get', resource: plural, name }, async () => {
      const obj = await this.api.getNamespacedCustomObject({ group: KLUTCH_GROUP, version: KLUTCH_VERSION, namespace: this.namespace, plural, name }) as unknown;
      if (!isKObject(obj)) throw new SyntaxError(`the answer is not a ${plural} object`);
      return obj;
    });
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
