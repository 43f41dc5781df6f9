/**
 * Outbound HTTPS: the dispatcher of the token endpoint and the bind backend
 * (system roots plus --ca-file, TLS verified unless the user opted out), the
 * one proxy rule of every call (proxyFor: HTTPS_PROXY/HTTP_PROXY/NO_PROXY as
 * Go's net/http reads them, which kubectl uses; agentVia builds the direct or
 * proxied agent), and the one size limit of every response body (readLimited,
 * limitResponses).
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, Dispatcher, ProxyAgent } from 'undici';
import { InputError } from './errors.ts';
import { currentScope, log } from './log.ts';

export interface TlsSettings {
  /** Extra PEM bundle(s) to trust besides the system roots. */
  caPem?: string | undefined;
  /** Skip certificate verification (the user said --insecure-skip-tls-verify). */
  insecure?: boolean | undefined;
}

/** The --ca-file this run trusts, once read: TLS failures then say that this CA does not verify the server. */
let givenCaFile: string | undefined;

/** The hint for a TLS verification failure: which CA was tried and what to do. */
export function tlsHint(defaultHint: string): string {
  return givenCaFile
    ? `--ca-file ${givenCaFile} was trusted too and does not verify this server's certificate: pass the CA ` +
        `that issued it (or check the server's name and certificate)`
    : defaultHint;
}

/**
 * A TLS error text for messages: with --ca-file given, without Node's advice
 * to try --use-system-ca (the user already named the CA to trust).
 */
export function tlsDetail(text: string): string {
  return givenCaFile
    ? text.replace(/;? ?if the root CA is installed locally, try running Node\.js with --use-system-ca/, '')
    : text;
}

/** The one warning for --insecure-skip-tls-verify; `what` is the subject: "the control plane's TLS certificate is". */
export function warnInsecure(what: string): void {
  log.warn(`--insecure-skip-tls-verify: ${what} NOT verified`);
}

/** Reads a --ca-file, failing with an InputError that names the file. */
export function readCaFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  givenCaFile = path;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      'HELPER_CA_FILE',
      `cannot read --ca-file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError(
      'HELPER_CA_FILE',
      `--ca-file ${path} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
    );
  }
  return pem;
}

/** How one outbound call (the token request, the bind POST) is made: its transport, per-request bound and retries. */
export interface CallOptions {
  dispatcher: Dispatcher;
  /** Per-request timeout. */
  timeoutMs: number;
  attempts: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal | undefined;
}

export interface DispatcherOptions extends TlsSettings {
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/**
 * Builds the dispatcher every outbound call of one run to the token endpoint
 * and the backend shares: each origin direct or through the proxy proxyFor
 * names, every response body bounded (limitResponses, RESPONSE_LIMIT).
 */
export function makeDispatcher(opts: DispatcherOptions = {}): Dispatcher {
  // One secure context for every connection: given `ca`, each TLS connection would parse the
  // ~150 system roots again (~20 ms each; the token endpoint and the backend are two hosts).
  const tls = { ...(opts.caPem ? { secureContext: withExtraCa(opts.caPem) } : {}), rejectUnauthorized: !opts.insecure };
  checkProxyEnv();
  const settings: AgentSettings = {
    tls,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: opts.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: opts.bodyTimeoutMs ?? 30_000,
  };
  return new ProxyRouter((proxy) => agentVia(proxy, settings)).compose(limitResponses(RESPONSE_LIMIT));
}

// ---------------------------------------------------------------------------
// Proxies

/**
 * The proxy of a request to `target` from the environment, as Go's
 * net/http.ProxyFromEnvironment decides it (golang.org/x/net/http/httpproxy;
 * kubectl and client-go use it for every cluster whose kubeconfig names no
 * proxy-url), so helper and kubectl take the same path:
 *
 * - https:// targets use HTTPS_PROXY (else https_proxy), http:// targets
 *   HTTP_PROXY (else http_proxy); an https target never falls back to
 *   HTTP_PROXY. The upper-case name wins; an empty value is unset.
 * - A proxy value without a scheme is http:// (`proxy:3128`).
 * - `localhost` and loopback addresses (127.0.0.0/8, ::1) are never proxied.
 * - NO_PROXY (else no_proxy), comma-separated: `*` exempts everything; an IP
 *   (`10.0.0.1`, `[::1]:443` with a port) or CIDR (`10.0.0.0/8`) exempts
 *   addresses, never names; `example.com` exempts it and its subdomains,
 *   `.example.com` and `*.example.com` only subdomains; `host:port` only that
 *   port. Names are compared as written: a name is never resolved to match an
 *   IP entry.
 *
 * A value that is not an http:// or https:// proxy is an InputError naming
 * the variable (Go would ignore it silently and connect directly).
 */
/** The proxy variables, from the run's scope (log.ts RunScope): process.env for the CLI, the caller's for a library. */
type ProxyEnv = Readonly<Record<string, string | undefined>>;

export function proxyFor(target: URL, env: ProxyEnv = currentScope().env): URL | undefined {
  const scheme = target.protocol;
  const name =
    scheme === 'https:'
      ? anyOf(env, 'HTTPS_PROXY', 'https_proxy')
      : scheme === 'http:'
        ? anyOf(env, 'HTTP_PROXY', 'http_proxy')
        : undefined;
  if (!name) return undefined;
  const proxy = parseProxy(name, env[name]!);
  // As written (a trailing dot stays, as in Go), without IPv6 brackets.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = target.port || (scheme === 'https:' ? '443' : '80');
  const noProxy = anyOf(env, 'NO_PROXY', 'no_proxy');
  return exempt(host, port, noProxy ? env[noProxy]! : '') ? undefined : proxy;
}

/** Fails with the InputError of proxyFor when a proxy variable is set to something helper cannot use. */
export function checkProxyEnv(env: ProxyEnv = currentScope().env): void {
  proxyFor(new URL('https://proxy-check.invalid'), env);
  proxyFor(new URL('http://proxy-check.invalid'), env);
}

/** The first of the variables that is set and not empty. */
function anyOf(env: ProxyEnv, ...names: string[]): string | undefined {
  return names.find((n) => env[n]);
}

function parseProxy(variable: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // below
  }
  if (!url?.host) {
    try {
      url = new URL(`http://${value}`);
    } catch {
      throw new InputError('HELPER_PROXY', `${variable} is not a proxy URL`);
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      'HELPER_PROXY',
      `${variable} is a ${url.protocol}// proxy; helper reaches servers through http:// and https:// proxies only`,
    );
  }
  return url;
}

/** Whether NO_PROXY (or the loopback rule) exempts host:port; host lower-case, without brackets. */
function exempt(host: string, port: string, noProxy: string): boolean {
  const ip = isIP(host);
  if (host === 'localhost' || (ip === 4 && host.startsWith('127.')) || (ip === 6 && isLoopback6(host))) return true;
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const family = isIP(cidr[1]!);
      if (family && ip === family && Number(cidr[2]) <= (family === 4 ? 32 : 128)) {
        const list = new BlockList();
        list.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6');
        if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
      }
      continue;
    }
    // host:port or [ipv6]:port; a bare IPv6 address has no port.
    const m = /^\[(.+)\]:(\d+)$/.exec(entry) ?? (isIP(entry) === 6 ? null : /^(.+):(\d+)$/.exec(entry));
    let h = m ? m[1]! : entry.replace(/^\[(.*)\]$/, '$1');
    const p = m ? m[2]! : '';
    if (!h) continue;
    if (isIP(h)) {
      if (ip && sameIp(h, host) && (!p || p === port)) return true;
      continue;
    }
    if (ip) continue; // a name never matches an address
    // `*.example.com` and `.example.com`: subdomains only; `example.com`: it and its subdomains.
    if (h.startsWith('*.')) h = h.slice(1);
    const apex = !h.startsWith('.');
    const suffix = apex ? `.${h}` : h;
    if ((host.endsWith(suffix) || (apex && host === h)) && (!p || p === port)) return true;
  }
  return false;
}

function isLoopback6(host: string): boolean {
  const list = new BlockList();
  list.addAddress('::1', 'ipv6');
  list.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
  return list.check(host, 'ipv6');
}

function sameIp(a: string, b: string): boolean {
  const fa = isIP(a);
  if (fa !== isIP(b)) return false;
  const list = new BlockList();
  list.addAddress(a, fa === 4 ? 'ipv4' : 'ipv6');
  return list.check(b, fa === 4 ? 'ipv4' : 'ipv6');
}

/** A proxy URL for messages: scheme, host and port, never its credentials. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** How an agent connects: TLS to the target, and the bounds of each request. */
export interface AgentSettings {
  tls: { secureContext?: SecureContext | undefined; rejectUnauthorized: boolean; servername?: string | undefined };
  connectTimeoutMs: number;
  headersTimeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
}

/**
 * The agent for one target: direct, or through `proxy` (a CONNECT tunnel;
 * TLS to the target is the tunnelled session, verified as without a proxy;
 * an https:// proxy is verified with the same trust, as Go does).
 */
export function agentVia(proxy: URL | undefined, s: AgentSettings): Dispatcher {
  const timeouts = {
    ...(s.headersTimeoutMs !== undefined ? { headersTimeout: s.headersTimeoutMs } : {}),
    ...(s.bodyTimeoutMs !== undefined ? { bodyTimeout: s.bodyTimeoutMs } : {}),
  };
  if (!proxy) return new Agent({ connect: { ...s.tls, timeout: s.connectTimeoutMs }, ...timeouts });
  log.debug(`through proxy ${describeProxy(proxy)}`);
  const { servername: _target, ...proxyTls } = s.tls;
  return new ProxyAgent({
    uri: proxy.href,
    requestTls: s.tls,
    proxyTls,
    connectTimeout: s.connectTimeoutMs,
    ...timeouts,
  } as ProxyAgent.Options);
}

/** Routes each request by its origin: directly or through its proxy (proxyFor), one agent per proxy. */
class ProxyRouter extends Dispatcher {
  // Not #private: compose() wraps the router in a Proxy, which has no private fields.
  private readonly agents = new Map<string, Dispatcher>();
  private readonly make: (proxy: URL | undefined) => Dispatcher;

  constructor(make: (proxy: URL | undefined) => Dispatcher) {
    super();
    this.make = make;
  }

  private agentFor(origin: string): Dispatcher {
    const proxy = proxyFor(new URL(origin));
    const key = proxy?.href ?? '';
    let a = this.agents.get(key);
    if (!a) {
      a = this.make(proxy);
      this.agents.set(key, a);
    }
    return a;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.agentFor(String(opts.origin)).dispatch(opts, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = Promise.all([...this.agents.values()].map((a) => a.close())).then(() => undefined);
    if (callback) {
      void p.then(callback);
      return;
    }
    return p;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const p = Promise.all([...this.agents.values()].map((d) => d.destroy(err))).then(() => undefined);
    if (callback) {
      void p.then(callback);
      return;
    }
    return p;
  }
}

// ---------------------------------------------------------------------------
// Response size

/**
 * The most helper reads of one response body, from any server: 16 MiB.
 * Nothing helper reads comes near it: a token response is a few KiB, a
 * BindingResponse (a kubeconfig and the export requests) tens of KiB, one
 * Kubernetes object at most the 3 MiB the API server accepts (etcd stores
 * 1.5 MiB), a list page (kube/transport.ts: lists are read in pages of LIST_PAGE
 * objects) a few MiB. A hostile or broken server cannot exhaust helper's
 * memory beyond it.
 */
export const RESPONSE_LIMIT = 16 * 1024 * 1024;

/** "16 MiB (16777216 bytes)", "64 bytes". */
export function describeLimit(bytes: number): string {
  const human =
    bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
      ? `${bytes / (1024 * 1024)} MiB`
      : bytes >= 1024 && bytes % 1024 === 0
        ? `${bytes / 1024} KiB`
        : '';
  return human ? `${human} (${bytes} bytes)` : `${bytes} bytes`;
}

/** A response body went over its limit; the read stopped there. */
export class ResponseTooLargeError extends Error {
  readonly host: string;
  readonly limit: number;
  constructor(host: string, limit: number, declared?: number) {
    const human = describeLimit(limit).split(' (')[0]!;
    super(
      `response body exceeds ${limit} bytes${human.endsWith(' bytes') ? '' : ` (${human})`}, helper's limit ` +
        `for one answer${declared !== undefined ? ` (content-length ${declared})` : ''}`,
    );
    this.name = 'ResponseTooLargeError';
    this.host = host;
    this.limit = limit;
  }
}

/** The ResponseTooLargeError in an error's cause chain (fetch and openid-client wrap it). */
export function tooLarge(err: unknown): ResponseTooLargeError | undefined {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof ResponseTooLargeError) return e;
  }
  return undefined;
}

/**
 * Reads a whole response body, at most `limit` bytes: beyond that the body is
 * dropped and ResponseTooLargeError names the host and the limit.
 */
export async function readLimited(
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void; cancel?: () => Promise<void> },
  host: string,
  limit = RESPONSE_LIMIT,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.byteLength;
    if (n > limit) {
      const err = new ResponseTooLargeError(host, limit);
      if (typeof body.destroy === 'function') body.destroy(err);
      else await body.cancel?.().catch(() => {});
      throw err;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * An undici interceptor bounding every response body of a dispatcher to
 * `limit` bytes, for callers that read through libraries (openid-client's
 * fetch): a declared content-length over it fails at once, a body that grows
 * over it is aborted with ResponseTooLargeError. It asks for uncompressed
 * answers (accept-encoding: identity) and refuses a compressed one: fetch
 * would inflate it past any limit counted here.
 */
export function limitResponses(limit: number): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const host = hostOf(String(opts.origin));
    let n = 0;
    let failed = false;
    const fail = (controller: Dispatcher.DispatchController, err: Error) => {
      failed = true;
      controller.abort(err);
    };
    return dispatch(
      { ...opts, headers: { ...headerObject(opts.headers), 'accept-encoding': 'identity' } },
      {
        onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
        onRequestUpgrade: (controller, status, headers, socket) =>
          handler.onRequestUpgrade?.(controller, status, headers, socket),
        onResponseStart: (controller, status, headers, message) => {
          const length = Number(headers['content-length']);
          if (Number.isFinite(length) && length > limit)
            return fail(controller, new ResponseTooLargeError(host, limit, length));
          const encoding = String(headers['content-encoding'] ?? 'identity')
            .trim()
            .toLowerCase();
          if (encoding && encoding !== 'identity')
            return fail(
              controller,
              new Error(
                `${host} answered with a compressed body (content-encoding ${encoding.slice(0, 40)}) ` +
                  `although helper asked for none`,
              ),
            );
          return handler.onResponseStart?.(controller, status, headers, message);
        },
        onResponseData: (controller, chunk) => {
          if (failed) return;
          n += chunk.length;
          if (n > limit) return fail(controller, new ResponseTooLargeError(host, limit));
          return handler.onResponseData?.(controller, chunk);
        },
        onResponseEnd: (controller, trailers) => {
          if (!failed) handler.onResponseEnd?.(controller, trailers);
        },
        onResponseError: (controller, err) => handler.onResponseError?.(controller, err),
      },
    );
  };
}

/** Request headers in any of undici's forms as one object (the last value of a repeated name wins; none repeats here).
 * */
function headerObject(h: Dispatcher.DispatchOptions['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (k: unknown, v: unknown) => {
    const name = String(k);
    if (name.toLowerCase() !== 'accept-encoding' && v !== undefined && v !== null)
      out[name] = Array.isArray(v) ? v.map(String) : String(v);
  };
  if (!h) return out;
  if (Array.isArray(h)) {
    if (h.length && Array.isArray(h[0])) for (const [k, v] of h as unknown as Array<[string, string]>) add(k, v);
    else for (let i = 0; i + 1 < h.length; i += 2) add(h[i], h[i + 1]);
  } else if (typeof (h as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of h as Iterable<[string, string]>) add(k, v);
  } else {
    for (const [k, v] of Object.entries(h)) add(k, v);
  }
  return out;
}

/**
 * A secure context trusting the system roots and `caPem`. The native context
 * adds the PEM to its copy of Node's root store, built once from the roots it
 * holds already parsed; passing `ca: [...rootCertificates, caPem]` would parse
 * all ~150 root PEM strings again (about 10 ms of a run).
 */
export function withExtraCa(caPem: string): SecureContext {
  const sc = createSecureContext();
  const native = (sc as SecureContext & { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function') return createSecureContext({ ca: [...rootCertificates, caPem] });
  native.addCACert(caPem);
  return sc;
}

/** "host:port" of a URL, for error messages (never the path or query). */
export function hostOf(url: string | URL): string {
  try {
    return new URL(url).host;
  } catch {
    return String(url);
  }
}
