/** The one report model: how items are named, counted, laid out as text and JSON, and how a verdict ends the command. */
import t from 'tap';
import {
  countVerdicts,
  formatJson,
  formatTable,
  gateError,
  itemId,
  serverOf,
  type ReportItem,
} from '../../../src/report/model.ts';

const items: ReportItem[] = [
  { side: 'control-plane', kind: 'Namespace', name: 'cluster-abc', verdict: 'ok', detail: 'Active' },
  { side: 'app-cluster', kind: 'Secret', name: 'kubeconfig', namespace: 'klutch-bind', verdict: 'missing', detail: '' },
  { side: 'control-plane', kind: 'Crossplane', name: '', verdict: 'ok', detail: 'package CRDs installed' },
];

t.test('an item is named Kind ns/name, Kind name, or its kind alone', async (t) => {
  t.same(items.map(itemId), ['Namespace cluster-abc', 'Secret klutch-bind/kubeconfig', 'Crossplane']);
});

t.test("the server of a client without its side's label; another label stays whole", async (t) => {
  t.equal(serverOf('control-plane', { server: 'control plane 127.0.0.1:6443' }), '127.0.0.1:6443');
  t.equal(serverOf('app-cluster', { server: 'App Cluster 10.0.0.1:443' }), '10.0.0.1:443');
  t.equal(serverOf('app-cluster', { server: 'control plane 127.0.0.1:6443' }), 'control plane 127.0.0.1:6443');
});

t.test('counts: every verdict present, zero when none', async (t) => {
  t.same(countVerdicts(['ok', 'missing', 'degraded'], items), { ok: 2, missing: 1, degraded: 0 });
});

t.test('the table: per-report layout, aligned, trailing blanks trimmed or kept, a header when asked', async (t) => {
  t.same(formatTable(items, { verdictWidth: 10, gap: ' ', side: true, minWidth: 10, trim: true }), [
    'ok         control plane Namespace cluster-abc          Active',
    'missing    App Cluster   Secret klutch-bind/kubeconfig',
    'ok         control plane Crossplane                     package CRDs installed',
  ]);
  t.same(
    formatTable(items.slice(1, 3), {
      verdictWidth: 10,
      gap: '  ',
      side: false,
      minWidth: 6,
      header: ['STATUS', 'OBJECT', 'DETAIL'],
      trim: false,
    }),
    [
      'STATUS      OBJECT                         DETAIL',
      'missing     Secret klutch-bind/kubeconfig  ',
      'ok          Crossplane                     package CRDs installed',
    ],
  );
});

t.test('JSON: indented, one trailing newline', async (t) => {
  t.equal(formatJson({ verdict: 'ok', items: [] }), '{\n  "verdict": "ok",\n  "items": []\n}\n');
});

t.test('the one verdict-to-exit mapping: pass 0, degraded 11, missing 12, refused 6', async (t) => {
  t.equal(gateError('pass', 'X', 'm'), undefined);
  t.match(gateError('degraded', 'HELPER_X', 'm'), { code: 'HELPER_X', exitCode: 11, message: 'm' });
  t.match(gateError('missing', 'HELPER_X', 'm'), { exitCode: 12 });
  t.match(gateError('refused', 'HELPER_X', 'm', { status: 403, hint: 'h' }), {
    name: 'ClusterError',
    exitCode: 6,
    status: 403,
    hint: 'h',
  });
});
