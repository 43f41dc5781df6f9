/**
 * Bug (issue 20, findings 1 and 2): the backend's kubeconfig was passed
 * through. LOCAL_FIELDS refused exec, auth-provider, token-file and the
 * certificate files in client-node's spelling only, so client-go's
 * `tokenFile` (which wins over `token`) and a YAML merge key carrying exec
 * passed, and were written unchanged into --write-kubeconfig and the
 * konnector's Secret; insecure-skip-tls-verify, an http:// server,
 * proxy-url, tls-server-name and impersonation were honoured silently.
 * Found by the security review of issue 20.
 */
import t from 'tap';
import { parseBindingResponse } from '../../src/backend/binding-response.ts';
import { BackendError } from '../../src/errors.ts';

const kubeconfig = (user: string, cluster = '', server = 'https://127.0.0.1:6443') => `apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: k, user: u, namespace: cluster-ab12c}
clusters:
- name: k
  cluster: {server: "${server}"${cluster}}
users:
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

/** [what, kubeconfig, the field path the error must name] */
const refused: Array<[string, string, string]> = [
  [
    "tokenFile (client-go's spelling, wins over token)",
    kubeconfig('{token: abcdefgh, tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}'),
    'users[0].user.tokenFile',
  ],
  [
    'a merge key carrying exec',
    kubeconfig('{token: abcdefgh, <<: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}}}'),
    'users[0].user.<<',
  ],
  [
    'a merge key carrying tokenFile',
    kubeconfig('{token: abcdefgh, <<: {tokenFile: /etc/hostname}}'),
    'users[0].user.<<',
  ],
  [
    'clientCertificate',
    kubeconfig('{clientCertificate: /c.pem, clientKey: /k.pem}'),
    'users[0].user.clientCertificate',
  ],
  [
    'insecure-skip-tls-verify: true',
    kubeconfig('{token: abcdefgh}', ', insecure-skip-tls-verify: true'),
    'clusters[0].cluster.insecure-skip-tls-verify',
  ],
  ['an http:// server', kubeconfig('{token: abcdefgh}', '', 'http://127.0.0.1:6443'), 'clusters[0].cluster.server'],
  [
    'proxy-url',
    kubeconfig('{token: abcdefgh}', ', proxy-url: "http://evil.example:3128"'),
    'clusters[0].cluster.proxy-url',
  ],
  [
    'tls-server-name',
    kubeconfig('{token: abcdefgh}', ', tls-server-name: evil.example'),
    'clusters[0].cluster.tls-server-name',
  ],
  ['as (impersonation)', kubeconfig('{token: abcdefgh, as: system:admin}'), 'users[0].user.as'],
  ['as-groups', kubeconfig('{token: abcdefgh, as-groups: [system:masters]}'), 'users[0].user.as-groups'],
  [
    'an unknown cluster field',
    kubeconfig('{token: abcdefgh}', ', certificateAuthority: /etc/ssl/ca.pem'),
    'clusters[0].cluster.certificateAuthority',
  ],
];

t.test(
  'a backend kubeconfig that changes where or how a client connects is a BackendError naming the field',
  async (t) => {
    for (const [what, text, path] of refused) {
      t.throws(
        () => parseBindingResponse(body(text)),
        {
          constructor: BackendError,
          code: 'HELPER_BACKEND_KUBECONFIG',
          exitCode: 5,
          message: new RegExp(path.replace(/[.[\]<]/g, '\\$&')),
        },
        what,
      );
    }
  },
);

t.test('what is kept is a new document with only what a binding needs', async (t) => {
  const r = parseBindingResponse(
    body(
      kubeconfig('{token: abcdefgh}', ', insecure-skip-tls-verify: false').replace(
        'kind: Config\n',
        'kind: Config\npreferences: {}\n',
      ),
    ),
  );
  t.notMatch(r.kubeconfig, /insecure|preferences/, 'insecure-skip-tls-verify: false and empty preferences are dropped');
  t.match(r.kubeconfig, /token: abcdefgh/);
  t.equal(r.connection.insecure, false);
});
