/**
 * Bug: parseBindingResponse accepted a kubeconfig whose users or clusters make
 * @kubernetes/client-node run a program (exec, auth-provider cmd-path) or read
 * a local file (token-file, client-key, ...): a hostile or compromised bind
 * backend could run commands on the machine running helper, or have a local
 * file sent to its server as the bearer token. Found by the fixed hostile
 * bodies of test/unit/hostile/binding-response.test.ts.
 */
import t from 'tap';
import { parseBindingResponse } from '../../src/backend/binding-response.ts';
import { BackendError } from '../../src/errors.ts';
import { inspectKubeconfig } from '../../src/kube/kubeconfig.ts';

const kubeconfig = (user: string, cluster = '') => `current-context: c
contexts:
- name: c
  context: {cluster: k, user: u, namespace: cluster-ab12c}
clusters:
- name: k
  cluster: {server: "https://127.0.0.1:6443"${cluster}}
users:
- name: other
  user: {token: abcdefgh}
- name: u
  user: ${user}
`;
const body = (text: string) => ({
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  kubeconfig: Buffer.from(text).toString('base64'),
  requests: [
    {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceExportRequest',
      spec: { resources: [{ resource: 'backups' }] },
    },
  ],
});

const hostile: Array<[string, string]> = [
  [
    'exec',
    kubeconfig('{exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: [-c, "touch /tmp/pwned"]}}'),
  ],
  ['auth-provider', kubeconfig('{auth-provider: {name: gcp, config: {cmd-path: sh, cmd-args: "-c id"}}}')],
  ['token-file', kubeconfig('{token-file: /etc/hostname}')],
  [
    'client-certificate and client-key',
    kubeconfig('{client-certificate: /home/me/.kube/cert.pem, client-key: /home/me/.kube/key.pem}'),
  ],
  ['certificate-authority', kubeconfig('{token: abcdefgh}', ', certificate-authority: /etc/ssl/ca.pem')],
  [
    'exec on a user that is not the current one',
    kubeconfig('{token: abcdefgh}').replace(
      'user: {token: abcdefgh}\n- name: u',
      'user: {exec: {command: sh}}\n- name: u',
    ),
  ],
];

t.test('a backend kubeconfig that runs programs or reads local files is a BackendError', async (t) => {
  t.equal(
    parseBindingResponse(body(kubeconfig('{token: abcdefgh}'))).provider.namespace,
    'cluster-ab12c',
    'a token is fine',
  );
  for (const [what, text] of hostile) {
    t.throws(
      () => parseBindingResponse(body(text)),
      {
        constructor: BackendError,
        code: 'HELPER_BACKEND_KUBECONFIG',
        message: /may not run programs or read local files/,
      },
      what,
    );
  }
});

t.test("the user's own kubeconfig (create-ns) may still use them", async (t) => {
  for (const [what, text] of hostile.filter(([w]) => w !== 'token-file')) t.ok(inspectKubeconfig(text).ok, what);
});
