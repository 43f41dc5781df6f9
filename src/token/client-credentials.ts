/**
 * Step 3: an OAuth2 client-credentials access token from OIDC_TOKEN_URL.
 * Client authentication follows Go's x/oauth2 (what the a9s CLI uses):
 * HTTP Basic first, and on invalid_client once more with the credentials in
 * the form body. Every foreign error is translated here into an AuthError
 * that names the token endpoint's host and never carries the secret.
 */
import * as oidc from 'openid-client';
import { fetch, Headers, Request, Response } from 'undici';
import { AuthError, describeCause, InputError, isTlsFailure } from '../errors.ts';
import { requireHttps, tlsDetail, tlsHint, type CallOptions } from '../http.ts';
import { log } from '../log.ts';
import { parseRetryAfter, withRetry, type RetryDecision } from '../retry.ts';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scope?: string | undefined;
}

export interface TokenOptions extends CallOptions {
  insecure?: boolean | undefined;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: number | undefined;
  /** The client authentication method that worked. */
  method: 'client_secret_basic' | 'client_secret_post';
}

/** A non-OAuth answer (e.g. a 404 page): the URL is not a token endpoint. Never retried. */
class NotTokenEndpoint extends Error {
  readonly status: number;
  readonly contentType: string;
  constructor(status: number, contentType: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.contentType = contentType;
  }
}

class RetryableStatus extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, retryAfterMs: number | undefined) {
    super(`HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Fetches an access token; throws AuthError (or InputError for an unusable URL). */
export async function fetchToken(creds: ClientCredentials, opts: TokenOptions): Promise<AccessToken> {
  let url: URL;
  try {
    url = new URL(creds.tokenUrl);
  } catch {
    throw new InputError('HELPER_TOKEN_URL', `OIDC_TOKEN_URL is not a URL: ${JSON.stringify(creds.tokenUrl.slice(0, 200))}`);
  }
  requireHttps(url, { insecure: opts.insecure, code: 'HELPER_TOKEN_URL', name: 'OIDC_TOKEN_URL', sends: 'the client secret' });
  const host = url.host;
  const attempt = async (method: AccessToken['method']) =>
    withRetry(() => requestToken(creds, url, method, opts), {
      attempts: opts.attempts,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 10_000,
      signal: opts.signal,
      classify: classifyTokenError,
      onRetry: ({ attempt, delayMs, reason }) =>
        log.warn(`token endpoint ${host}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${opts.attempts})`),
    });
  try {
    try {
      return await attempt('client_secret_basic');
    } catch (err) {
      if (oauthError(err) !== 'invalid_client') throw err;
      log.debug(`token endpoint ${host} refused HTTP Basic client authentication; retrying with credentials in the request body`);
      return await attempt('client_secret_post');
    }
  } catch (err) {
    throw translateTokenError(err, host, creds.clientId, opts.signal);
  }
}

/**
 * openid-client (through oauth4webapi) builds its requests with the global
 * Headers and checks answers against the global Response and Request. In
 * Node those globals are a second copy of undici, loaded on first use (about
 * 24 ms of a run). The bundled undici's classes, whose Response the custom
 * fetch below answers with anyway, stand in for them in this process.
 */
let bundledFetchClasses = false;
function useBundledFetchClasses(): void {
  if (bundledFetchClasses) return;
  bundledFetchClasses = true;
  for (const [name, value] of Object.entries({ Headers, Request, Response })) {
    // Deleted first: reading, or redefining, Node's lazy global would load its copy.
    delete (globalThis as Record<string, unknown>)[name];
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

async function requestToken(creds: ClientCredentials, url: URL, method: AccessToken['method'], opts: TokenOptions): Promise<AccessToken> {
  useBundledFetchClasses();
  const auth = method === 'client_secret_basic' ? oidc.ClientSecretBasic(creds.clientSecret) : oidc.ClientSecretPost(creds.clientSecret);
  const config = new oidc.Configuration({ issuer: url.origin, token_endpoint: url.href }, creds.clientId, {}, auth);
  if (url.protocol === 'http:') oidc.allowInsecureRequests(config);
  config.timeout = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
  config[oidc.customFetch] = async (input, init) => {
    const signal = opts.signal && init.signal ? AbortSignal.any([init.signal, opts.signal]) : (init.signal ?? opts.signal);
    const res = await fetch(input, { ...(init as object), signal, dispatcher: opts.dispatcher } as Parameters<typeof fetch>[1]);
    // openid-client would turn these into a generic "unexpected status" error;
    // surface them as retryable with the server's Retry-After.
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel().catch(() => {});
      throw new RetryableStatus(res.status, parseRetryAfter(res.headers.get('retry-after')));
    }
    // OAuth errors are JSON (RFC 6749 5.2) or a WWW-Authenticate challenge; anything else is not a token endpoint.
    const type = res.headers.get('content-type') ?? '';
    if (res.status >= 400 && !/\bjson\b/i.test(type) && !res.headers.get('www-authenticate')) {
      await res.body?.cancel().catch(() => {});
      throw new NotTokenEndpoint(res.status, type);
    }
    return res as unknown as globalThis.Response;
  };
  const params: Record<string, string> = {};
  if (creds.scope) params.scope = creds.scope;
  const res = await oidc.clientCredentialsGrant(config, params);
  const expiresIn = res.expiresIn();
  return { accessToken: res.access_token, expiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000, method };
}

function oauthError(err: unknown): string | undefined {
  if (err instanceof oidc.ResponseBodyError) return err.error;
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const c = err.cause?.[0]?.parameters?.error;
    return typeof c === 'string' ? c : err.status === 401 ? 'invalid_client' : undefined;
  }
  return undefined;
}

function causeOf<T>(err: unknown, cls: new (...a: never[]) => T): T | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof cls) return e;
  }
  return undefined;
}

/** The request's own timeout fired (AbortSignal.timeout or openid-client's). */
function timedOut(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err as { code?: string }).code === 'OAUTH_TIMEOUT');
}

function isNetworkError(err: unknown): boolean {
  const text = describeCause(err);
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR_(SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT)|other side closed|fetch failed|socket hang up/i.test(text)
    || timedOut(err);
}

function isTimeout(err: unknown): boolean {
  return timedOut(err) || /UND_ERR_(HEADERS|BODY)_TIMEOUT|aborted due to timeout/i.test(describeCause(err));
}

function classifyTokenError(err: unknown): RetryDecision {
  const st = causeOf(err, RetryableStatus);
  if (st) return { retry: true, delayMs: st.retryAfterMs, reason: `HTTP ${st.status}` };
  if (isTlsFailure(err)) return { retry: false };
  if (isNetworkError(err)) return { retry: true, reason: describeCause(err) };
  return { retry: false };
}


function translateTokenError(err: unknown, host: string, clientId: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (err instanceof InputError) return err;
  const code = oauthError(err);
  if (code) {
    const desc = err instanceof oidc.ResponseBodyError ? err.error_description : undefined;
    const status = (err as { status?: number }).status;
    const hint = code === 'invalid_client'
      ? 'check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or --client-secret-file)'
      : code === 'invalid_scope' ? 'check OIDC_SCOPE / --oidc-scope' : undefined;
    return new AuthError('HELPER_TOKEN_REFUSED', `token endpoint ${host} refused client ${JSON.stringify(clientId)}: HTTP ${status ?? '?'} ${code}${desc ? ` (${desc})` : ''}`, { hint, cause: err });
  }
  const nt = causeOf(err, NotTokenEndpoint);
  if (nt) {
    return new AuthError('HELPER_TOKEN_STATUS', `token endpoint ${host} answered HTTP ${nt.status} (${nt.contentType || 'no content type'}), not an OAuth token response`, {
      hint: 'check OIDC_TOKEN_URL: it must be the provider\'s token endpoint, as token_endpoint in <issuer>/.well-known/openid-configuration names it', cause: err,
    });
  }
  const st = causeOf(err, RetryableStatus);
  if (st) return new AuthError('HELPER_TOKEN_UNAVAILABLE', `token endpoint ${host} kept failing: HTTP ${st.status} (gave up after retries)`, { cause: err });
  if (isTlsFailure(err)) {
    return new AuthError('HELPER_TOKEN_TLS', `TLS verification of token endpoint ${host} failed: ${tlsDetail(describeCause(err))}`, { hint: tlsHint('pass the CA that issued its certificate with --ca-file'), cause: err });
  }
  if (isTimeout(err)) {
    return new AuthError('HELPER_TOKEN_TIMEOUT', `token endpoint ${host} did not answer in time (gave up after retries)`, { hint: 'a slow token endpoint may need a longer --request-timeout', cause: err });
  }
  if (isNetworkError(err)) {
    return new AuthError('HELPER_TOKEN_UNREACHABLE', `cannot reach token endpoint ${host}: ${describeCause(err)}`, { cause: err });
  }
  const notJson = (err as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_JSON';
  return new AuthError('HELPER_TOKEN_FAILED', `token request to ${host} failed: ${describeCause(err)}`, {
    hint: notJson ? 'the answer is not JSON: is OIDC_TOKEN_URL the provider\'s token endpoint (token_endpoint in <issuer>/.well-known/openid-configuration)?' : undefined, cause: err,
  });
}
