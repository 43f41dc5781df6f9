/**
 * Bounded waits on one object. A watch on the object wakes the loop as soon
 * as it changes; a GET on every wake-up (and on an interval, faster when the
 * watch is unavailable) decides. A timeout says what it last saw.
 */
import { ClusterError, TimeoutError } from '../errors.ts';
import { log } from '../log.ts';
import type { KObject } from './resources.ts';
import type { WatchStart } from './transport.ts';

export type Check<R> = { done: true; value: R } | { done: false; seen: string };

export interface WaitOptions<R, O = KObject> {
  /** Human name of what we wait for, e.g. `APIServiceNamespace "team-a"`. */
  what: string;
  /** A shorter name for the still-waiting lines (default: what), when a line before them named it in full. */
  brief?: string | undefined;
  /** Reads the object (or whatever is judged); resolves undefined when it does not exist. */
  get: () => Promise<O | undefined>;
  /** Decides; may throw (e.g. FailedError) to end the wait. */
  check: (obj: O | undefined) => Check<R>;
  timeoutMs: number;
  /** Poll interval while the watch works / when it does not. */
  intervalMs?: number;
  fallbackIntervalMs?: number;
  /** A watch on the object (ControlPlane.watch): each event wakes the loop. */
  watch?: WatchStart | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: (seen: string) => void;
  /** Interval of the "still waiting" line on stderr; default a fifth of the timeout, from 5 s to 1 min. */
  stillWaitingMs?: number;
}

/** "45s", "1m", "1m30s", "2h". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${r ? `${r}s` : ''}`;
}

/** The steady interval of "still waiting" lines for a wait of this length. */
export function stillWaitingInterval(timeoutMs: number): number {
  return Math.min(60_000, Math.max(5_000, Math.round(timeoutMs / 5)));
}

/** Resolves with check()'s value, or throws TimeoutError carrying the last state seen. */
export async function waitUntil<R, O = KObject>(opts: WaitOptions<R, O>): Promise<R> {
  const start = Date.now();
  const deadline = start + opts.timeoutMs;
  let wake: (() => void) | undefined;
  let watchAlive = false;
  const watcher = new AbortController();
  let lastSeen = 'nothing yet';
  let lastReported = '';
  // A line at a steady interval (not on every change) says the wait is alive and what it last saw; a state
  // an earlier line showed is not repeated (it can be a long list), only when that line was.
  const every = opts.stillWaitingMs ?? stillWaitingInterval(opts.timeoutMs);
  let shown: { seen: string; at: string } | undefined;
  const still = setInterval(() => {
    const at = formatDuration(Date.now() - start);
    const seen = shown?.seen === lastSeen ? `same as at ${shown.at}` : lastSeen;
    if (shown?.seen !== lastSeen) shown = { seen: lastSeen, at };
    log.info(
      `still waiting (${at} of ${formatDuration(opts.timeoutMs)}): ${opts.brief ?? opts.what}; last seen: ${seen}`,
    );
  }, every);
  still.unref();

  // The watch only wakes the loop early; the loop does not wait for it to
  // connect (a stalled watch request would otherwise hold the wait for the
  // library's own 30 s connect timeout) and polls fast until it is up.
  let finished = false;
  let watchEnded = false;
  if (opts.watch) {
    opts
      .watch(
        () => wake?.(),
        (err) => {
          if (watchAlive)
            log.debug(`watch on ${opts.what} ended${err ? `: ${(err as Error).message ?? err}` : ''}; polling instead`);
          watchEnded = true;
          watchAlive = false;
          wake?.();
        },
        watcher.signal,
      )
      .then(
        () => {
          // The done callback may have run before the request resolved: a watch that failed at once is not alive.
          if (!finished) watchAlive = !watchEnded;
        },
        (err: unknown) => {
          if (finished) return;
          log.debug(`cannot watch ${opts.what} (${(err as Error).message}); polling instead`);
        },
      );
  }

  try {
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      let obj: O | undefined;
      let fetched = true;
      try {
        obj = await beforeDeadline(
          opts.get(),
          deadline,
          () =>
            new TimeoutError(
              'HELPER_WAIT_TIMEOUT',
              `timed out after ${Math.round((Date.now() - start) / 1000)}s waiting for ${opts.what} (the ` +
                `last read got no answer); last seen: ${lastSeen}`,
            ),
        );
      } catch (err) {
        if (err instanceof TimeoutError) throw err;
        // Refusals are final; anything passing is retried until the deadline.
        if (err instanceof ClusterError && (err.status === 401 || err.status === 403)) throw err;
        if (!(err instanceof ClusterError)) throw err;
        fetched = false;
        lastSeen = `error: ${err.message}`;
      }
      if (fetched) {
        const r = opts.check(obj);
        if (r.done) return r.value;
        lastSeen = r.seen;
      }
      if (lastSeen !== lastReported) {
        opts.onProgress?.(lastSeen);
        lastReported = lastSeen;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new TimeoutError(
          'HELPER_WAIT_TIMEOUT',
          `timed out after ${Math.round((Date.now() - start) / 1000)}s waiting for ${opts.what}; last seen: ` +
            `${lastSeen}`,
        );
      }
      const interval = watchAlive ? (opts.intervalMs ?? 5000) : (opts.fallbackIntervalMs ?? 1000);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, Math.min(interval, left));
        const onAbort = () => {
          clearTimeout(timer);
          reject(opts.signal!.reason);
        };
        function done() {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          wake = undefined;
          resolve();
        }
        wake = done;
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  } finally {
    clearInterval(still);
    finished = true;
    watchAlive = false;
    watcher.abort();
  }
}

/** A read that starts just before the deadline still gets this long to answer. */
const LAST_READ_GRACE_MS = 2000;

/**
 * The promise's outcome, or the error of onLate() once the deadline (plus
 * the grace for a last read) passes first: a stalled read cannot outlive the
 * wait.
 */
function beforeDeadline<T>(p: Promise<T>, deadline: number, onLate: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onLate()), Math.max(0, deadline - Date.now()) + LAST_READ_GRACE_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
