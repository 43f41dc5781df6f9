/**
 * Step 4: POST the raw binding.json bytes to the backend with the bearer
 * token. Retries only on network errors, 429 (honouring Retry-After) and 5xx,
 * with backoff, bounded in attempts and time. Returns the parsed JSON of the
 * 200 body; every other outcome is a coded error naming the backend host.
 */
import { fetch } from 'undici';
import { AuthError, BackendError, describeCause, isTlsFailure } from '../errors.ts';
import { readLimited, RESPONSE_LIMIT, tlsDetail, tlsHint, tooLarge, type CallOptions } from '../http.ts';
import { log, redact, serverText } from '../log.ts';
import { parseRetryAfter, withRetry, type RetryDecision } from '../retry.ts';

export interface PostOptions extends CallOptions {
  /** No retry starts after this many ms. */
  deadlineMs?: number | undefined;
  /** The most of an answer read (RESPONSE_LIMIT, 16 MiB, by default). */
  maxBodyBytes?: number;
}

class HttpStatusError extends Error {
  readonly status: number;
  readonly body: string;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, body: string, retryAfterMs: number | undefined) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

/** POSTs the binding and returns the 200 body as parsed JSON; throws AuthError/BackendError. */
export async function postBinding(
  url: URL,
  body: Uint8Array,
  accessToken: string,
  opts: PostOptions,
): Promise<unknown> {
  const host = url.host;
  const maxBytes = opts.maxBodyBytes ?? RESPONSE_LIMIT;
  let text: string;
  try {
    text = await withRetry(
      async () => {
        const signal = opts.signal
          ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal])
          : AbortSignal.timeout(opts.timeoutMs);
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body,
          signal,
          dispatcher: opts.dispatcher,
          redirect: 'manual',
        });
        const payload = res.body
          ? new TextDecoder('utf-8', { fatal: false }).decode(await readLimited(res.body, host, maxBytes))
          : '';
        if (res.status !== 200)
          throw new HttpStatusError(res.status, payload, parseRetryAfter(res.headers.get('retry-after')));
        const type = res.headers.get('content-type') ?? '';
        if (!/\bjson\b/i.test(type)) {
          throw new BackendError(
            'HELPER_BACKEND_CONTENT_TYPE',
            `backend ${host} answered 200 with content type ${JSON.stringify(type || '(none)')}, expected ` +
              `application/json`,
          );
        }
        return payload;
      },
      {
        attempts: opts.attempts,
        baseDelayMs: opts.baseDelayMs ?? 2000,
        maxDelayMs: opts.maxDelayMs ?? 10_000,
        deadlineMs: opts.deadlineMs,
        signal: opts.signal,
        classify,
        onRetry: ({ attempt, delayMs, reason }) =>
          log.warn(
            `backend ${host}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1} ` +
              `of ${opts.attempts})`,
          ),
      },
    );
  } catch (err) {
    throw translate(err, url, opts.signal);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BackendError(
      'HELPER_BACKEND_RESPONSE_JSON',
      `backend ${host} answered 200 with a body that is not JSON (${(err as Error).message}; ${text.length} bytes)`,
    );
  }
}

function classify(err: unknown): RetryDecision {
  if (err instanceof HttpStatusError) {
    if (err.status === 429 || err.status >= 500)
      return { retry: true, delayMs: err.retryAfterMs, reason: `HTTP ${err.status}` };
    return { retry: false };
  }
  if (err instanceof BackendError || tooLarge(err)) return { retry: false };
  const text = describeCause(err);
  if (isTlsFailure(text)) return { retry: false };
  return { retry: true, reason: text };
}

/** The first line(s) of a text error body, trimmed and redacted. */
function excerpt(body: string): string {
  const t = serverText(redact(body.trim().replace(/\s+/g, ' ')));
  return t.length > 500 ? t.slice(0, 500) + '…' : t;
}

function translate(err: unknown, url: URL, signal: AbortSignal | undefined): unknown {
  const host = url.host;
  if (signal?.aborted) return signal.reason;
  if (err instanceof BackendError) return err;
  const big = tooLarge(err);
  if (big) return new BackendError('HELPER_BACKEND_RESPONSE_SIZE', `backend ${host}: ${big.message}`);
  if (err instanceof HttpStatusError) {
    const body = excerpt(err.body);
    if (err.status === 401 || err.status === 403) {
      return new AuthError(
        'HELPER_BACKEND_UNAUTHORIZED',
        `backend ${host} rejected the access token: HTTP ${err.status}${body ? `: ${body}` : ''}`,
        {
          hint:
            "the token's audience (aud) must contain the backend's OIDC client ID and its issuer must be the " +
            "one the backend trusts; check the IdP's audience mapper for this client",
        },
      );
    }
    if (err.status === 429 || err.status >= 500) {
      return new BackendError(
        'HELPER_BACKEND_UNAVAILABLE',
        `backend ${host} kept failing: HTTP ${err.status}${body ? `: ${body}` : ''} (gave up after retries)`,
      );
    }
    const hint =
      err.status === 404 || err.status === 405
        ? `helper POSTed to ${url.pathname} (it appends /bind-noninteractive to -u unless -u already contains ` +
          `it); check -u / HELPER_BIND_URL: the backend's base URL or its /bind-noninteractive endpoint`
        : undefined;
    return new BackendError(
      'HELPER_BACKEND_STATUS',
      `backend ${host} refused the binding: HTTP ${err.status}${body ? `: ${body}` : ''}`,
      { hint },
    );
  }
  const text = describeCause(err);
  if (isTlsFailure(text)) {
    return new BackendError('HELPER_BACKEND_TLS', `TLS verification of backend ${host} failed: ${tlsDetail(text)}`, {
      hint: tlsHint('pass the CA that issued its certificate with --ca-file'),
    });
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new BackendError('HELPER_BACKEND_TIMEOUT', `backend ${host} did not answer in time (gave up after retries)`);
  }
  return new BackendError(
    'HELPER_BACKEND_UNREACHABLE',
    `cannot reach backend ${host}: ${text} (gave up after retries)`,
  );
}
