import t from 'tap';
import { inspectKubeconfig, isStrictBase64 } from '../../../src/kube/kubeconfig.ts';

const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const good = (over: Record<string, string> = {}) => `apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    server: ${over.server ?? 'https://127.0.0.1:6443'}
    certificate-authority-data: ${over.cad ?? Buffer.from(pem).toString('base64')}
users:
- name: default
  user:
    token: abcdefgh
contexts:
- name: default
  context:
    cluster: default
    user: default
${over.ns ?? '    namespace: cluster-ab12c'}
current-context: ${over.current ?? 'default'}
`;

t.test('reads the cluster namespace from the current context', async (t) => {
  const r = inspectKubeconfig(good());
  t.ok(r.ok);
  if (r.ok)
    t.same(r.value, {
      contextName: 'default',
      namespace: 'cluster-ab12c',
      server: 'https://127.0.0.1:6443',
      clusterName: 'default',
      userName: 'default',
    });
});

t.test('lists what is missing', async (t) => {
  const noNs = inspectKubeconfig(good({ ns: '' }));
  t.notOk(noNs.ok);
  if (!noNs.ok) t.match(noNs.problems.join('\n'), /context "default" has no namespace/);
  const badCtx = inspectKubeconfig(good({ current: 'other' }));
  if (!badCtx.ok) t.match(badCtx.problems.join('\n'), /current-context "other" is not in contexts/);
  const badCa = inspectKubeconfig(good({ cad: Buffer.from(Buffer.from(pem).toString('base64')).toString('base64') }));
  t.notOk(badCa.ok, 'double-base64 CA (the k8sca pitfall) is caught');
  const notYaml = inspectKubeconfig('{');
  t.notOk(notYaml.ok);
  const list = inspectKubeconfig('- a\n- b\n');
  t.notOk(list.ok);
});

t.test('strict base64', async (t) => {
  t.ok(isStrictBase64(Buffer.from('hello world').toString('base64')));
  t.notOk(isStrictBase64('aGVsbG8=x'));
  t.notOk(isStrictBase64('aGVsbG8'));
  t.notOk(isStrictBase64('a b='));
});

t.test(
  'readKubeconfig: one read gives facts, credential and connection; the token is registered as a secret',
  async (t) => {
    const { readKubeconfig } = await import('../../../src/kube/kubeconfig.ts');
    const { redact } = await import('../../../src/log.ts');
    const token =
      'eyJhbGciOiJub25lIn0.' +
      Buffer.from(
        JSON.stringify({ exp: 2_000_000_000, sub: 'system:serviceaccount:cluster-ab12c:klutch-binder' }),
      ).toString('base64url') +
      '.sig';
    const r = readKubeconfig(good().replace('token: abcdefgh', `token: ${token}`), {
      provider: true,
      caPem: '-----BEGIN CERTIFICATE-----\nEXTRA\n-----END CERTIFICATE-----\n',
    });
    t.same(r.problems, []);
    t.same(r.facts, {
      contextName: 'default',
      namespace: 'cluster-ab12c',
      server: 'https://127.0.0.1:6443',
      clusterName: 'default',
      userName: 'default',
    });
    t.same(r.credential, {
      type: 'token',
      expiresAt: new Date(2_000_000_000 * 1000).toISOString(),
      subject: 'system:serviceaccount:cluster-ab12c:klutch-binder',
    });
    t.equal(r.connection?.server, 'https://127.0.0.1:6443');
    t.same(r.connection?.auth, { kind: 'token', token });
    t.match(r.connection?.caPem, /MIIB[\s\S]*EXTRA/, "the cluster's CA and --ca-file, both trusted");
    t.equal(r.connection?.insecure, false);
    t.equal(redact(`x ${token} y`), 'x [REDACTED] y');
  },
);

t.test('readKubeconfig: every problem, not only the first', async (t) => {
  const { readKubeconfig } = await import('../../../src/kube/kubeconfig.ts');
  const text = good({ ns: '', server: 'ftp://x', cad: 'aGVsbG8=' }).replace('user: default\n', 'user: nobody\n');
  const r = readKubeconfig(text, { provider: true });
  t.same(r.problems, [
    'context "default" has no namespace (the cluster namespace on the control plane)',
    'cluster "default" has no valid server URL',
    'cluster "default" certificate-authority-data is not base64 of a PEM certificate (see the k8sca pitfall ' +
      'in the Klutch docs)',
    'user "nobody" of context "default" is not in users',
  ]);
  t.equal(r.connection, undefined);
  const app = readKubeconfig('clusters: [{name: k}]\n');
  t.match(app.problems, [/clusters\[0\]\.cluster is missing/], "client-node's own entry rule, for any kubeconfig");
});

t.test('readKubeconfig: client certificates, basic auth and insecure clusters', async (t) => {
  const { readKubeconfig } = await import('../../../src/kube/kubeconfig.ts');
  const { redact } = await import('../../../src/log.ts');
  const key = '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n';
  const base = (user: string, cluster = '') =>
    `current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, ` +
    `cluster: {server: "https://h:1/"${cluster}}}]\nusers: [{name: u, user: ${user}}]\n`;
  const cert = readKubeconfig(
    base(
      `{client-certificate-data: ${Buffer.from(pem).toString('base64')}, client-key-data: ` +
        `${Buffer.from(key).toString('base64')}}`,
    ),
  );
  t.same(cert.connection?.auth, { kind: 'client-certificate', certPem: pem, keyPem: key });
  t.equal(cert.credential.type, 'client-certificate');
  t.equal(cert.connection?.server, 'https://h:1', 'no trailing slash');
  t.notMatch(redact(`key ${Buffer.from(key).toString('base64')}`), 'S0VZ', 'the key data is a secret');
  const basic = readKubeconfig(base('{username: admin, password: hunter2-long}', ', insecure-skip-tls-verify: true'));
  t.same(basic.connection?.auth, { kind: 'basic', username: 'admin', password: 'hunter2-long' });
  t.equal(basic.connection?.insecure, true);
  t.equal(redact('pw hunter2-long'), 'pw [REDACTED]');
});

t.test('readKubeconfig: an exec user runs its plugin through client-node, loaded only then', async (t) => {
  const { readKubeconfig } = await import('../../../src/kube/kubeconfig.ts');
  const { redact } = await import('../../../src/log.ts');
  const out = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token: 'exec-token-from-plugin-42' },
  });
  const exec = {
    apiVersion: 'client.authentication.k8s.io/v1',
    command: process.execPath,
    args: ['-e', `process.stdout.write(${JSON.stringify(out)})`],
    interactiveMode: 'Never',
  };
  const text =
    `current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u, namespace: ns}}]\nclusters: ` +
    `[{name: k, cluster: {server: "https://h:1"}}]\nusers: [{name: u, user: {exec: ${JSON.stringify(exec)}}}]\n`;
  const r = readKubeconfig(text);
  t.equal(r.credential.type, 'exec');
  t.equal(r.connection?.auth.kind, 'plugin');
  const auth = r.connection!.auth as { kind: 'plugin'; credentials: () => Promise<{ authorization?: string }> };
  t.equal((await auth.credentials()).authorization, 'Bearer exec-token-from-plugin-42');
  t.equal(redact('got exec-token-from-plugin-42'), 'got [REDACTED]', 'what the plugin returned is a secret');
});

t.test(
  "readKubeconfig: a user's as: is kept for Impersonate-User; a socks proxy-url is refused, not ignored",
  async (t) => {
    const { readKubeconfig } = await import('../../../src/kube/kubeconfig.ts');
    const base = (user: string, cluster = '') =>
      `current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, ` +
      `cluster: {server: "https://h:1"${cluster}}}]\nusers: [{name: u, user: ${user}}]\n`;
    t.equal(readKubeconfig(base('{token: tok-abc-123456, as: ci-bot}')).connection?.impersonate, 'ci-bot');
    t.equal(readKubeconfig(base('{token: tok-abc-123456}')).connection?.impersonate, undefined);
    t.equal(
      readKubeconfig(base('{token: tok-abc-123456}', ', proxy-url: "http://proxy.corp:3128"')).connection?.proxyUrl,
      'http://proxy.corp:3128',
    );
    const socks = readKubeconfig(base('{token: tok-abc-123456}', ', proxy-url: "socks5://proxy.corp:1080"'));
    t.equal(socks.connection, undefined);
    t.same(socks.problems, [
      'proxy-url of cluster "k" is socks5://...: helper reaches API servers through http:// and https:// proxies only',
    ]);
  },
);
