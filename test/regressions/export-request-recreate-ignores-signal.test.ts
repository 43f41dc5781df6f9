/**
 * Bug: replacing a Failed APIServiceExportRequest re-created it in a loop
 * whose pause between attempts (the deleted object may linger behind a
 * finalizer) was a bare setTimeout: an interrupted run (Ctrl-C, --timeout)
 * went on for up to 20 × 250 ms and then ended with the 409 instead of the
 * interruption. The pause is now sleep() with the run's signal. The control
 * plane here (a MockAgent that keeps the deleted name) is fault injection only.
 */
import t from 'tap';
import { MockAgent } from 'undici';
import { ControlPlane, KubeClient } from '../../src/kube/client.ts';
import { createExportRequests } from '../../src/kube/export-requests.ts';
import type { ExportRequest } from '../../src/types.ts';

const SERVER = 'https://api.test:6443';
const req = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  spec: { resources: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] },
} as ExportRequest;

t.test('an interrupted re-create of a Failed export request ends at once with the interruption', async (t) => {
  const agent = new MockAgent();
  agent.disableNetConnect();
  t.teardown(() => agent.close());
  const json = { headers: { 'content-type': 'application/json' } };
  let posts = 0;
  agent
    .get(SERVER)
    .intercept({ path: () => true, method: () => true })
    .reply((r) => {
      if (r.method === 'POST') {
        posts++;
        return {
          statusCode: 409,
          data: '{"kind":"Status","reason":"AlreadyExists","message":"exists"}',
          responseOptions: json,
        };
      }
      if (r.method === 'GET')
        return {
          statusCode: 200,
          data: JSON.stringify({
            metadata: { name: 'postgresqlinstances.anynines.com' },
            spec: req.spec,
            status: { phase: 'Failed' },
          }),
          responseOptions: json,
        };
      return { statusCode: 200, data: '{"kind":"Status"}', responseOptions: json };
    })
    .persist();
  // The client has no signal of its own: only the pause between re-creates sees the interruption.
  const client = new KubeClient(
    { server: SERVER, insecure: false, auth: { kind: 'token', token: 't0ken-for-tests' } },
    { label: 'control plane', dispatcher: agent, requestTimeoutMs: 1000, attempts: 1 },
  );
  const ac = new AbortController();
  const reason = new Error('interrupted');
  const started = Date.now();
  setTimeout(() => ac.abort(reason), 100);
  const err = await createExportRequests(new ControlPlane(client, 'cluster-ab12c'), [req], undefined, {
    signal: ac.signal,
  }).catch((e: unknown) => e);
  const ms = Date.now() - started;
  t.equal(err, reason, 'the run ends with the interruption, not the 409');
  t.ok(ms < 1000, `it ends at once (${ms} ms after the start, the interruption came at 100 ms)`);
  t.ok(posts < 5, `no more re-creates after the interruption (${posts} POSTs)`);
});
