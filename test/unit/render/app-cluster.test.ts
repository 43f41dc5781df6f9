import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { bindingName, renderAppCluster } from '../../../src/render/app-cluster.ts';
import { DEFAULT_KONNECTOR_IMAGE } from '../../../src/render/konnector.ts';
import { toYaml } from '../../../src/render/to-yaml.ts';
import type { ExportRequest, PermissionClaim } from '../../../src/types.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

const kubeconfig = 'apiVersion: v1\nkind: Config\ncurrent-context: default\n# on: yes\n';
const claim = (resource: string): PermissionClaim => ({
  group: '',
  resource,
  version: 'v1',
  selector: { owner: 'Provider' },
  required: false,
});
const request = (name: string | undefined, resources: ExportRequest['spec']['resources']): ExportRequest => ({
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  ...(name ? { metadata: { name } } : {}),
  spec: { resources },
  status: {},
});
const requests = (): ExportRequest[] => [
  request('postgresqlinstances.anynines.com', [
    {
      group: 'anynines.com',
      resource: 'postgresqlinstances',
      permissionClaims: [claim('secrets'), claim('configmaps')],
    },
  ]),
  // One request carrying several resources, one of them already bound above.
  request(undefined, [
    { group: 'anynines.com', resource: 'servicebindings', permissionClaims: [claim('secrets')] },
    { group: 'anynines.com', resource: 'postgresqlinstances' },
    { resource: 'widgets' },
  ]),
];
const render = (image = 'registry.example.com/konnector:v9') =>
  renderAppCluster({ kubeconfig, requests: requests(), konnectorImage: image }) as Obj[];

t.test('objects come in dependency order, the Namespace once', async (t) => {
  const objs = render();
  t.same(
    objs.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`),
    [
      'Namespace/klutch-bind',
      'CustomResourceDefinition/apiservicebindings.klutch.anynines.com',
      'CustomResourceDefinition/apiserviceexportrequests.klutch.anynines.com',
      'CustomResourceDefinition/apiserviceexports.klutch.anynines.com',
      'CustomResourceDefinition/apiservicenamespaces.klutch.anynines.com',
      'CustomResourceDefinition/clusterbindings.klutch.anynines.com',
      'Secret/klutch-bind/kubeconfig',
      'ClusterRole/klutch-bind-konnector',
      'ClusterRoleBinding/klutch-bind-konnector',
      'ServiceAccount/klutch-bind/konnector',
      'Deployment/klutch-bind/konnector',
      'APIServiceBinding/postgresqlinstances.anynines.com',
      'APIServiceBinding/servicebindings.anynines.com',
      'APIServiceBinding/widgets',
    ],
  );
});

t.test('the Secret carries the kubeconfig text, base64-encoded, through YAML', async (t) => {
  const docs = parseAllDocuments(toYaml(render()), { version: '1.1' });
  const secret = docs.map((d) => d.toJS() as Obj).find((o) => o.kind === 'Secret')!;
  t.same(Object.keys(secret), ['apiVersion', 'kind', 'metadata', 'data'], 'no type: Opaque by default');
  const data = secret.data as Record<string, string>;
  t.same(Object.keys(data), ['kubeconfig']);
  t.equal(Buffer.from(data.kubeconfig!, 'base64').toString('utf8'), kubeconfig);
});

t.test('bindings reference the Secret and accept every claim', async (t) => {
  const bindings = render().filter((o) => o.kind === 'APIServiceBinding');
  for (const b of bindings) {
    t.equal(b.apiVersion, 'klutch.anynines.com/v1alpha1');
    t.same(b.metadata, { name: b.metadata.name }, 'no namespace: the v1.4.0 CRD is cluster-scoped');
    t.same((b.spec as Record<string, unknown>).kubeconfigSecretRef, {
      name: 'kubeconfig',
      key: 'kubeconfig',
      namespace: 'klutch-bind',
    });
  }
  const pg = bindings[0]!.spec as { permissionClaims: PermissionClaim[] };
  t.same(pg.permissionClaims, [
    { ...claim('secrets'), state: 'Accepted' },
    { ...claim('configmaps'), state: 'Accepted' },
  ]);
  t.same(
    (bindings[1]!.spec as { permissionClaims: PermissionClaim[] }).permissionClaims.map((c) => c.state),
    ['Accepted'],
  );
  t.notOk('permissionClaims' in (bindings[2]!.spec as object), 'no claims, no empty list');
});

t.test('duplicate names are bound once, the first occurrence wins', async (t) => {
  const pg = render().filter((o) => o.metadata.name === 'postgresqlinstances.anynines.com');
  t.equal(pg.length, 1);
  t.equal((pg[0]!.spec as { permissionClaims: unknown[] }).permissionClaims.length, 2);
});

t.test('binding names', async (t) => {
  t.equal(bindingName('backups', 'anynines.com'), 'backups.anynines.com');
  t.equal(bindingName('widgets', ''), 'widgets');
  t.equal(bindingName('widgets', undefined), 'widgets');
});

t.test('the konnector runs the given image', async (t) => {
  const deploymentOf = (objs: Obj[]) =>
    objs.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        template: {
          spec: {
            serviceAccountName: string;
            containers: Array<{ image: string; env: unknown[]; readinessProbe: unknown }>;
          };
        };
      };
    };
  const d = deploymentOf(render('registry.example.com/konnector:v9'));
  t.equal(d.spec.replicas, 2);
  t.equal(d.spec.template.spec.serviceAccountName, 'konnector');
  const c = d.spec.template.spec.containers[0]!;
  t.equal(c.image, 'registry.example.com/konnector:v9');
  t.same(c.env, [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ]);
  t.same(c.readinessProbe, { httpGet: { path: '/healthz', port: 8080 } });
  t.equal(DEFAULT_KONNECTOR_IMAGE, 'public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0');
  t.equal(
    deploymentOf(render(DEFAULT_KONNECTOR_IMAGE)).spec.template.spec.containers[0]!.image,
    DEFAULT_KONNECTOR_IMAGE,
  );
});

t.test('rendering is deterministic and does not alias its input', async (t) => {
  t.equal(toYaml(render()), toYaml(render()));
  const input = requests();
  const objs = renderAppCluster({ kubeconfig, requests: input, konnectorImage: 'x' }) as Obj[];
  const b = objs.find((o) => o.kind === 'APIServiceBinding')!;
  // selector is one of the claim fields the schema leaves unchecked (unknown to the type).
  const selector = (c: PermissionClaim) => c.selector as { owner: string };
  selector((b.spec as { permissionClaims: PermissionClaim[] }).permissionClaims[0]!).owner = 'Consumer';
  t.equal(selector(input[0]!.spec.resources[0]!.permissionClaims![0]!).owner, 'Provider');
  t.notOk(input[0]!.spec.resources[0]!.permissionClaims![0]!.state, 'input claims are not marked');
  t.notMatch(toYaml(objs), /[&*]a\d/, 'no YAML anchors or aliases');
});
