/** The one report model: how items are named, counted, laid out as text and JSON, and how a verdict ends the command.
 * */
import t from 'tap';
import {
  countVerdicts,
  envelope,
  formatJson,
  formatTable,
  gateError,
  itemId,
  jsonItem,
  nameColumn,
  serverOf,
  TABLE_WIDTH,
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

t.test('the one table: a header row, four one-word columns, the detail last, no trailing blanks', async (t) => {
  t.same(formatTable(items), [
    'VERDICT  SIDE           KIND        NAME                    DETAIL',
    'ok       control-plane  Namespace   cluster-abc             Active',
    'missing  app-cluster    Secret      klutch-bind/kubeconfig',
    'ok       control-plane  Crossplane  -                       package CRDs installed',
  ]);
  // awk sees the same columns on every row: five fields on the header, the side always one word.
  const rows = formatTable(items).map((l) => l.split(/\s+/));
  t.same(
    rows.map((r) => r[1]),
    ['SIDE', 'control-plane', 'app-cluster', 'control-plane'],
  );
});

t.test('a long detail: on the lines below its row, indented by four blanks, none over 120', async (t) => {
  const long = { ...items[0]!, detail: Array.from({ length: 60 }, (_, n) => `word${n}`).join(' ') };
  const lines = formatTable([long]);
  t.ok(lines.length > 2, 'wrapped');
  t.ok(
    lines.every((l) => l.length <= TABLE_WIDTH),
    'every line within the width',
  );
  t.match(lines[1], /^ok +control-plane +Namespace +cluster-abc$/);
  t.match(lines[2], /^ {4}word0 word1/);
  t.ok(
    lines.slice(3).every((l) => l.startsWith('    ') && !l.startsWith('     ')),
    'continuation lines start with four blanks',
  );
  t.equal(
    lines
      .join(' ')
      .replace(/\s+/g, ' ')
      .split(' ')
      .filter((w) => w.startsWith('word')).length,
    60,
    'no word lost',
  );
  t.equal(nameColumn({ name: 'two words' }), 'two_words', 'a name stays one field');
});

t.test(
  "the one JSON envelope: schemaVersion, kind, verdict, counts, items, then the report's own fields",
  async (t) => {
    const e = envelope(
      { schemaVersion: 1, kind: 'X', verdict: 'ok', counts: { ok: 1 }, items: [jsonItem(items[1]!)] },
      {
        extra: true,
      },
    );
    t.same(Object.keys(e), ['schemaVersion', 'kind', 'verdict', 'counts', 'items', 'extra']);
    t.same(e.items[0], {
      side: 'app-cluster',
      kind: 'Secret',
      name: 'kubeconfig',
      namespace: 'klutch-bind',
      verdict: 'missing',
      message: '',
    });
  },
);

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
