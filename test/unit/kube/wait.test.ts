/** A wait prints "still waiting (Xs of Ys): ... last seen: ..." at a steady interval, not on every change, and stops
 * when it ends. */
import t from 'tap';
import { TimeoutError } from '../../../src/errors.ts';
import { formatDuration, stillWaitingInterval, waitUntil } from '../../../src/kube/wait.ts';

t.test('durations and the interval', async (t) => {
  t.equal(formatDuration(45_000), '45s');
  t.equal(formatDuration(60_000), '1m');
  t.equal(formatDuration(90_000), '1m30s');
  t.equal(formatDuration(300_000), '5m');
  t.equal(stillWaitingInterval(300_000), 60_000, 'a 5m wait: every minute');
  t.equal(stillWaitingInterval(60_000), 12_000);
  t.equal(stillWaitingInterval(3_000), 5_000, 'never more often than every 5s');
});

t.test('steady lines on stderr with what was last seen, none after the wait', async (t) => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let reads = 0;
  try {
    await t.rejects(
      waitUntil({
        what: 'thing "x" to be ready',
        get: async () => ({ metadata: { name: 'x' }, status: { phase: `Pending-${++reads > 0 ? 'a' : 'b'}` } }),
        check: (o) => ({ done: false, seen: `phase ${String(o?.status?.phase)}` }),
        timeoutMs: 1_300,
        fallbackIntervalMs: 20,
        stillWaitingMs: 400,
      }),
      TimeoutError,
    );
    await new Promise((r) => setTimeout(r, 600));
  } finally {
    process.stderr.write = write;
  }
  const still = lines.filter((l) => l.startsWith('still waiting'));
  t.equal(still.length, 3, `one line every 400 ms of a 1.3 s wait, despite ${reads} reads: ${JSON.stringify(still)}`);
  t.match(still[0], /^still waiting \(0s of 1s\): thing "x" to be ready; last seen: phase Pending-a\n$/);
});

t.test('issue 24 #9: a brief name in the lines, and a state seen before is not repeated', async (t) => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let reads = 0;
  try {
    await t.rejects(
      waitUntil({
        what: 'thing "x" with a very long name to be ready on the cluster 127.0.0.1:6443',
        brief: 'thing "x"',
        get: async () => ({ metadata: { name: 'x' }, status: { phase: `Pending${++reads > 0 ? '' : '?'}` } }),
        check: (o) => ({ done: false, seen: `phase ${String(o?.status?.phase)}` }),
        timeoutMs: 1_300,
        fallbackIntervalMs: 20,
        stillWaitingMs: 400,
      }),
      { message: /waiting for thing "x" with a very long name to be ready on the cluster 127\.0\.0\.1:6443; last/ },
    );
  } finally {
    process.stderr.write = write;
  }
  const still = lines.filter((l) => l.startsWith('still waiting'));
  t.match(still[0], /^still waiting \(\ds of 1s\): thing "x"; last seen: phase Pending\n$/);
  t.match(still[1], /^still waiting \(\ds of 1s\): thing "x"; last seen: same as at \ds\n$/);
});
