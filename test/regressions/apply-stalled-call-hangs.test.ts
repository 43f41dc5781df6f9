/**
 * Bug: server-side apply (helper apply, bootstrap-env --apply-to, control-plane
 * apply) and control-plane apply's pre-flight reads had no per-call timeout:
 * an API server (or a proxy in front of it) that accepted the request and
 * never answered kept the run alive forever, past --timeout. Found by the
 * stall cell of test/e2e/faults-control-plane-apply.test.ts. Every call now
 * goes through callApi, bounded by --request-timeout and retried.
 */
import t from 'tap';
import { ClusterError } from '../../src/errors.ts';
import { callApi } from '../../src/kube/transport.ts';

t.test('a call that never answers ends with HELPER_CLUSTER_TIMEOUT after every attempt', async (t) => {
  let calls = 0;
  const never = () => {
    calls++;
    return new Promise<never>(() => {});
  };
  const err = await callApi(
    { server: 'control plane 127.0.0.1:1', action: 'apply ConfigMap default/a' },
    { requestTimeoutMs: 50, attempts: 2, baseDelayMs: 1 },
    never,
  ).catch((e: unknown) => e);
  t.ok(err instanceof ClusterError, 'a ClusterError (exit 6)');
  t.equal((err as ClusterError).code, 'HELPER_CLUSTER_TIMEOUT');
  t.equal(
    (err as ClusterError).message,
    'control plane 127.0.0.1:1 did not answer apply ConfigMap default/a within 0s',
  );
  t.equal(calls, 2, '1 try + 1 retry');
});

t.test("the run's signal ends a stalled call at once, with the signal's reason", async (t) => {
  const ac = new AbortController();
  const reason = new Error('interrupted');
  setTimeout(() => ac.abort(reason), 20);
  const err = await callApi(
    { server: 's', action: 'a' },
    { requestTimeoutMs: 60_000, attempts: 4, signal: ac.signal },
    () => new Promise<never>(() => {}),
  ).catch((e: unknown) => e);
  t.equal(err, reason);
});
