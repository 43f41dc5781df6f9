/**
 * Bug: inspectKubeconfig accepted any server matching ^https?://\S+, e.g.
 * "https://[" or "https://a:99999", which are no URLs: parseBindingResponse
 * passed them on and bootstrap-env crashed with TypeError (exit 1) at
 * new URL(server). Found by test/unit/hostile/kubeconfig.test.ts.
 */
import t from 'tap';
import { parseBindingResponse } from '../../src/backend/binding-response.ts';
import { BackendError } from '../../src/errors.ts';
import { inspectKubeconfig } from '../../src/kube/kubeconfig.ts';

const kubeconfig = (server: string) => `current-context: c
contexts:
- name: c
  context: {cluster: k, user: u, namespace: cluster-ab12c}
clusters:
- name: k
  cluster: {server: ${JSON.stringify(server)}}
users:
- name: u
  user: {token: abcdefgh}
`;

t.test('servers that are not URLs are rejected', async (t) => {
  for (const server of ['https://[', 'https://[::1', 'https://a:99999', 'https://:443', 'https://%', 'http://a%zz']) {
    const r = inspectKubeconfig(kubeconfig(server));
    t.notOk(r.ok, server);
    if (!r.ok) t.same(r.problems, ['cluster "k" has no valid server URL'], server);
  }
});

t.test('a BindingResponse carrying one is a BackendError', async (t) => {
  const body = {
    apiVersion: 'klutch.anynines.com/v1alpha1',
    kind: 'BindingResponse',
    kubeconfig: Buffer.from(kubeconfig('https://[')).toString('base64'),
    requests: [
      {
        apiVersion: 'klutch.anynines.com/v1alpha1',
        kind: 'APIServiceExportRequest',
        spec: { resources: [{ resource: 'backups' }] },
      },
    ],
  };
  t.throws(() => parseBindingResponse(body), {
    constructor: BackendError,
    code: 'HELPER_BACKEND_KUBECONFIG',
    exitCode: 5,
  });
});

t.test('real servers still pass', async (t) => {
  for (const server of [
    'https://127.0.0.1:6443',
    'https://[::1]:6443',
    'http://localhost',
    'https://cp.example.com/k8s/clusters/c-1/',
  ]) {
    const r = inspectKubeconfig(kubeconfig(server));
    t.ok(r.ok, server);
    if (r.ok) t.equal(new URL(r.value.server).protocol.startsWith('http'), true);
  }
});
