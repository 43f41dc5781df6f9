/**
 * The re-bind guard on in-memory clusters: on a new, empty App Cluster the
 * marked claims lose the mark and the namespaces are named; on the healthy
 * App Cluster nothing changes; nothing outside the binding is read or patched.
 * On the real konnector: test/e2e/rebind.test.ts.
 */
import t from 'tap';
import { guardRebind, konnectorKubeconfig } from '../../../src/kube/rebind.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { healthyBinding, NS } from '../../helpers/flow-fakes.ts';

const PG = { apiVersion: 'anynines.com/v1', kind: 'PostgresqlInstance' };
const BOUND = 'klutch.anynines.com/bound';

t.test('a new, empty App Cluster: every marked claim loses the mark, the namespaces are named', async (t) => {
  const { cp } = healthyBinding();
  const fresh = new MemoryCluster('App Cluster');
  const r = await guardRebind(cp, fresh, NS, { dryRun: false });
  t.same(r.namespaces, ['team-a']);
  t.same(r.unmarked.sort(), [
    `postgresqlinstances.anynines.com ${NS}-team-a/db1`,
    `postgresqlinstances.anynines.com ${NS}-team-a/db2`,
  ]);
  for (const n of ['db1', 'db2'])
    t.notOk((cp.find(PG, n, `${NS}-team-a`)!.metadata!.annotations as Record<string, string>)[BOUND], `${n} unmarked`);
  t.equal(
    (cp.find(PG, 'other', 'cluster-xyz-team-a')!.metadata!.annotations as Record<string, string>)[BOUND],
    'true',
    "another binding's claim untouched",
  );
  t.notOk(
    cp.calls.some((c) => c.namespace === 'cluster-xyz-team-a'),
    'not even read',
  );
  t.notOk(
    fresh.calls.some((c) => c.verb !== 'get' && c.verb !== 'list'),
    'the App Cluster is only read',
  );
});

t.test('the healthy App Cluster with every copy: nothing changes', async (t) => {
  const { cp, app } = healthyBinding();
  app.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  const r = await guardRebind(cp, app, NS, { dryRun: false });
  t.same(r, { namespaces: [], unmarked: [] });
  t.notOk(cp.calls.some((c) => c.verb === 'patch' || c.verb === 'delete'));
});

t.test(
  'one copy missing on an App Cluster that has the namespace: only that claim; a dry run patches as a dry run',
  async (t) => {
    const { cp, app } = healthyBinding();
    app.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    app.objects.delete([...app.objects.keys()].find((k) => k.includes('|PostgresqlInstance|') && k.includes('db2'))!);
    const dry = await guardRebind(cp, app, NS, { dryRun: true });
    t.same(dry, { namespaces: [], unmarked: [`postgresqlinstances.anynines.com ${NS}-team-a/db2`] });
    t.ok(cp.calls.filter((c) => c.verb === 'patch').every((c) => c.dryRun === true));
    t.equal(
      (cp.find(PG, 'db2', `${NS}-team-a`)!.metadata!.annotations as Record<string, string>)[BOUND],
      'true',
      'dry run: still marked',
    );
  },
);

t.test('an APIServiceNamespace pointing outside the binding is ignored', async (t) => {
  const { cp } = healthyBinding();
  cp.add({
    apiVersion: 'klutch.anynines.com/v1alpha1',
    kind: 'APIServiceNamespace',
    metadata: { name: 'evil', namespace: NS },
    status: { namespace: 'cluster-xyz-team-a' },
  });
  const r = await guardRebind(cp, new MemoryCluster('App Cluster'), NS, { dryRun: false });
  t.same(r.namespaces, ['team-a']);
  t.equal((cp.find(PG, 'other', 'cluster-xyz-team-a')!.metadata!.annotations as Record<string, string>)[BOUND], 'true');
});

t.test('konnectorKubeconfig: the Secret of a manifest that starts a konnector, else undefined', async (t) => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'konnector', namespace: 'klutch-bind' } };
  const sec = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'kubeconfig', namespace: 'klutch-bind' },
    data: { kubeconfig: Buffer.from('apiVersion: v1\n').toString('base64') },
  };
  t.equal(konnectorKubeconfig([sec, dep]), 'apiVersion: v1\n');
  t.equal(konnectorKubeconfig([{ ...sec, data: undefined, stringData: { kubeconfig: 'x' } }, dep]), 'x');
  t.equal(konnectorKubeconfig([sec]), undefined, 'no konnector');
  t.equal(konnectorKubeconfig([dep]), undefined, 'no Secret');
  t.equal(
    konnectorKubeconfig([{ ...sec, metadata: { name: 'kubeconfig', namespace: 'default' } }, dep]),
    undefined,
    'another namespace',
  );
});
