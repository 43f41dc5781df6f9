/**
 * The journal: what a run changed outside the machine, and the warnings the
 * exit path prints from it (the texts test/e2e/interrupt.test.ts and the
 * fault tests match).
 */
import t from 'tap';
import { Journal } from '../../src/journal.ts';

t.test('an empty journal prints nothing', async (t) => {
  const j = new Journal();
  t.ok(j.empty);
  t.same(j.warnings(), []);
});

t.test('bound clusters and their export requests: one "already done" line', async (t) => {
  const j = new Journal();
  j.recordBound({ clusterID: 'c1', clusterNamespace: 'cluster-a', host: 'backend:443' });
  t.same(
    j.warnings(),
    [
      'already done on the control plane: bound "c1" → namespace cluster-a (backend backend:443); re-running ' +
        'the same command is safe and finishes the binding',
    ],
    'before any export request',
  );
  j.recordExportRequest('cluster-a/pg.anynines.com');
  j.recordBound({ clusterID: 'c2', clusterNamespace: 'cluster-b', host: 'backend:443' });
  t.same(j.warnings(), [
    'already done on the control plane: bound "c1" → namespace cluster-a (backend backend:443), "c2" → ' +
      'namespace cluster-b (backend backend:443); APIServiceExportRequest(s) cluster-a/pg.anynines.com; ' +
      're-running the same command is safe and finishes the binding',
  ]);
  t.same(j.warnings({ summarised: true }), [], "a fleet's summary already lists the bindings");
  t.notOk(j.empty);
});

t.test('an apply: n of m, naming the objects applied and how many were not', async (t) => {
  const j = new Journal();
  const record = j.startApply('cluster 127.0.0.1:6443', 5);
  t.same(j.warnings(), [], 'nothing applied yet, nothing said');
  record('Namespace klutch-bind');
  record('CustomResourceDefinition a.klutch.anynines.com');
  t.same(j.warnings({ summarised: true }), [
    'already applied to cluster 127.0.0.1:6443: 2 of 5 object(s) (Namespace klutch-bind, ' +
      'CustomResourceDefinition a.klutch.anynines.com); the other 3 were not; re-running the same command is ' +
      'safe and applies the rest',
  ]);
  t.equal(j.applied?.objects.length, 2);
});

t.test(
  'issue 24 #9: every object applied (the error came after, e.g. --wait-bindings): one line, no names',
  async (t) => {
    const j = new Journal();
    const record = j.startApply('App Cluster 127.0.0.1:7443', 3);
    for (const o of ['Namespace a', 'Namespace b', 'Namespace c']) record(o);
    t.same(j.warnings(), [
      'all 3 object(s) were applied to App Cluster 127.0.0.1:7443 before the error; re-running the same ' +
        'command is safe',
    ]);
  },
);

t.test('a created namespace is recorded, not printed (create-ns prints its name itself)', async (t) => {
  const j = new Journal();
  j.recordNamespace('cluster-a-team-a');
  t.same(j.namespaces, ['cluster-a-team-a']);
  t.notOk(j.empty);
  t.same(j.warnings(), []);
});

t.test(
  'the way back (issue 24, finding 4): the kubeconfig written early is named with status and unbind; without one, ' +
    'and when a re-run cannot finish the binding, how to get one; no re-run advice then',
  async (t) => {
    const j = new Journal();
    j.recordBound({ clusterID: 'c1', clusterNamespace: 'cluster-a', host: 'backend:443' });
    j.recordExportRequest('cluster-a/kv.anynines.com');
    const [done, way] = j.warnings({ rerunHelps: false });
    t.match(
      done,
      /^already done on the control plane: bound "c1" .*; re-running the same command does not finish the binding /,
    );
    t.match(done, / until the error above is resolved$/);
    t.match(way, /^no provider kubeconfig of "c1" was written \(no --write-kubeconfig\): /);
    t.match(way, /--write-kubeconfig FILE --no-wait.*`helper unbind --kubeconfig FILE`$/);
    j.recordKubeconfig('c1', 'out/provider.kfg.yaml');
    t.same(j.warnings({ rerunHelps: false }).slice(1), [
      'the provider kubeconfig of "c1" is out/provider.kfg.yaml (mode 0600): ' +
        '`helper status --kubeconfig out/provider.kfg.yaml` shows the binding, ' +
        '`helper unbind --kubeconfig out/provider.kfg.yaml` removes its export requests',
    ]);
    t.match(
      j.warnings()[0],
      /re-running the same command is safe and finishes the binding$/,
      'where a re-run helps, say so',
    );
    t.equal(j.warnings().length, 2, 'and the kubeconfig named');
  },
);
