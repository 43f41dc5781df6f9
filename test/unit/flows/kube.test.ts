/**
 * The real Kubernetes factories refuse an unusable kubeconfig as an input
 * error naming the flag, before any call (nothing here reaches a server).
 */
import { join } from 'node:path';
import t from 'tap';
import { applyKube, bootstrapKube } from '../../../src/flows/kube.ts';

const policy = { requestTimeoutMs: 1000, attempts: 1, signal: new AbortController().signal };
const tls = { caPem: undefined, insecure: false };

t.test('bootstrap-env --apply-to: a missing file is exit 3 naming --apply-to', async (t) => {
  const dir = t.testdir({});
  t.throws(() => bootstrapKube.appCluster(join(dir, 'app.kubeconfig'), undefined, tls, policy), { exitCode: 3, message: new RegExp(`--apply-to ${dir}/app\\.kubeconfig`) });
});

t.test('apply: a context that names no cluster is exit 3 saying so', async (t) => {
  const dir = t.testdir({ kc: 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n' });
  const resolved = applyKube.resolve({ flag: join(dir, 'kc'), context: undefined, env: {} });
  t.throws(() => applyKube.target(resolved, tls, policy), { exitCode: 3, code: 'HELPER_KUBECONFIG_INVALID', message: /has no cluster for context "" \(no current-context; pass --context\)$/ });
});

t.test('apply: a usable kubeconfig gives a target named after its server', async (t) => {
  const dir = t.testdir({ kc: 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:7443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n' });
  const target = applyKube.target(applyKube.resolve({ flag: join(dir, 'kc'), context: undefined, env: {} }), tls, policy);
  t.equal(target.server, 'cluster 127.0.0.1:7443');
});
