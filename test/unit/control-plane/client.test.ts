/**
 * The control-plane client's seams: the wording its messages have (the
 * e2e fault tests match `read <Kind> <ns/name>`), the CRD read, and a kind
 * the server does not serve listed as nothing.
 */
import t from 'tap';
import {
  CONTROL_PLANE_CLIENT,
  CONTROL_PLANE_WORDING,
  listAll,
  readCrd,
  served,
} from '../../../src/control-plane/client.ts';
import { kubeconfigClient } from '../../../src/kube/connect.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';

const secret = { apiVersion: 'v1', kind: 'Secret' };

t.test('messages name a read, a list and a delete as control-plane apply and check always have', async (t) => {
  const w = CONTROL_PLANE_WORDING.action;
  t.same(w('get', secret, 'k8sca', 'bind'), { action: 'read Secret bind/k8sca', short: 'read Secret bind/k8sca' });
  t.same(
    w('get', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, 'x.io', undefined).action,
    'read CustomResourceDefinition x.io',
  );
  t.same(w('list', { apiVersion: 'apps/v1', kind: 'Deployment' }, undefined, undefined).action, 'list Deployment');
  t.same(w('list', secret, undefined, 'bind').action, 'list Secret in namespace bind');
  t.same(w('delete', secret, 'a', 'bind').action, 'delete Secret bind/a');
  t.match(CONTROL_PLANE_WORDING.forbiddenHint, /cluster-admin kubeconfig/);
});

t.test('the control plane client names the server "control plane <host>"', async (t) => {
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://10.1.2.3:6443"}}]',
    'users: [{name: u, user: {token: t0k3n-not-real}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
    '',
  ].join('\n');
  const { client } = kubeconfigClient(
    { text, where: 'kc' },
    { policy: { requestTimeoutMs: 1000, attempts: 1 }, ...CONTROL_PLANE_CLIENT },
  );
  t.equal(client.server, 'control plane 10.1.2.3:6443');
});

t.test(
  'readCrd and served: present is not served until Established; listAll gives [] for an unserved kind',
  async (t) => {
    const api = new MemoryCluster('control plane').crds(['a.x.io']).crds(['b.x.io'], false);
    t.ok(await readCrd(api, 'b.x.io'));
    t.equal(await served(api, 'a.x.io'), true);
    t.equal(await served(api, 'b.x.io'), false);
    t.equal(await served(api, 'c.x.io'), false);
    api.unserved.add('Widget');
    t.same(await listAll(api, { apiVersion: 'x.io/v1', kind: 'Widget' }), []);
    t.same(api.calls.at(-1), { verb: 'list', kind: 'Widget', namespace: undefined, labelSelector: undefined });
  },
);
