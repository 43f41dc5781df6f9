/**
 * Step 3: an OAuth2 access token from OIDC_TOKEN_URL, with exactly one way
 * of authenticating (options/bootstrap-env.ts oidcCredentials judges that):
 * - a client secret, client-credentials grant: as Go's x/oauth2 (what the a9s
 *   CLI uses), HTTP Basic first and on invalid_client once more with the
 *   credentials in the form body;
 * - a private key (private_key_jwt, RFC 7523 §2.2), client-credentials grant:
 *   openid-client's PrivateKeyJwt signs a fresh assertion (aud: the token
 *   endpoint URL, 60 s) for every request;
 * - a federated assertion read from a file, sent as the client assertion
 *   with the client-credentials grant, or as the grant itself (the JWT-bearer
 *   grant, RFC 7523 §2.1, with the client ID in the body).
 * The token endpoint is https-only, --insecure-skip-tls-verify or not. Every
 * foreign error is translated here into an AuthError that names the token
 * endpoint's host, the method (and key id) used and never carries a secret.
 */
import * as oidc from 'openid-client';
import { fetch, Headers, Request, Response } from 'undici';
import { AuthError, describeCause, InputError, isTlsFailure } from '../errors.ts';
import { tlsDetail, tlsHint, type CallOptions } from '../http.ts';
import { log } from '../log.ts';
import { parseRetryAfter, withRetry, type RetryDecision } from '../retry.ts';
import { assertionProblems, claimsOf } from './assertion.ts';
import type { ClientKey } from './client-key.ts';

/** How a federated assertion is used: as the client assertion (client-credentials grant) or as the JWT-bearer grant. */
export type AssertionGrant = 'client_credentials' | 'jwt_bearer';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface ClientBase {
  clientId: string;
  tokenUrl: string;
  scope?: string | undefined;
  /** The `audience` parameter (e.g. Hydra, Auth0). */
  audience?: string | undefined;
  /** The `resource` parameter (RFC 8707; e.g. oidc-provider, Entra ID v1). */
  resource?: string | undefined;
}

/** One assertion as read from its file, for one request. */
export interface Assertion {
  jwt: string;
  file: string;
  grant: AssertionGrant;
}

/** The client of one token request: exactly one of a secret, a key, an assertion. */
export type ClientCredentials = ClientBase &
  (
    | { clientSecret: string; key?: never; assertion?: never }
    | { key: ClientKey; clientSecret?: never; assertion?: never }
    | { assertion: Assertion; clientSecret?: never; key?: never }
  );

export interface TokenOptions extends CallOptions {
  insecure?: boolean | undefined;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: number | undefined;
  /** The client authentication method (or grant) that worked. */
  method: Method;
}

export type Method =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'client_assertion'
  | 'jwt_bearer';

/** How a method is named in messages: the OAuth name, and for a key its key id, for an assertion its file. */
export function describeMethod(creds: ClientCredentials, method?: Method): string {
  if (creds.key)
    return `private_key_jwt, key id ${JSON.stringify(creds.key.kid)} (${creds.key.alg}) from ${creds.key.file}`;
  if (creds.assertion) {
    return creds.assertion.grant === 'jwt_bearer'
      ? `the JWT-bearer grant with the assertion from ${creds.assertion.file}`
      : `the client assertion from ${creds.assertion.file}`;
  }
  return method ?? 'client_secret_basic';
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
    throw new InputError(
      'HELPER_TOKEN_URL',
      `OIDC_TOKEN_URL is not a URL: ${JSON.stringify(creds.tokenUrl.slice(0, 200))}`,
    );
  }
  // Skipping certificate verification is a choice about trust, not about
  // encryption: a secret, a signed assertion or a platform's token never
  // travels in clear, --insecure-skip-tls-verify or not.
  if (url.protocol !== 'https:') {
    const sends = creds.key ? 'the signed client assertion' : creds.assertion ? 'the assertion' : 'the client secret';
    throw new InputError(
      'HELPER_TOKEN_URL',
      `OIDC_TOKEN_URL must be an https:// URL (got ${url.protocol}//${url.host}); plain http would send ` +
        `${sends} in clear (--insecure-skip-tls-verify does not allow it)`,
    );
  }
  const host = url.host;
  // An assertion read from a file goes out once: a retry resends it only
  // when the failed attempt cannot have reached the provider (a refused or
  // timed-out connection, or a 429 that says it was not processed).
  const classify = creds.assertion
    ? (err: unknown) => (notSent(err) ? classifyTokenError(err) : { retry: false })
    : classifyTokenError;
  const attempt = async (method: Method) =>
    withRetry(() => requestToken(creds, url, method, opts), {
      attempts: opts.attempts,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 10_000,
      signal: opts.signal,
      classify,
      onRetry: ({ attempt, delayMs, reason }) =>
        log.warn(
          `token endpoint ${host}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ` +
            `${attempt + 1} of ${opts.attempts})`,
        ),
    });
  try {
    if (creds.key) return await attempt('private_key_jwt');
    if (creds.assertion)
      return await attempt(creds.assertion.grant === 'jwt_bearer' ? 'jwt_bearer' : 'client_assertion');
    try {
      return await attempt('client_secret_basic');
    } catch (err) {
      if (oauthError(err) !== 'invalid_client') throw err;
      log.debug(
        `token endpoint ${host} refused HTTP Basic client authentication; retrying with credentials in the ` +
          `request body`,
      );
      return await attempt('client_secret_post');
    }
  } catch (err) {
    throw translateTokenError(err, host, creds, url.href, opts.signal);
  }
}

/** The failure happened before the request reached the provider. */
function notSent(err: unknown): boolean {
  const st = causeOf(err, RetryableStatus);
  if (st) return st.status === 429;
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT/.test(describeCause(err));
}

/** openid-client's ClientAuth for an assertion someone else signed: client_id, client_assertion_type, client_assertion.
 * */
function federatedAssertion(jwt: string): oidc.ClientAuth {
  return (_as, client, body) => {
    body.set('client_id', client.client_id);
    body.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
    body.set('client_assertion', jwt);
  };
}

function clientAuth(creds: ClientCredentials, url: URL, method: Method): oidc.ClientAuth {
  if (creds.key) {
    // RFC 7523 §3: the token endpoint URL identifies the authorization server
    // as the audience; Okta, Entra ID and Hydra require it, Keycloak and
    // oidc-provider accept it (openid-client's default is the issuer, which
    // helper does not know).
    return oidc.PrivateKeyJwt(
      { key: creds.key.key, kid: creds.key.kid },
      {
        [oidc.modifyAssertion]: (header, payload) => {
          payload.aud = url.href;
          // oauth4webapi names an Ed25519 signature by RFC 9864's "Ed25519"; providers know it as "EdDSA" (the same
          // signature).
          if (creds.key.alg === 'EdDSA') header.alg = 'EdDSA';
        },
      },
    );
  }
  if (creds.assertion)
    return creds.assertion.grant === 'jwt_bearer' ? oidc.None() : federatedAssertion(creds.assertion.jwt);
  return method === 'client_secret_basic'
    ? oidc.ClientSecretBasic(creds.clientSecret)
    : oidc.ClientSecretPost(creds.clientSecret);
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

async function requestToken(
  creds: ClientCredentials,
  url: URL,
  method: AccessToken['method'],
  opts: TokenOptions,
): Promise<AccessToken> {
  useBundledFetchClasses();
  const config = new oidc.Configuration(
    { issuer: url.origin, token_endpoint: url.href },
    creds.clientId,
    {},
    clientAuth(creds, url, method),
  );
  config.timeout = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
  config[oidc.customFetch] = async (input, init) => {
    const signal =
      opts.signal && init.signal ? AbortSignal.any([init.signal, opts.signal]) : (init.signal ?? opts.signal);
    const res = await fetch(input, { ...(init as object), signal, dispatcher: opts.dispatcher } as Parameters<
      typeof fetch
    >[1]);
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
  if (creds.audience) params.audience = creds.audience;
  if (creds.resource) params.resource = creds.resource;
  const res =
    method === 'jwt_bearer'
      ? await oidc.genericGrantRequest(config, JWT_BEARER_GRANT, { ...params, assertion: creds.assertion!.jwt })
      : await oidc.clientCredentialsGrant(config, params);
  const expiresIn = res.expiresIn();
  return {
    accessToken: res.access_token,
    expiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000,
    method,
  };
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

const NETWORK_ERROR = new RegExp(
  'ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|' +
    'UND_ERR_(SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT)|other side closed|fetch failed|socket hang up',
  'i',
);

function isNetworkError(err: unknown): boolean {
  const text = describeCause(err);
  return NETWORK_ERROR.test(text) || timedOut(err);
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

function refusalHint(code: string, creds: ClientCredentials): string | undefined {
  if (code === 'invalid_scope') return 'check OIDC_SCOPE / --oidc-scope';
  if (code === 'invalid_target') return 'check OIDC_RESOURCE / --oidc-resource';
  if (code !== 'invalid_client' && code !== 'invalid_grant' && code !== 'unauthorized_client') return undefined;
  if (creds.key)
    return (
      `check OIDC_CLIENT_ID and that the provider has the public key of ${creds.key.file} registered for the ` +
      `client (its JWKS, with kid ${JSON.stringify(creds.key.kid)} or none; OIDC_CLIENT_KEY_ID sets the kid ` +
      `helper sends)`
    );
  if (creds.assertion) {
    return creds.assertion.grant === 'jwt_bearer'
      ? 'check OIDC_CLIENT_ID, that the client may use the JWT-bearer grant, and that the provider trusts the ' +
          "assertion's issuer and subject"
      : "check OIDC_CLIENT_ID and that the provider trusts the assertion's issuer and subject for this client " +
          '(a federated credential)';
  }
  return code === 'invalid_client'
    ? 'check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or --client-secret-file)'
    : undefined;
}

function translateTokenError(
  err: unknown,
  host: string,
  creds: ClientCredentials,
  tokenUrl: string,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (err instanceof InputError) return err;
  const code = oauthError(err);
  if (code) {
    const desc = err instanceof oidc.ResponseBodyError ? err.error_description : undefined;
    const status = (err as { status?: number }).status;
    const via = creds.clientSecret === undefined ? ` (${describeMethod(creds)})` : '';
    let message =
      `token endpoint ${host} refused client ${JSON.stringify(creds.clientId)}${via}: HTTP ${status ?? '?'} ` +
      `${code}${desc ? ` (${desc})` : ''}`;
    const claims = creds.assertion ? claimsOf(creds.assertion.jwt) : undefined;
    const problems = claims ? assertionProblems(claims, Date.now(), tokenUrl, creds.assertion!.grant) : [];
    if (problems.length) message += `; ${problems.join('; ')}`;
    return new AuthError('HELPER_TOKEN_REFUSED', message, { hint: refusalHint(code, creds), cause: err });
  }
  const nt = causeOf(err, NotTokenEndpoint);
  if (nt) {
    return new AuthError(
      'HELPER_TOKEN_STATUS',
      `token endpoint ${host} answered HTTP ${nt.status} (${nt.contentType || 'no content type'}), not an ` +
        `OAuth token response`,
      {
        hint:
          "check OIDC_TOKEN_URL: it must be the provider's token endpoint, as token_endpoint in " +
          '<issuer>/.well-known/openid-configuration names it',
        cause: err,
      },
    );
  }
  const st = causeOf(err, RetryableStatus);
  if (st)
    return new AuthError(
      'HELPER_TOKEN_UNAVAILABLE',
      `token endpoint ${host} kept failing: HTTP ${st.status} (gave up after retries)`,
      { cause: err },
    );
  if (isTlsFailure(err)) {
    return new AuthError(
      'HELPER_TOKEN_TLS',
      `TLS verification of token endpoint ${host} failed: ${tlsDetail(describeCause(err))}`,
      { hint: tlsHint('pass the CA that issued its certificate with --ca-file'), cause: err },
    );
  }
  if (isTimeout(err)) {
    return new AuthError(
      'HELPER_TOKEN_TIMEOUT',
      `token endpoint ${host} did not answer in time (gave up after retries)`,
      { hint: 'a slow token endpoint may need a longer --request-timeout', cause: err },
    );
  }
  if (isNetworkError(err)) {
    return new AuthError('HELPER_TOKEN_UNREACHABLE', `cannot reach token endpoint ${host}: ${describeCause(err)}`, {
      cause: err,
    });
  }
  const notJson = (err as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_JSON';
  return new AuthError('HELPER_TOKEN_FAILED', `token request to ${host} failed: ${describeCause(err)}`, {
    hint: notJson
      ? "the answer is not JSON: is OIDC_TOKEN_URL the provider's token endpoint (token_endpoint in " +
        '<issuer>/.well-known/openid-configuration)?'
      : undefined,
    cause: err,
  });
}
