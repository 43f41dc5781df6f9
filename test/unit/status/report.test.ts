/** status's report: the verdict from the items, its text, its JSON against schemas/status.schema.json, the error per
 * verdict. */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { newAjv } from '../../../src/validate/ajv.ts';
import { formatStatus, statusError, statusJson, statusReport, type StatusItem } from '../../../src/status/report.ts';

const validate = newAjv().compile(
  JSON.parse(readFileSync(new URL('../../../schemas/status.schema.json', import.meta.url), 'utf8')) as object,
);
const where = { clusterNamespace: 'cluster-abc', controlPlane: { server: '127.0.0.1:6443' }, appCluster: null };
const ok: StatusItem = {
  side: 'control-plane',
  kind: 'Namespace',
  name: 'cluster-abc',
  verdict: 'ok',
  detail: 'Active',
};
const unreadable: StatusItem = {
  side: 'control-plane',
  kind: 'Claims',
  name: 'x.example.com',
  namespace: 'cluster-abc-a',
  verdict: 'unreadable',
  detail: 'no',
  facts: { count: null },
};
const degraded: StatusItem = {
  side: 'control-plane',
  kind: 'ClusterBinding',
  name: 'cluster',
  namespace: 'cluster-abc',
  verdict: 'degraded',
  detail: 'stale',
};
const missing: StatusItem = {
  side: 'control-plane',
  kind: 'APIServiceExport',
  name: '*',
  namespace: 'cluster-abc',
  verdict: 'missing',
  detail: 'none',
};

t.test(
  'the verdict: missing wins over degraded, both over unreadable (unknown); each with its exit code',
  async (t) => {
    const cases = [
      [[ok], 'ok', undefined],
      [[ok, unreadable], 'unknown', 6],
      [[unreadable, degraded], 'degraded', 11],
      [[degraded, missing, unreadable], 'missing', 12],
    ] as const;
    for (const [items, verdict, exit] of cases) {
      const r = statusReport(where, [...items], null);
      t.equal(r.verdict, verdict);
      t.equal(statusError(r)?.exitCode, exit, verdict);
      t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
    }
    t.match(statusError(statusReport(where, [ok, unreadable], null)), {
      code: 'HELPER_STATUS_UNREADABLE',
      status: 403,
      message: 'binding cluster-abc cannot be judged: the kubeconfig may not read Claims cluster-abc-a/x.example.com',
    });
  },
);

t.test("JSON keeps schemaVersion 1: the detail is the item's message, its facts its details", async (t) => {
  const j = statusJson(statusReport(where, [ok, unreadable], null));
  t.same(j.items, [
    { side: 'control-plane', kind: 'Namespace', name: 'cluster-abc', verdict: 'ok', message: 'Active' },
    {
      side: 'control-plane',
      kind: 'Claims',
      name: 'x.example.com',
      namespace: 'cluster-abc-a',
      verdict: 'unreadable',
      message: 'no',
      details: { count: null },
    },
  ]);
  t.match(j, {
    schemaVersion: 1,
    kind: 'BindingStatus',
    counts: { ok: 1, degraded: 0, missing: 0, unreadable: 1, unreachable: 0 },
  });
});

t.test('text: the table with its header, the binding, the verdict with its counts', async (t) => {
  t.equal(
    formatStatus(statusReport(where, [ok, degraded], null)),
    [
      'VERDICT   SIDE           KIND            NAME                 DETAIL',
      'ok        control-plane  Namespace       cluster-abc          Active',
      'degraded  control-plane  ClusterBinding  cluster-abc/cluster  stale',
      '',
      'binding cluster-abc: control plane 127.0.0.1:6443 (no --app-kubeconfig: control plane only)',
      'verdict: degraded (1 degraded)',
      '',
    ].join('\n'),
  );
});
