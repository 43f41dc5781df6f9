/**
 * Bug: inspectKubeconfig (yaml package, lenient) called kubeconfigs ok that
 * @kubernetes/client-node (js-yaml, strict, plus its own entry rules) then
 * refused or read differently, so bootstrap-env failed later with an
 * unexpected error (exit 1) in loadKubeConfig instead of a BackendError.
 * Found by test/unit/hostile/kubeconfig.test.ts, which loads every accepted
 * kubeconfig with client-node.
 */
import * as k8s from '@kubernetes/client-node';
import t from 'tap';
import { parseBindingResponse } from '../../src/backend/binding-response.ts';
import { BackendError } from '../../src/errors.ts';
import { inspectKubeconfig } from '../../src/kube/kubeconfig.ts';

const good = `current-context: c
contexts:
- name: c
  context:
    cluster: k
    user: u
    namespace: cluster-ab12c
clusters:
- name: k
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user:
    token: abcdefgh
`;

const cases: Array<[string, string]> = [
  ['duplicate key', `current-context: other\n${good}`],
  [
    'control character',
    good
      .replace('token: abcdefgh', 'token: "abc\u0001defgh"')
      .replace('"abc\u0001', 'abc\u0001')
      .replace('defgh"', 'defgh'),
  ],
  ['another context without cluster', `${good.replace('contexts:\n', 'contexts:\n- name: extra\n  context: {}\n')}`],
  ['another cluster without server', `${good.replace('clusters:\n', 'clusters:\n- name: extra\n  cluster: {}\n')}`],
  ['a null user entry', `${good.replace('users:\n', 'users:\n- null\n')}`],
  ['nesting deeper than 100', `${good}extensions: ${'['.repeat(150)}${']'.repeat(150)}\n`],
  ['a tag js-yaml does not know', `${good}extra: !!binary aGk=\n`],
];

t.test('kubeconfigs client-node cannot use are not ok', async (t) => {
  t.ok(inspectKubeconfig(good).ok, 'the base kubeconfig is fine');
  for (const [what, text] of cases) {
    const r = inspectKubeconfig(text);
    t.notOk(r.ok, what);
    if (!r.ok) t.match(r.problems, [/^the Kubernetes client (cannot load it: |reads context .* differently)/], what);
    const kc = new k8s.KubeConfig();
    let usable: boolean;
    try {
      kc.loadFromString(text);
      usable = kc.getCurrentContext() === 'c' && kc.getCurrentCluster()?.server === 'https://127.0.0.1:6443';
    } catch {
      usable = false;
    }
    t.notOk(usable, `${what}: client-node indeed cannot use it`);
  }
});

t.test('from the backend they are a BackendError', async (t) => {
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
  t.equal(parseBindingResponse(body(good)).provider.namespace, 'cluster-ab12c');
  for (const [what, text] of cases)
    t.throws(
      () => parseBindingResponse(body(text)),
      { constructor: BackendError, code: 'HELPER_BACKEND_KUBECONFIG' },
      what,
    );
});
