/**
 * The bound-CRD check before a konnector manifest is applied, on in-memory
 * App Clusters: a healthy or new App Cluster passes; a CRD an unbind of this
 * binding kept is handed to the new APIServiceBinding (ownerReference with its
 * uid, as v1.4.0's konnector checks it), objects untouched; any other CRD of a
 * binding's name stops the apply before anything is written (exit 6, named,
 * with what to do). On the real konnector: test/e2e/truth-lifecycle.test.ts.
 */
import t from 'tap';
import { unbindClusters } from '../../../src/flows/unbind.ts';
import { crdOwnership, ORPHANED_FROM_ANNOTATION } from '../../../src/kube/binding-objects.ts';
import { adoptBoundCrds, checkBoundCrds, foreignCrdAdvice, manifestBindings } from '../../../src/kube/bound-crds.ts';
import type { ApplyObject } from '../../../src/kube/apply.ts';
import { KINDS } from '../../../src/kube/resources.ts';
import { ClusterError } from '../../../src/errors.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { healthyBinding, NS } from '../../helpers/flow-fakes.ts';

const NAME = 'postgresqlinstances.anynines.com';
const PG = { apiVersion: 'anynines.com/v1', kind: 'PostgresqlInstance' };
const BINDING: ApplyObject = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceBinding',
  metadata: { name: NAME },
  spec: { kubeconfigSecretRef: { name: 'kubeconfig', namespace: 'klutch-bind', key: 'kubeconfig' } },
};
const MANIFEST: ApplyObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'klutch-bind' } }, BINDING];
const writes = (c: MemoryCluster) => c.calls.filter((x) => x.verb !== 'get' && x.verb !== 'list');

/** The App Cluster after `helper unbind` without --delete-crds: the CRD orphaned and recorded, its copies there. */
async function unbound() {
  const b = healthyBinding();
  await unbindClusters({
    cp: b.cp,
    app: b.app,
    clusterNamespace: NS,
    kubeconfigPath: 'provider.kfg.yaml',
    purge: false,
    dryRun: false,
    yes: false,
    deadline: Date.now() + 5000,
    pollMs: 5,
  });
  // The garbage collector's part of the orphaning delete: the ownerReference to the deleted binding goes.
  b.app.find(KINDS.crd, NAME)!.metadata!.ownerReferences = [];
  b.app.calls.length = 0;
  return b;
}

t.test('the manifest names its bindings', async (t) => {
  t.same(manifestBindings(MANIFEST), [NAME]);
  t.same(manifestBindings([{ ...BINDING, apiVersion: 'other.io/v1' }]), []);
});

t.test('a healthy App Cluster (CRD owned by the binding) and a new one pass, read-only', async (t) => {
  const { app } = healthyBinding();
  t.same(await checkBoundCrds(app, MANIFEST, NS), { adopt: [] });
  const fresh = new MemoryCluster('App Cluster');
  t.same(await checkBoundCrds(fresh, MANIFEST, NS), { adopt: [] });
  t.same(writes(app), []);
});

t.test('a CRD an unbind of this binding kept is handed to the new binding, its objects untouched', async (t) => {
  const { app } = await unbound();
  const copies = JSON.stringify(app.find(PG, 'db1', 'team-a'));
  t.same(await checkBoundCrds(app, MANIFEST, NS), { adopt: [NAME] }, 'to adopt');
  t.same(writes(app), [], 'the check only reads');
  // A dry run before the binding exists: says what it would do, writes nothing.
  t.match(await adoptBoundCrds(app, [NAME], true), [/^\(dry run\) would hand CustomResourceDefinition/]);
  t.same(writes(app), []);
  const b = app.add({ ...BINDING, metadata: { name: NAME } });
  t.match(await adoptBoundCrds(app, [NAME], false), [/^handed CustomResourceDefinition .* its objects stay$/]);
  const crd = app.find(KINDS.crd, NAME)!;
  t.match(crd.metadata!.ownerReferences, [
    { kind: 'APIServiceBinding', name: NAME, uid: b.metadata!.uid, controller: true },
  ]);
  t.notOk((crd.metadata!.annotations as Record<string, unknown> | undefined)?.[ORPHANED_FROM_ANNOTATION]);
  t.equal(crdOwnership(crd, [b], NS).owner, 'binding', 'now the binding owns it, as the konnector checks it');
  t.equal(JSON.stringify(app.find(PG, 'db1', 'team-a')), copies, 'the copy is not changed');
  t.same(
    writes(app).map((c) => `${c.verb} ${c.kind}`),
    ['patch CustomResourceDefinition'],
  );
});

t.test('any other CRD of a binding name stops the apply before anything is written: exit 6, named', async (t) => {
  const { app } = await unbound();
  const crd = app.find(KINDS.crd, NAME)!;
  for (const [why, ann] of [
    ['no record', undefined],
    ['another binding', { [ORPHANED_FROM_ANNOTATION]: 'cluster-other' }],
  ] as const) {
    crd.metadata!.annotations = ann ? { ...ann } : {};
    const err = await checkBoundCrds(app, MANIFEST, NS).catch((e: unknown) => e);
    t.ok(err instanceof ClusterError, why);
    t.match(err, { code: 'HELPER_CRD_FOREIGN' });
    t.equal((err as ClusterError).exitCode, 6, 'exit 6');
    const msg = (err as Error).message;
    t.match(
      msg,
      /nothing was applied: CustomResourceDefinition postgresqlinstances\.anynines\.com: no APIServiceBinding/,
    );
    t.match(
      msg,
      `\`kubectl annotate crd ${NAME} ${ORPHANED_FROM_ANNOTATION}=${NS}\``,
      'how to claim it, keeping its objects',
    );
    t.match(msg, `\`kubectl delete crd ${NAME}\` (deletes every object of it)`, 'or how to remove it');
    t.match((err as Error).message, /ForeignCustomResourceDefinition/);
  }
  t.same(writes(app), [], 'nothing written');
});

t.test('what status says to do about a bound CRD its binding does not own', async (t) => {
  t.match(
    foreignCrdAdvice(NAME, NS, true),
    /kept by an unbind of cluster-abc: `helper apply -f all\.yaml` on this App/,
  );
  t.match(foreignCrdAdvice(NAME, NS, false), `\`kubectl annotate crd ${NAME} ${ORPHANED_FROM_ANNOTATION}=${NS}\``);
});
