/**
 * Bounded retries with exponential backoff and jitter, for calls whose
 * failure may be passing (network errors, 429, 5xx). Cancellable by signal.
 */

export interface RetryDecision {
  retry: boolean;
  /** Server-requested delay (Retry-After), used instead of the backoff. */
  delayMs?: number | undefined;
  /** A short, secret-free word on why, for the progress line. */
  reason?: string | undefined;
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No new attempt starts after this many ms from the first one. */
  deadlineMs?: number | undefined;
  signal?: AbortSignal | undefined;
  classify: (err: unknown) => RetryDecision;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /** Injected for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs fn until it succeeds, classify() says stop, or attempts/deadline run out; rethrows the last error. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const wait = opts.sleep ?? sleep;
  const now = opts.now ?? Date.now;
  const start = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const d = opts.classify(err);
      if (!d.retry || attempt >= opts.attempts) throw err;
      const backoff = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
      let delayMs = d.delayMs ?? Math.round(backoff / 2 + Math.random() * (backoff / 2));
      delayMs = Math.min(delayMs, opts.maxDelayMs);
      if (opts.deadlineMs !== undefined && now() + delayMs - start > opts.deadlineMs) throw err;
      opts.onRetry?.({ attempt, delayMs, reason: d.reason ?? 'error' });
      await wait(delayMs, opts.signal);
    }
  }
}

/** Parses a Retry-After header (seconds or HTTP date) into ms, if valid. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
