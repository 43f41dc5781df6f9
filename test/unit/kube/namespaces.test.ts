/**
 * ensureServiceNamespace in process (MockAgent API server): created or
 * already there, the wait for status.namespace, and a deletion during the
 * wait (exit 10). The watch is refused here, so the wait polls.
 */
import t from 'tap';
import { ControlPlane } from '../../../src/kube/client.ts';
import { connectedKonnector, ensureServiceNamespace } from '../../../src/kube/namespaces.ts';
import { mockApi, notFound, type Sent } from '../../helpers/mock-api.ts';

const NS = 'cluster-ab12c';
const path = `/apis/klutch.anynines.com/v1alpha1/namespaces/${NS}/apiservicenamespaces`;

function answers(seq: { create: number; reads: Array<object | undefined> }) {
  let reads = 0;
  return (req: Sent) => {
    if (req.query.watch) return { status: 403, body: { kind: 'Status', message: 'no watch here' } };
    if (req.path.endsWith('/clusterbindings/cluster')) return notFound;
    if (req.method === 'POST' && req.path === path)
      return seq.create === 201
        ? { status: 201, body: req.body }
        : { status: 409, body: { kind: 'Status', reason: 'AlreadyExists', message: 'exists' } };
    if (req.method === 'GET' && req.path === `${path}/team-a`) {
      const o = seq.reads[Math.min(reads++, seq.reads.length - 1)];
      return o ? { status: 200, body: o } : notFound;
    }
    return { status: 500 };
  };
}

const sns = (status?: object, extra: object = {}) => ({
  metadata: { name: 'team-a', namespace: NS, ...extra },
  ...(status ? { status } : {}),
});

t.test('created, then status.namespace once the backend sets it', async (t) => {
  const { client, sent } = mockApi(t, answers({ create: 201, reads: [sns(), sns({ namespace: `${NS}-team-a` })] }), {
    label: 'control plane',
  });
  const r = await ensureServiceNamespace(new ControlPlane(client, NS), 'team-a', { timeoutMs: 5000 });
  t.same(r, {
    name: 'team-a',
    namespace: `${NS}-team-a`,
    clusterNamespace: NS,
    created: true,
    konnectorConnected: false,
  });
  const post = sent.find((s) => s.method === 'POST')!;
  t.same(post.body, {
    apiVersion: 'klutch.anynines.com/v1alpha1',
    kind: 'APIServiceNamespace',
    metadata: { name: 'team-a', namespace: NS },
    spec: {},
  });
});

t.test('AlreadyExists is fine', async (t) => {
  const { client } = mockApi(t, answers({ create: 409, reads: [sns({ namespace: `${NS}-team-a` })] }), {
    label: 'control plane',
  });
  t.equal((await ensureServiceNamespace(new ControlPlane(client, NS), 'team-a', { timeoutMs: 5000 })).created, false);
});

t.test('deleted (or being deleted) during the wait: DeletedError, exit 10', async (t) => {
  const { client } = mockApi(
    t,
    answers({ create: 201, reads: [sns(undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' })] }),
    { label: 'control plane' },
  );
  await t.rejects(ensureServiceNamespace(new ControlPlane(client, NS), 'team-a', { timeoutMs: 5000 }), {
    code: 'HELPER_NAMESPACE_DELETED',
    exitCode: 10,
  });
});

t.test('connectedKonnector: a fresh heartbeat is a connected konnector; a failed read says nothing', async (t) => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const { client } = mockApi(
    t,
    () => ({
      status: 200,
      body: {
        metadata: { name: 'cluster' },
        status: { lastHeartbeatTime: '2026-01-01T00:08:00Z', heartbeatInterval: '5m0s', konnectorVersion: 'v1.4.0' },
      },
    }),
    { label: 'control plane' },
  );
  t.match(await connectedKonnector(new ControlPlane(client, NS), now), { fresh: true, konnectorVersion: 'v1.4.0' });
  const { client: down } = mockApi(t, () => ({ status: 500, body: {} }), { label: 'control plane' });
  t.equal(await connectedKonnector(new ControlPlane(down, NS), now), undefined);
});

/** A control plane that lists two exports and allows servicebindings only after `denials` reviews. */
function withExports(denials: number) {
  let reviews = 0;
  const base = answers({ create: 201, reads: [sns({ namespace: `${NS}-team-a` })] });
  const exp = (plural: string, kind: string) => ({
    metadata: { name: `${plural}.anynines.com` },
    spec: {
      group: 'anynines.com',
      names: { plural, kind },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true }],
    },
  });
  return (req: Sent) => {
    if (req.method === 'GET' && req.path === `/apis/klutch.anynines.com/v1alpha1/namespaces/${NS}/apiserviceexports`) {
      return {
        status: 200,
        body: {
          kind: 'APIServiceExportList',
          items: [exp('postgresqlinstances', 'PostgresqlInstance'), exp('servicebindings', 'ServiceBinding')],
        },
      };
    }
    if (req.method === 'POST' && req.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      const ra = (req.body as { spec: { resourceAttributes: { resource: string } } }).spec.resourceAttributes;
      const allowed = ra.resource === 'postgresqlinstances' || reviews++ >= denials;
      return { status: 201, body: { ...(req.body as object), status: { allowed } } };
    }
    return base(req);
  };
}

t.test('returns only once the identity may create every exported resource in the new namespace', async (t) => {
  const { client, sent } = mockApi(t, withExports(2), { label: 'control plane' });
  const r = await ensureServiceNamespace(new ControlPlane(client, NS), 'team-a', { timeoutMs: 5000 });
  t.equal(r.namespace, `${NS}-team-a`);
  const reviews = sent
    .filter((s) => s.path.endsWith('/selfsubjectaccessreviews'))
    .map((s) => (s.body as { spec: { resourceAttributes: object } }).spec.resourceAttributes);
  t.same(reviews.at(-1), {
    verb: 'create',
    group: 'anynines.com',
    resource: 'servicebindings',
    namespace: `${NS}-team-a`,
  });
  t.equal(
    reviews.filter((a) => (a as { resource: string }).resource === 'servicebindings').length,
    3,
    'asked again until allowed',
  );
});

t.test('access never granted: a timeout naming the resource and the ClusterRole', async (t) => {
  const { client } = mockApi(t, withExports(Infinity), { label: 'control plane' });
  await t.rejects(ensureServiceNamespace(new ControlPlane(client, NS), 'team-a', { timeoutMs: 1200 }), {
    exitCode: 7,
    message: new RegExp(
      `waiting for the kubeconfig's identity to be allowed to create postgresqlinstances\\.anynines\\.com, ` +
        `servicebindings\\.anynines\\.com in namespace ${NS}-team-a; last seen: not allowed yet: ` +
        `servicebindings\\.anynines\\.com \\(the backend has not yet granted them through ClusterRole ` +
        `klutch-binder-${NS}\\)`,
    ),
  });
});
