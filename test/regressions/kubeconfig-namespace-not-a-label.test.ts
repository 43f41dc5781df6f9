/**
 * Bug: inspectKubeconfig took any non-empty string as the cluster namespace,
 * e.g. "../x" or "Cluster A"; create-ns and bootstrap-env then built API
 * paths and namespace names from it and failed later with a confusing 404.
 * Noticed while writing test/unit/hostile/kubeconfig.test.ts; now refused up
 * front as not a namespace name.
 */
import t from 'tap';
import { inspectKubeconfig } from '../../src/kube/kubeconfig.ts';

const kubeconfig = (namespace: string) => `current-context: c
contexts:
- name: c
  context: {cluster: k, user: u, namespace: ${JSON.stringify(namespace)}}
clusters:
- name: k
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: abcdefgh}
`;

t.test('namespaces that are not DNS labels are refused, with the reason', async (t) => {
  for (const ns of ['../x', 'Cluster-A', 'a_b', '-a', 'a-', 'a'.repeat(64), 'ns\n']) {
    const r = inspectKubeconfig(kubeconfig(ns));
    t.notOk(r.ok, JSON.stringify(ns));
    if (!r.ok) t.match(r.problems.join('\n'), /which is not a Kubernetes namespace name/, JSON.stringify(ns));
  }
});

t.test('labels are accepted', async (t) => {
  for (const ns of ['cluster-ab12c', 'a', 'a'.repeat(63), '0-9']) t.ok(inspectKubeconfig(kubeconfig(ns)).ok, ns);
});
