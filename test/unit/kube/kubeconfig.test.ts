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
  if (r.ok) t.same(r.value, { contextName: 'default', namespace: 'cluster-ab12c', server: 'https://127.0.0.1:6443', clusterName: 'default', userName: 'default' });
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
