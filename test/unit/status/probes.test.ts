/** status's probe tables: the order of the report, and a rejected credential ending it (the branches:
 * test/unit/flows/status.test.ts). */
import t from 'tap';
import { collectStatus, PROBES } from '../../../src/status/probes.ts';
import { healthyBinding, NOW, NS, PROVIDER } from '../../helpers/flow-fakes.ts';

const credential = { type: 'token' as const, expiresAt: null, subject: `system:serviceaccount:${NS}:klutch-binder` };

t.test(
  'the tables: seven control-plane probes, then four on the App Cluster; the report lists their kinds in that order',
  async (t) => {
    t.same([PROBES['control-plane'].length, PROBES['app-cluster'].length], [7, 4]);
    const { cp, app } = healthyBinding();
    const r = await collectStatus({ cp, app, clusterNamespace: NS, provider: PROVIDER, credential, now: () => NOW });
    const kinds = [...new Set(r.items.map((i) => `${i.side} ${i.kind}`))];
    t.same(kinds, [
      'control-plane Credential',
      'control-plane Namespace',
      'control-plane ClusterBinding',
      'control-plane APIServiceExportRequest',
      'control-plane APIServiceExport',
      'control-plane APIServiceNamespace',
      'control-plane Claims',
      'app-cluster Deployment',
      'app-cluster Lease',
      'app-cluster Secret',
      'app-cluster APIServiceBinding',
      'app-cluster CustomResourceDefinition',
    ]);
    t.same(
      [r.controlPlane.server, r.appCluster?.server],
      ['127.0.0.1:1', '127.0.0.1:1'],
      "the servers without the clients' labels",
    );
  },
);

t.test('a rejected credential stops every later probe, on both sides', async (t) => {
  const { cp, app } = healthyBinding();
  const { ClusterError } = await import('../../../src/errors.ts');
  cp.review = async () => {
    throw new ClusterError('HELPER_CLUSTER_UNAUTHORIZED', 'no', { status: 401 });
  };
  const r = await collectStatus({ cp, app, clusterNamespace: NS, provider: PROVIDER, credential, now: () => NOW });
  t.same(
    r.items.map((i) => `${i.kind} ${i.verdict}`),
    ['Credential missing'],
  );
  t.equal(app.calls.length, 0, 'the App Cluster is not read');
});
