/**
 * createExportRequests and waitForExportRequests in process (MockAgent API
 * server): created under a fixed name, reused when equal, replaced when
 * Failed; the wait ends on Succeeded, fails on Failed with the terminal message.
 */
import t from 'tap';
import { ControlPlane } from '../../../src/kube/client.ts';
import {
  createExportRequests,
  describeRequest,
  requestName,
  waitForExportRequests,
} from '../../../src/kube/export-requests.ts';
import type { ExportRequest } from '../../../src/types.ts';
import { mockApi, notFound, type Sent } from '../../helpers/mock-api.ts';

const NS = 'cluster-ab12c';
const path = `/apis/klutch.anynines.com/v1alpha1/namespaces/${NS}/apiserviceexportrequests`;
const req: ExportRequest = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  spec: { resources: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] },
} as ExportRequest;

t.test('requestName and describeRequest', async (t) => {
  t.equal(requestName(req), 'postgresqlinstances.anynines.com');
  t.equal(requestName({ ...req, metadata: { name: 'given' } } as ExportRequest), 'given');
  t.equal(describeRequest(undefined), 'not found');
  t.equal(
    describeRequest({
      status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', reason: 'Waiting' }] },
    }),
    'phase Pending, Ready=False (Waiting)',
  );
});

t.test('created; on a re-run an equal one is reused and a Failed one replaced', async (t) => {
  const store = new Map<string, object>();
  const answer = (r: Sent) => {
    const name = r.path.slice(path.length + 1);
    if (r.method === 'POST') {
      const b = r.body as { metadata: { name: string } };
      if (store.has(b.metadata.name))
        return { status: 409, body: { kind: 'Status', reason: 'AlreadyExists', message: 'exists' } };
      store.set(b.metadata.name, b);
      return { status: 201, body: b };
    }
    if (r.method === 'GET') return store.has(name) ? { status: 200, body: store.get(name) } : notFound;
    if (r.method === 'DELETE') {
      store.delete(name);
      return { status: 200, body: { kind: 'Status' } };
    }
    return { status: 500 };
  };
  const { client, sent } = mockApi(t, answer, { label: 'control plane' });
  const cp = new ControlPlane(client, NS);
  t.same(
    await createExportRequests(cp, [req, req]),
    [{ name: 'postgresqlinstances.anynines.com', action: 'created' }],
    'a duplicate is sent once',
  );
  t.same((sent[0]!.body as { metadata: object }).metadata, {
    name: 'postgresqlinstances.anynines.com',
    namespace: NS,
    labels: { 'app.kubernetes.io/managed-by': 'helper' },
  });
  t.same(await createExportRequests(cp, [req]), [{ name: 'postgresqlinstances.anynines.com', action: 'reused' }]);
  store.set('postgresqlinstances.anynines.com', {
    ...store.get('postgresqlinstances.anynines.com'),
    status: { phase: 'Failed' },
  });
  const seen: string[] = [];
  t.same(await createExportRequests(cp, [req], (r) => seen.push(r.action)), [
    { name: 'postgresqlinstances.anynines.com', action: 'replaced' },
  ]);
  t.same(seen, ['replaced']);
  t.ok(sent.some((s) => s.method === 'DELETE'));
});

t.test('the wait: Succeeded ends it, Failed fails with the terminal message, gone is a FailedError', async (t) => {
  const phases = ['Pending', 'Succeeded'];
  let reads = 0;
  const { client } = mockApi(
    t,
    (r) =>
      r.query.watch
        ? { status: 403 }
        : { status: 200, body: { metadata: { name: 'a' }, status: { phase: phases[Math.min(reads++, 1)] } } },
    { label: 'control plane' },
  );
  await waitForExportRequests(new ControlPlane(client, NS), ['a'], { timeoutMs: 5000 });
  t.equal(reads, 2);
  const { client: failed } = mockApi(
    t,
    (r) =>
      r.query.watch
        ? { status: 403 }
        : {
            status: 200,
            body: { metadata: { name: 'a' }, status: { phase: 'Failed', terminalMessage: 'no template' } },
          },
    { label: 'control plane' },
  );
  await t.rejects(waitForExportRequests(new ControlPlane(failed, NS), ['a'], { timeoutMs: 5000 }), {
    code: 'HELPER_EXPORT_REQUEST_FAILED',
    message: `APIServiceExportRequest ${NS}/a failed: no template`,
  });
  const { client: gone } = mockApi(t, (r) => (r.query.watch ? { status: 403 } : notFound), { label: 'control plane' });
  await t.rejects(waitForExportRequests(new ControlPlane(gone, NS), ['a'], { timeoutMs: 5000 }), {
    code: 'HELPER_EXPORT_REQUEST_GONE',
  });
});

t.test(
  'CRDNotFound (issue 24, finding 2): within the grace period the wait goes on; past it, a FailedError (exit 8) ' +
    'naming the resource that is not exported, and no re-run advice',
  async (t) => {
    const notFound = {
      metadata: { name: 'kv' },
      spec: { resources: [{ group: 'anynines.com', resource: 'keyvalueinstances' }] },
      status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', reason: 'CRDNotFound' }] },
    };
    const answer = (r: Sent) => (r.query.watch ? { status: 403 } : { status: 200, body: notFound });
    const { client } = mockApi(t, answer, { label: 'control plane' });
    const started = Date.now();
    const err = await waitForExportRequests(new ControlPlane(client, NS), ['kv'], {
      timeoutMs: 10_000,
      graceMs: 1500,
    }).catch((e: unknown) => e);
    const message = new RegExp(
      `^the control plane does not export keyvalueinstances\\.anynines\\.com: ` +
        `APIServiceExportRequest ${NS}/kv stayed phase Pending, Ready=False \\(CRDNotFound\\) for \\ds`,
    );
    t.match(err, { code: 'HELPER_EXPORT_NOT_EXPORTED', exitCode: 8, rerunHelps: false, message });
    t.ok(Date.now() - started < 5000, 'ended after the grace period, not the timeout');
    const { client: short } = mockApi(t, answer, { label: 'control plane' });
    await t.rejects(
      waitForExportRequests(new ControlPlane(short, NS), ['kv'], { timeoutMs: 1000, graceMs: 60_000 }),
      { code: 'HELPER_WAIT_TIMEOUT', exitCode: 7 },
      'a timeout shorter than the grace period is still a timeout',
    );
  },
);
