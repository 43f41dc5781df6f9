/**
 * Bug: waitUntil checked its deadline only between reads, so a read that
 * never answered (no per-call timeout, as in apply's wait for CRDs to be
 * Established) kept the wait alive past --timeout. A read now gets at most
 * the time left plus a short grace, then the wait ends with a TimeoutError
 * that says the last read got no answer.
 */
import t from 'tap';
import { TimeoutError } from '../../src/errors.ts';
import { waitUntil } from '../../src/kube/wait.ts';
import type { KObject } from '../../src/kube/resources.ts';

t.test('a wait whose read never answers ends with TimeoutError', async (t) => {
  let reads = 0;
  const err = await waitUntil({
    what: 'CustomResourceDefinition a.example.com to be Established',
    get: () => {
      reads++;
      return new Promise<never>(() => {});
    },
    check: () => ({ done: true, value: undefined }),
    timeoutMs: 100,
  }).catch((e: unknown) => e);
  t.ok(err instanceof TimeoutError, 'TimeoutError (exit 7)');
  t.match(
    (err as Error).message,
    /^timed out after \d+s waiting for CustomResourceDefinition a\.example\.com to be Established \(the last read got no answer\); last seen: nothing yet$/,
  );
  t.equal(reads, 1);
});

t.test('a read that answers just before the deadline is still used', async (t) => {
  const v = await waitUntil({
    what: 'x',
    get: () => new Promise<KObject>((resolve) => setTimeout(() => resolve({ metadata: { name: 'x' } }), 150)),
    check: (o) => (o ? { done: true, value: 'seen' } : { done: false, seen: 'absent' }),
    timeoutMs: 100,
  });
  t.equal(v, 'seen');
});
