/** unbind's plan: read-only, in the order it is carried out (the branches: test/unit/flows/unbind.test.ts). */
import t from 'tap';
import { KONNECTOR_OBJECTS, planUnbind, UNBIND_STEPS } from '../../../src/unbind/plan.ts';
import { healthyBinding, NS } from '../../helpers/flow-fakes.ts';

t.test('the plan of a healthy binding: nothing changed while planning; steps in the order they run', async (t) => {
  const { cp, app } = healthyBinding();
  const plan = await planUnbind({ cp, app, clusterNamespace: NS, purge: false });
  t.notOk(
    [...cp.calls, ...app.calls].some((c) => c.verb === 'delete' || c.verb === 'patch'),
    'planning is read-only',
  );
  const app1 = plan.filter((a) => a.side === 'app-cluster' && a.op === 'delete').map((a) => `${a.kind} ${a.name}`);
  t.same(app1, [
    'Deployment konnector',
    'APIServiceBinding postgresqlinstances.anynines.com',
    ...KONNECTOR_OBJECTS.map((o) => `${o.kind.kind} ${o.name}`),
  ]);
  t.same(
    plan.at(-1),
    {
      side: 'control-plane',
      apiVersion: 'v1',
      kind: 'Namespace',
      name: NS,
      op: 'keep',
      step: 'kept',
      note: plan.at(-1)!.note,
    },
    'the cluster namespace is kept, last',
  );
  t.ok(plan.every((a) => UNBIND_STEPS.includes(a.step)));
  const purge = await planUnbind({ cp, app: undefined, clusterNamespace: NS, purge: true });
  t.same(
    purge.filter((a) => a.op === 'delete').map((a) => a.step),
    ['requests', 'claims', 'claims', 'serviceNamespaces'],
    'claims before their APIServiceNamespaces',
  );
});

t.test('no ClusterBinding: not a binding, refused before anything (exit 3)', async (t) => {
  const { cp } = healthyBinding();
  await t.rejects(planUnbind({ cp, clusterNamespace: 'default', purge: false }), {
    exitCode: 3,
    code: 'HELPER_UNBIND_NOT_A_BINDING',
  });
});
