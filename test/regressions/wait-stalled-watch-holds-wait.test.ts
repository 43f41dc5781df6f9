/**
 * Bug: waitUntil awaited the watch request before its first read, so a watch
 * that got no answer (a stalled server, or a proxy that buffers streamed
 * responses) held every wait (export requests, create-ns) for the watch's
 * own 30 s connect timeout, past --timeout. And a watch that failed at once
 * was still marked alive, so the wait polled at the slow interval. Found by
 * test/e2e/faults-bootstrap-env-control-plane.test.ts. The loop now reads at
 * once and polls fast until the watch is up. The stalling server here is
 * fault injection only.
 */
import { createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { KubeClient } from '../../src/kube/client.ts';
import type { WatchStart } from '../../src/kube/transport.ts';
import { waitUntil } from '../../src/kube/wait.ts';

/** A TCP server that accepts connections and never answers. */
async function stallingServer(t: Test) {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, pending: () => sockets.size };
}

function watchOn(server: string): WatchStart {
  const client = new KubeClient(
    { server, insecure: true, auth: { kind: 'token', token: 'x' } },
    { label: 'control plane' },
  );
  return (onEvent, onEnd, signal) => client.watch('/apis/x/v1/namespaces/n/things', 'x', onEvent, onEnd, signal);
}

t.test('the first read does not wait for a stalled watch', async (t) => {
  const srv = await stallingServer(t);
  const seenWhileWatchPending: number[] = [];
  let reads = 0;
  const v = await waitUntil({
    what: 'APIServiceNamespace x',
    get: async () => {
      reads++;
      seenWhileWatchPending.push(srv.pending());
      return reads < 3 ? { metadata: { name: 'x' } } : { metadata: { name: 'x' }, status: { namespace: 'ns' } };
    },
    check: (o) => (o?.status?.namespace ? { done: true, value: o.status.namespace } : { done: false, seen: 'not yet' }),
    timeoutMs: 20_000,
    intervalMs: 5000,
    fallbackIntervalMs: 100,
    watch: watchOn(`http://127.0.0.1:${srv.port}`),
  });
  t.equal(v, 'ns');
  t.equal(reads, 3, 'polled at the fast interval while the watch was not up');
  t.equal(seenWhileWatchPending.at(-1), 1, 'the wait ended while the watch request still hung');
});
