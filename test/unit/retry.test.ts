import t from 'tap';
import { parseRetryAfter, withRetry } from '../../src/retry.ts';

t.test('retries what classify allows, up to attempts, with the server delay', async (t) => {
  const delays: number[] = [];
  let calls = 0;
  await t.rejects(
    withRetry(
      async () => {
        calls++;
        throw new Error('503');
      },
      {
        attempts: 3,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        classify: () => ({ retry: true, delayMs: 7 }),
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
    ),
    /503/,
  );
  t.equal(calls, 3);
  t.same(delays, [7, 7]);
});

t.test('stops at once on a final error and respects the deadline', async (t) => {
  let calls = 0;
  await t.rejects(
    withRetry(
      async () => {
        calls++;
        throw new Error('400');
      },
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 1, classify: () => ({ retry: false }) },
    ),
  );
  t.equal(calls, 1);
  let now = 0;
  calls = 0;
  await t.rejects(
    withRetry(
      async () => {
        calls++;
        throw new Error('x');
      },
      {
        attempts: 10,
        baseDelayMs: 1000,
        maxDelayMs: 1000,
        deadlineMs: 2500,
        classify: () => ({ retry: true, delayMs: 1000 }),
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      },
    ),
  );
  t.equal(calls, 3, 'attempts at 0, 1 and 2 s; a fourth would start after the 2.5 s deadline');
});

t.test('Retry-After', async (t) => {
  t.equal(parseRetryAfter('3'), 3000);
  t.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  t.equal(parseRetryAfter('soon'), undefined);
  t.equal(parseRetryAfter(null), undefined);
});
