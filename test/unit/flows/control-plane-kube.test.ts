/**
 * The control-plane sub-verbs' real Kubernetes factory (flows/control-plane-kube.ts),
 * its transport an undici MockAgent: an unusable kubeconfig is an input error
 * naming it before any call; reads go to the API paths with the kubeconfig's
 * token and their failures speak as control-plane apply and check always have.
 */
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import { controlPlaneKube } from '../../../src/flows/control-plane-kube.ts';

const TOKEN = 'cp-admin-token-not-real';
const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: cp, cluster: {server: "https://127.0.0.1:6443"}}]',
  `users: [{name: admin, user: {token: ${TOKEN}}}]`,
  'contexts: [{name: cp, context: {cluster: cp, user: admin}}]',
  'current-context: cp',
  '',
].join('\n');
const resolved = (text: string) => ({
  text,
  files: ['cp.kubeconfig'],
  source: '--kubeconfig',
  label: 'cp.kubeconfig',
  where: '--kubeconfig cp.kubeconfig',
  context: 'cp',
});
const tls = { caFile: undefined, insecure: false };

function api(t: Test): { agent: MockAgent; seen: Array<{ method: string; path: string; auth: string | undefined }> } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  t.teardown(() => agent.close());
  return { agent, seen: [] };
}

t.test('a kubeconfig whose context names no cluster: exit 3 naming the file, nothing sent', async (t) => {
  const { agent } = api(t);
  t.throws(
    () =>
      controlPlaneKube.connect(resolved('apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n'), tls, {
        requestTimeoutMs: 1000,
        attempts: 1,
        dispatcher: agent,
      }),
    {
      exitCode: 3,
      code: 'HELPER_KUBECONFIG_INVALID',
      message: /^kubeconfig cp\.kubeconfig cannot be used: /,
    },
  );
  t.same(agent.pendingInterceptors(), []);
});

t.test(
  'reads go to the API path with the token; a 403 is read as check and apply word it, with the cluster-admin hint',
  async (t) => {
    const { agent, seen } = api(t);
    agent
      .get('https://127.0.0.1:6443')
      .intercept({ path: () => true, method: 'GET' })
      .reply((req) => {
        seen.push({ method: req.method, path: req.path, auth: (req.headers as Record<string, string>).authorization });
        return req.path.endsWith('/secrets/k8sca')
          ? {
              statusCode: 200,
              data: JSON.stringify({
                apiVersion: 'v1',
                kind: 'Secret',
                metadata: { name: 'k8sca', namespace: 'bind' },
                data: { ca: 'eA==' },
              }),
              responseOptions: { headers: { 'content-type': 'application/json' } },
            }
          : {
              statusCode: 403,
              data: JSON.stringify({
                kind: 'Status',
                reason: 'Forbidden',
                message: 'secrets "oidc-config" is forbidden',
              }),
              responseOptions: { headers: { 'content-type': 'application/json' } },
            };
      })
      .persist();
    const cluster = controlPlaneKube.connect(resolved(KUBECONFIG), tls, {
      requestTimeoutMs: 1000,
      attempts: 1,
      dispatcher: agent,
    });
    t.equal(cluster.server, 'https://127.0.0.1:6443');
    t.equal(cluster.host, '127.0.0.1:6443');
    const reader = cluster.reader();
    t.equal(reader.server, 'control plane 127.0.0.1:6443');
    t.same((await reader.get({ apiVersion: 'v1', kind: 'Secret' }, 'k8sca', 'bind'))?.data, { ca: 'eA==' });
    t.same(seen[0], { method: 'GET', path: '/api/v1/namespaces/bind/secrets/k8sca', auth: `Bearer ${TOKEN}` });
    const err = await reader.get({ apiVersion: 'v1', kind: 'Secret' }, 'oidc-config', 'bind').then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode: number; hint?: string },
    );
    t.equal(err?.exitCode, 6);
    t.match(
      err?.message,
      /^control plane 127\.0\.0\.1:6443 refused to read Secret bind\/oidc-config \(403 Forbidden\)/,
    );
    t.match(err?.hint, /cluster-admin kubeconfig/);
    t.notMatch(`${err?.message} ${err?.hint}`, TOKEN, 'the token is in no message');
  },
);

t.test('cookieKeys: no cookie-config Secret in the cluster is undefined (render makes new ones)', async (t) => {
  const { agent } = api(t);
  agent
    .get('https://127.0.0.1:6443')
    .intercept({ path: '/api/v1/namespaces/bind/secrets/cookie-config', method: 'GET' })
    .reply(404, JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not found' }), {
      headers: { 'content-type': 'application/json' },
    });
  const cluster = controlPlaneKube.connect(resolved(KUBECONFIG), tls, {
    requestTimeoutMs: 1000,
    attempts: 1,
    dispatcher: agent,
  });
  t.equal(await cluster.cookieKeys(), undefined);
  t.same(agent.pendingInterceptors(), [], 'the Secret was asked for');
});
