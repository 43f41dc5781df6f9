/**
 * Outbound HTTPS for the token endpoint and the bind backend: one undici
 * dispatcher that trusts the system roots plus --ca-file, honours
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY, and verifies TLS unless the user opted out.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { InputError } from './errors.ts';
import { log } from './log.ts';

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
    ? `--ca-file ${givenCaFile} was trusted too and does not verify this server's certificate: pass the CA that issued it (or check the server's name and certificate)`
    : defaultHint;
}

/**
 * A TLS error text for messages: with --ca-file given, without Node's advice
 * to try --use-system-ca (the user already named the CA to trust).
 */
export function tlsDetail(text: string): string {
  return givenCaFile ? text.replace(/;? ?if the root CA is installed locally, try running Node\.js with --use-system-ca/, '') : text;
}

/** The one warning for --insecure-skip-tls-verify; `what` is the subject: "the control plane's TLS certificate is". */
export function warnInsecure(what: string): void {
  log.warn(`--insecure-skip-tls-verify: ${what} NOT verified`);
}

/**
 * The one https-only rule for a URL that carries a credential: plain http
 * only with --insecure-skip-tls-verify. `name` is how the message names the
 * input (-u, OIDC_TOKEN_URL), `sends` what would travel in clear.
 */
export function requireHttps(url: URL, o: { insecure?: boolean | undefined; code: string; name: string; sends: string }): void {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && o.insecure)) {
    throw new InputError(o.code, `${o.name} must be an https:// URL (got ${url.protocol}//${url.host}); plain http would send ${o.sends} in clear (allowed only with --insecure-skip-tls-verify)`);
  }
}

/** Reads a --ca-file, failing with an InputError that names the file. */
export function readCaFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  givenCaFile = path;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError('HELPER_CA_FILE', `cannot read --ca-file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError('HELPER_CA_FILE', `--ca-file ${path} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
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

/** Builds the dispatcher every outbound call of one run shares. */
export function makeDispatcher(opts: DispatcherOptions = {}): Dispatcher {
  // One secure context for every connection: given `ca`, each TLS connection would parse the
  // ~150 system roots again (~20 ms each; the token endpoint and the backend are two hosts).
  const tls = { ...(opts.caPem ? { secureContext: withExtraCa(opts.caPem) } : {}), rejectUnauthorized: !opts.insecure };
  return new EnvHttpProxyAgent({
    connect: { ...tls, timeout: opts.connectTimeoutMs ?? 10_000 },
    // Through a proxy the TLS session to the target is the tunnelled one.
    requestTls: tls,
    headersTimeout: opts.headersTimeoutMs ?? 30_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 30_000,
  } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
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

