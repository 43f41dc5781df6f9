/**
 * The one test-side polling loop (the sandbox's readiness waits, the e2e
 * tests' eventually(), the demo's until()): bounded, and when it gives up it
 * says what it last saw. Callers choose how a timeout fails (throw, t.fail)
 * and what it adds (a process's log tail).
 */

/** One look: a value when done (anything but undefined), else what was seen instead. */
export interface PollStep<T> {
  value?: T;
  seen: string;
}

export interface PollOptions {
  /** What is waited for, as the error names it. */
  what: string;
  timeoutMs: number;
  /** Pause between looks (default 500 ms). */
  intervalMs?: number;
  /** After each look that is not done: a reason to stop at once (e.g. the process exited), or undefined. */
  stop?: () => string | undefined;
  /** Appended to the error on a new line (e.g. the process's log tail). */
  detail?: () => string;
}

/** The error of a poll that gave up: `<what>: not within Ns; last seen: <seen>` (or the stop reason). */
export class PollTimeout extends Error {
  readonly seen: string;

  constructor(message: string, seen: string) {
    super(message);
    this.name = 'PollTimeout';
    this.seen = seen;
  }
}

/** Looks until read() returns a value and resolves with it; rejects with PollTimeout at the deadline. */
export async function poll<T>(opts: PollOptions, read: () => Promise<PollStep<T>>): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const withDetail = (msg: string) => (opts.detail ? `${msg}\n${opts.detail()}` : msg);
  for (;;) {
    const r = await read();
    if (r.value !== undefined) return r.value;
    const stopped = opts.stop?.();
    if (stopped) throw new PollTimeout(withDetail(`${opts.what}: ${stopped}`), r.seen);
    if (Date.now() > deadline)
      throw new PollTimeout(
        withDetail(`${opts.what}: not within ${opts.timeoutMs / 1000}s; last seen: ${r.seen}`),
        r.seen,
      );
    await new Promise((res) => setTimeout(res, opts.intervalMs ?? 500));
  }
}
