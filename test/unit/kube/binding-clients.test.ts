/**
 * connect() for status and unbind: both kubeconfigs read and checked before
 * any call, the factory given the connections (here it records them), and
 * every problem named with the input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { connect } from '../../../src/kube/binding-clients.ts';
import { KubeClient, type KubeFactory } from '../../../src/kube/client.ts';
import type { Connection } from '../../../src/kube/kubeconfig.ts';

const kubeconfig = (ns: string, server = 'https://cp.test:6443') => `current-context: c
contexts: [{name: c, context: {cluster: k, user: u${ns ? `, namespace: ${ns}` : ''}}}]
clusters: [{name: k, cluster: {server: "${server}"}}]
users: [{name: u, user: {token: abcdefgh-token}}]
`;

function recorder(): { kube: KubeFactory; seen: Array<{ conn: Connection; label: string }> } {
  const seen: Array<{ conn: Connection; label: string }> = [];
  return {
    seen,
    kube: (conn, opts) => {
      seen.push({ conn, label: opts.label });
      return new KubeClient(conn, opts);
    },
  };
}

t.test('the provider and the App Cluster kubeconfig, each a client with its label', async (t) => {
  const dir = t.testdir({
    'provider.yaml': kubeconfig('cluster-ab12c'),
    'app.yaml': kubeconfig('', 'https://app.test:7443'),
  });
  const { kube, seen } = recorder();
  const c = connect({
    kubeconfig: join(dir, 'provider.yaml'),
    appKubeconfig: join(dir, 'app.yaml'),
    requestTimeoutMs: 1000,
    attempts: 1,
    insecure: false,
    kube,
  });
  t.equal(c.provider.namespace, 'cluster-ab12c');
  t.same(c.credential, { type: 'token' });
  t.equal(c.cp.server, 'control plane cp.test:6443');
  t.equal(c.app?.server, 'App Cluster app.test:7443');
  t.same(
    seen.map((s) => [s.label, s.conn.server]),
    [
      ['control plane', 'https://cp.test:6443'],
      ['App Cluster', 'https://app.test:7443'],
    ],
  );
});

t.test(
  'a provider kubeconfig without a namespace, or an App Cluster one without a cluster: InputError naming the ' +
    'input, nothing connected',
  async (t) => {
    const dir = t.testdir({ 'provider.yaml': kubeconfig(''), 'ok.yaml': kubeconfig('cluster-ab12c') });
    writeFileSync(join(dir, 'app.yaml'), 'current-context: none\n');
    const { kube, seen } = recorder();
    t.throws(
      () =>
        connect({ kubeconfig: join(dir, 'provider.yaml'), requestTimeoutMs: 1000, attempts: 1, insecure: false, kube }),
      {
        code: 'HELPER_KUBECONFIG_INVALID',
        exitCode: 3,
        message: `--kubeconfig ${join(dir, 'provider.yaml')} cannot be used:`,
        problems: ['context "c" has no namespace (the cluster namespace on the control plane)'],
      },
    );
    t.throws(
      () =>
        connect({
          kubeconfig: join(dir, 'ok.yaml'),
          appKubeconfig: join(dir, 'app.yaml'),
          requestTimeoutMs: 1000,
          attempts: 1,
          insecure: false,
          kube,
        }),
      {
        code: 'HELPER_KUBECONFIG_INVALID',
        message: `--app-kubeconfig ${join(dir, 'app.yaml')} cannot be used: its current context names no cluster`,
      },
    );
    t.equal(seen.length, 0, 'no client is made while an input is unusable');
  },
);

t.test('unbind: the provider kubeconfig must be named', async (t) => {
  t.throws(
    () =>
      connect({
        explicitKubeconfig: true,
        env: { KUBECONFIG: '/nonexistent' },
        requestTimeoutMs: 1000,
        attempts: 1,
        insecure: false,
      }),
    { code: 'HELPER_KUBECONFIG_READ', message: 'no kubeconfig: pass --kubeconfig FILE' },
  );
});

t.test('--insecure-skip-tls-verify: the warning names every server it covers (issue 20, finding 6)', async (t) => {
  const dir = t.testdir({
    'provider.yaml': kubeconfig('cluster-ab12c'),
    'app.yaml': kubeconfig('', 'https://app.test:7443'),
  });
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    connect({
      kubeconfig: join(dir, 'provider.yaml'),
      appKubeconfig: join(dir, 'app.yaml'),
      requestTimeoutMs: 1000,
      attempts: 1,
      insecure: true,
      kube: recorder().kube,
    });
    connect({
      kubeconfig: join(dir, 'provider.yaml'),
      requestTimeoutMs: 1000,
      attempts: 1,
      insecure: true,
      kube: recorder().kube,
    });
  } finally {
    process.stderr.write = write;
  }
  t.equal(
    stderr,
    [
      'warn: --insecure-skip-tls-verify: the TLS certificates of the control plane cp.test:6443 and the App ' +
        'Cluster app.test:7443 are NOT verified',
      'warn: --insecure-skip-tls-verify: the TLS certificate of the control plane cp.test:6443 is NOT verified',
      '',
    ].join('\n'),
  );
});
