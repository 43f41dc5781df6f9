/**
 * The konnector's objects on their own: the Namespace, then RBAC, the
 * ServiceAccount and the Deployment, wired to each other by name. Their
 * place in all.yaml is test/unit/render/app-cluster.test.ts.
 */
import t from 'tap';
import { KONNECTOR_NAMESPACE, konnectorNamespace, konnectorObjects } from '../../../src/render/konnector.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}
interface Deployment extends Obj {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { serviceAccountName: string; containers: Array<{ name: string; image: string }> };
    };
  };
}

const objects = (image = 'registry.test/konnector:v1') => konnectorObjects(image) as Obj[];
const byKind = <T extends Obj = Obj>(kind: string, objs = objects()) => objs.find((o) => o.kind === kind) as T;

t.test('the Namespace is klutch-bind, labelled so that a re-apply changes nothing', async (t) => {
  t.equal(KONNECTOR_NAMESPACE, 'klutch-bind');
  t.same(konnectorNamespace(), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'klutch-bind', labels: { 'app.kubernetes.io/managed-by': 'helper' } },
  });
});

t.test('RBAC, ServiceAccount, Deployment: in apply order, namespaced ones in klutch-bind', async (t) => {
  t.same(
    objects().map((o) => [o.apiVersion, o.kind, o.metadata.namespace ?? '', o.metadata.name]),
    [
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', '', 'klutch-bind-konnector'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', '', 'klutch-bind-konnector'],
      ['v1', 'ServiceAccount', 'klutch-bind', 'konnector'],
      ['apps/v1', 'Deployment', 'klutch-bind', 'konnector'],
    ],
  );
});

t.test('the binding gives the ClusterRole to the ServiceAccount the Deployment runs as', async (t) => {
  const role = byKind('ClusterRole');
  const binding = byKind('ClusterRoleBinding') as Obj & {
    roleRef: { apiGroup: string; kind: string; name: string };
    subjects: Array<{ kind: string; name: string; namespace: string }>;
  };
  const sa = byKind('ServiceAccount');
  const deployment = byKind<Deployment>('Deployment');
  t.same(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
  t.same(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  t.equal(deployment.spec.template.spec.serviceAccountName, sa.metadata.name);
  t.equal(deployment.metadata.namespace, sa.metadata.namespace);
  // The konnector creates the CRDs of whatever is exported, so it may do anything (as upstream).
  t.same(role.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
});

t.test('the Deployment selects its own pods and runs the given image', async (t) => {
  const d = byKind<Deployment>('Deployment', objects('registry.test/konnector@sha256:abc'));
  t.same(d.spec.selector.matchLabels, d.spec.template.metadata.labels);
  t.same(d.metadata.labels, d.spec.template.metadata.labels);
  t.same(
    d.spec.template.spec.containers.map((c) => [c.name, c.image]),
    [['konnector', 'registry.test/konnector@sha256:abc']],
  );
});

t.test('every call returns fresh objects', async (t) => {
  const a = objects();
  byKind<Deployment>('Deployment', a).spec.selector.matchLabels.app = 'changed';
  a[0]!.metadata.name = 'changed';
  const b = objects();
  t.equal(byKind<Deployment>('Deployment', b).spec.selector.matchLabels.app, 'konnector');
  t.equal(b[0]!.metadata.name, 'klutch-bind-konnector');
  const d = byKind<Deployment>('Deployment', b);
  t.not(
    d.spec.selector.matchLabels,
    d.spec.template.metadata.labels,
    'no label object is shared (the YAML writer would emit an alias)',
  );
});
