/**
 * The one way from a kubeconfig to a client: every problem is InputError
 * HELPER_KUBECONFIG_INVALID (exit 3) worded for its input, before any call;
 * a usable one gives the factory its connection, label and call policy.
 */
import t from 'tap';
import type { KubeOptions } from '../../../src/kube/client.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { kubeconfigClient, readSource } from '../../../src/kube/connect.ts';
import type { Connection } from '../../../src/kube/kubeconfig.ts';

const usable = (ns = '') =>
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users: [{name: u, user: {token: connect-token-not-real}}]',
    `contexts: [{name: c, context: {cluster: c, user: u${ns ? `, namespace: ${ns}` : ''}}}]`,
    'current-context: c',
    '',
  ].join('\n');

t.test('problems: one code, exit 3, the source named in each wording', async (t) => {
  const noCluster = 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n';
  t.throws(() => readSource({ text: noCluster, where: '--kubeconfig kc' }), {
    code: 'HELPER_KUBECONFIG_INVALID',
    exitCode: 3,
    message: '--kubeconfig kc cannot be used: its current context names no cluster',
  });
  t.throws(() => readSource({ text: noCluster, where: 'kc' }, { noCluster: 'kc has no cluster' }), {
    code: 'HELPER_KUBECONFIG_INVALID',
    message: 'kc has no cluster',
  });
  t.throws(() => readSource({ text: usable(), where: '--kubeconfig kc' }, { provider: true }), {
    code: 'HELPER_KUBECONFIG_INVALID',
    exitCode: 3,
    message: '--kubeconfig kc cannot be used:',
    problems: ['context "c" has no namespace (the cluster namespace on the control plane)'],
  });
  t.throws(() => readSource({ text: usable(), where: 'x' }, { provider: true, heading: 'x: nothing was applied:' }), {
    message: 'x: nothing was applied:',
  });
  const badProxy = usable().replace(
    'server: "https://127.0.0.1:6443"',
    'server: "https://127.0.0.1:6443", proxy-url: "socks5://p:1"',
  );
  t.throws(() => readSource({ text: badProxy, where: 'kc' }, { describe: (why) => `kc is not usable: ${why}` }), {
    code: 'HELPER_KUBECONFIG_INVALID',
    message: /^kc is not usable: proxy-url of cluster "c" is socks5:\/\/\.\.\./,
  });
});

t.test(
  'a usable kubeconfig: facts, the connection with --ca-file trusted, and a client of the factory with label ' +
    'and policy',
  async (t) => {
    const r = readSource(
      { text: usable('cluster-a'), where: 'kc' },
      { provider: true, tls: { caPem: 'PEM', insecure: true } },
    );
    t.equal(r.read.facts?.namespace, 'cluster-a');
    t.match(r.connection, { server: 'https://127.0.0.1:6443', caPem: 'PEM', insecure: true });
    const got: Array<{ conn: Connection; opts: KubeOptions }> = [];
    const signal = new AbortController().signal;
    const { client } = kubeconfigClient(
      { text: usable(), where: 'kc' },
      {
        label: 'App Cluster',
        policy: { requestTimeoutMs: 1234, attempts: 2, signal },
        kube: (conn, opts) => {
          got.push({ conn, opts });
          return new KubeClient(conn, opts);
        },
      },
    );
    t.equal(client.server, 'App Cluster 127.0.0.1:6443');
    t.match(got[0]!.opts, { label: 'App Cluster', requestTimeoutMs: 1234, attempts: 2, signal });
    t.match(client.policy, { requestTimeoutMs: 1234, attempts: 2, signal });
  },
);
