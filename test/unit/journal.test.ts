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
  t.same(j.warnings(), ['already done on the control plane: bound "c1" → namespace cluster-a (backend backend:443); re-running the same command is safe and finishes the binding'], 'before any export request');
  j.recordExportRequest('cluster-a/pg.anynines.com');
  j.recordBound({ clusterID: 'c2', clusterNamespace: 'cluster-b', host: 'backend:443' });
  t.same(j.warnings(), ['already done on the control plane: bound "c1" → namespace cluster-a (backend backend:443), "c2" → namespace cluster-b (backend backend:443); APIServiceExportRequest(s) cluster-a/pg.anynines.com; re-running the same command is safe and finishes the binding']);
  t.same(j.warnings({ summarised: true }), [], 'a fleet\'s summary already lists the bindings');
  t.notOk(j.empty);
});

t.test('an apply: n of m, naming the objects applied and how many were not', async (t) => {
  const j = new Journal();
  const record = j.startApply('cluster 127.0.0.1:6443', 5);
  t.same(j.warnings(), [], 'nothing applied yet, nothing said');
  record('Namespace klutch-bind');
  record('CustomResourceDefinition a.klutch.anynines.com');
  t.same(j.warnings({ summarised: true }), ['already applied to cluster 127.0.0.1:6443: 2 of 5 object(s) (Namespace klutch-bind, CustomResourceDefinition a.klutch.anynines.com); the other 3 were not; re-running the same command is safe and applies the rest']);
  t.equal(j.applied?.objects.length, 2);
});

t.test('a created namespace is recorded, not printed (create-ns prints its name itself)', async (t) => {
  const j = new Journal();
  j.recordNamespace('cluster-a-team-a');
  t.same(j.namespaces, ['cluster-a-team-a']);
  t.notOk(j.empty);
  t.same(j.warnings(), []);
});
