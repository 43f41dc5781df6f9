import t from 'tap';
import { exportTemplateCrd, klutchCrds } from '../../../src/render/crds.ts';

type Schema = {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: string[];
  default?: unknown;
  pattern?: string;
  'x-kubernetes-validations'?: Array<{ rule: string; message: string }>;
};
type Crd = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: {
      kind: string;
      plural: string;
      singular: string;
      listKind: string;
      shortNames?: string[];
      categories: string[];
    };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources: unknown;
      additionalPrinterColumns: Array<{ name: string }>;
      schema: { openAPIV3Schema: Schema };
    }>;
  };
};

const crds = () => klutchCrds() as Crd[];
const root = (c: Crd) => c.spec.versions[0]!.schema.openAPIV3Schema;
const at = (s: Schema, ...path: string[]): Schema =>
  path.reduce((cur, p) => (p === '[]' ? cur.items! : cur.properties![p]!), s);

t.test('names, scope, versions and common parts', async (t) => {
  t.same(
    crds().map((c) => [c.metadata.name, c.spec.names.kind, c.spec.scope]),
    [
      ['apiservicebindings.klutch.anynines.com', 'APIServiceBinding', 'Cluster'],
      ['apiserviceexportrequests.klutch.anynines.com', 'APIServiceExportRequest', 'Namespaced'],
      ['apiserviceexports.klutch.anynines.com', 'APIServiceExport', 'Namespaced'],
      ['apiservicenamespaces.klutch.anynines.com', 'APIServiceNamespace', 'Namespaced'],
      ['clusterbindings.klutch.anynines.com', 'ClusterBinding', 'Namespaced'],
    ],
  );
  for (const c of crds()) {
    t.equal(c.apiVersion, 'apiextensions.k8s.io/v1');
    t.equal(c.kind, 'CustomResourceDefinition');
    t.equal(c.metadata.name, `${c.spec.names.plural}.${c.spec.group}`);
    t.equal(c.spec.names.listKind, `${c.spec.names.kind}List`);
    t.equal(c.spec.names.singular, c.spec.names.kind.toLowerCase());
    t.same(c.spec.names.categories, ['kube-bindings']);
    t.equal(c.spec.versions.length, 1);
    const v = c.spec.versions[0]!;
    t.same([v.name, v.served, v.storage, v.subresources], ['v1alpha1', true, true, { status: {} }]);
    t.equal(v.additionalPrinterColumns.at(-1)!.name, 'Age');
    t.equal(root(c).type, 'object');
  }
  t.same(crds()[0]!.spec.names.shortNames, ['sb']);
  t.equal(crds().filter((c) => c.spec.names.shortNames).length, 1);
});

t.test('APIServiceBinding', async (t) => {
  const s = root(crds()[0]!);
  t.same(s.required, undefined);
  t.same(at(s, 'spec').required, ['kubeconfigSecretRef']);
  const ref = at(s, 'spec', 'kubeconfigSecretRef');
  t.same(ref.required, ['key', 'name', 'namespace']);
  t.same(ref.properties!.key!.enum, ['kubeconfig']);
  t.same(ref['x-kubernetes-validations'], [{ rule: 'self == oldSelf', message: 'kubeconfigSecretRef is immutable' }]);
  const claim = at(s, 'spec', 'permissionClaims', '[]');
  t.same(claim.required, ['resource', 'state', 'version']);
  t.same(claim.properties!.state!.enum, ['Accepted', 'Rejected']);
  t.same(claim.properties!.selector!.properties!.owner!.enum, ['Provider', 'Consumer']);
  t.same(claim.properties!.selector!.properties!.names!.default, ['*']);
  t.equal(claim.properties!.group!.default, '');
  t.match(claim['x-kubernetes-validations']![0]!.message, 'mutually exclusive');
  t.same(
    crds()[0]!.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name),
    ['Provider', 'Resources', 'Ready', 'Message', 'Age'],
  );
  t.same(at(s, 'status', 'conditions', '[]').required, ['lastTransitionTime', 'status', 'type']);
});

t.test('APIServiceExportRequest', async (t) => {
  const s = root(crds()[1]!);
  t.same(s.required, ['spec']);
  t.same(at(s, 'spec').required, ['resources']);
  const resources = at(s, 'spec', 'resources');
  t.match(resources, { minItems: 1, 'x-kubernetes-validations': [{ message: 'resources are immutable' }] });
  t.same(at(resources, '[]').required, ['resource']);
  t.equal(at(resources, '[]', 'resource').pattern, '^[a-z][-a-z0-9]*[a-z0-9]$');
  t.same(at(resources, '[]', 'permissionClaims', '[]').required, ['resource', 'version']);
  t.notOk(at(resources, '[]', 'permissionClaims', '[]').properties!.state, 'requests carry no decision');
  t.same(at(s, 'status').default, {});
  t.match(at(s, 'status', 'phase'), { enum: ['Pending', 'Failed', 'Succeeded'], default: 'Pending' });
});

t.test('APIServiceExport, APIServiceNamespace, ClusterBinding', async (t) => {
  const e = root(crds()[2]!);
  t.same(e.required, ['spec']);
  t.same(at(e, 'spec').required, ['informerScope']);
  t.equal(at(e, 'spec')['x-kubernetes-validations']!.length, 3);
  t.same(at(e, 'spec', 'clusterScopedIsolation').enum, ['Prefixed', 'Namespaced', 'None']);
  t.same(at(e, 'spec', 'versions', '[]').required, ['name', 'schema', 'served', 'storage']);
  t.same(at(e, 'spec', 'names').required, ['kind', 'plural']);
  const n = root(crds()[3]!);
  t.same(at(n, 'spec'), { description: 'Empty.', type: 'object' });
  t.equal(at(n, 'status', 'namespace').type, 'string');
  const b = root(crds()[4]!);
  t.same(at(b, 'spec').required, ['kubeconfigSecretRef', 'providerPrettyName']);
  t.same(b['x-kubernetes-validations'], [
    { rule: 'self.metadata.name == "cluster"', message: 'cluster binding name should be cluster' },
  ]);
});

t.test('APIServiceExportTemplate for any backend group', async (t) => {
  for (const group of ['example-backend.klutch.anynines.com', 'bind.anynines.com']) {
    const c = exportTemplateCrd(group) as Crd;
    t.equal(c.metadata.name, `apiserviceexporttemplates.${group}`);
    t.equal(c.spec.group, group);
    t.equal(c.spec.scope, 'Namespaced');
    t.equal(c.spec.names.kind, 'APIServiceExportTemplate');
    const s = root(c);
    t.same(s.required, ['spec']);
    t.same(at(s, 'spec', 'APIServiceSelector').required, ['resource']);
    t.same(at(s, 'spec', 'permissionClaims', '[]').required, ['resource', 'version']);
  }
});

t.test('every call returns fresh objects', async (t) => {
  const a = crds();
  const b = crds();
  t.same(a, b);
  t.not(a[0], b[0]);
  const claims = (c: Crd) => at(root(c), 'spec', 'permissionClaims', '[]');
  t.not(claims(a[0]!), claims(b[0]!));
});
