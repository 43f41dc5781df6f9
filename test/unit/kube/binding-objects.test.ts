/** The objects of one binding: what an APIServiceExport says, which namespaces and bindings are ours, and the claims
 * listed through an ObjectClient. */
import t from 'tap';
import {
  boundResource,
  conditionOf,
  humanDuration,
  inBinding,
  isMarkedBound,
  isOurBinding,
  listClaims,
  serviceNamespaceOf,
} from '../../../src/kube/binding-objects.ts';
import { mockApi } from '../../helpers/mock-api.ts';

const exp = {
  metadata: { name: 'postgresqlinstances.anynines.com' },
  spec: {
    group: 'anynines.com',
    names: { plural: 'postgresqlinstances', kind: 'PostgresqlInstance' },
    scope: 'Namespaced',
    versions: [
      { name: 'v1beta1', served: false },
      { name: 'v1', served: true },
    ],
  },
};

t.test('boundResource: the served version, scope and names', async (t) => {
  t.same(boundResource(exp), {
    name: 'postgresqlinstances.anynines.com',
    group: 'anynines.com',
    kind: { apiVersion: 'anynines.com/v1', kind: 'PostgresqlInstance' },
    plural: 'postgresqlinstances',
    namespaced: true,
  });
  t.equal(boundResource({ spec: { names: {} } }), undefined);
});

t.test('ours or not', async (t) => {
  t.equal(serviceNamespaceOf({ status: { namespace: 'cluster-a-team' } }), 'cluster-a-team');
  t.equal(serviceNamespaceOf({ status: {} }), undefined);
  t.ok(inBinding('cluster-a', 'cluster-a-team'));
  t.notOk(inBinding('cluster-a', 'cluster-a-'));
  t.notOk(inBinding('cluster-a', 'cluster-ab'));
  t.ok(isOurBinding({ spec: { kubeconfigSecretRef: { name: 'kubeconfig', namespace: 'klutch-bind' } } }));
  t.notOk(isOurBinding({ spec: { kubeconfigSecretRef: { name: 'other' } } }));
  t.ok(isMarkedBound({ metadata: { annotations: { 'klutch.anynines.com/bound': '' } } }));
  t.notOk(isMarkedBound({ metadata: {} }));
  t.same(conditionOf({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'Ready'), {
    type: 'Ready',
    status: 'True',
  });
  t.equal(humanDuration(3 * 86_400_000 + 4 * 3_600_000), '3d4h');
});

t.test('listClaims: every namespaced resource in every namespace, through the client', async (t) => {
  const { client, sent } = mockApi(t, (r) =>
    r.path === '/apis/anynines.com/v1'
      ? {
          status: 200,
          body: { resources: [{ name: 'postgresqlinstances', kind: 'PostgresqlInstance', namespaced: true }] },
        }
      : { status: 200, body: { items: r.path.includes('/namespaces/n1/') ? [{ metadata: { name: 'pg1' } }] : [] } },
  );
  // (discovery maps the bound kind once: its plural comes from the API server)
  const groups = await listClaims(
    client,
    [boundResource(exp)!, { ...boundResource(exp)!, namespaced: false }],
    ['n1', 'n2'],
  );
  t.same(
    groups.map((g) => [g.namespace, g.items.map((i) => i.metadata?.name)]),
    [
      ['n1', ['pg1']],
      ['n2', []],
    ],
  );
  t.same(
    sent.filter((s) => s.path !== '/apis/anynines.com/v1').map((s) => s.path),
    [
      '/apis/anynines.com/v1/namespaces/n1/postgresqlinstances',
      '/apis/anynines.com/v1/namespaces/n2/postgresqlinstances',
    ],
  );
});
