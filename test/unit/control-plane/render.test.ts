import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { keysFromManifest, keysFromSeed } from '../../../src/control-plane/keys.ts';
import {
  CONFIG_HASH_ANNOTATION,
  renderControlPlane,
  type K8sObject,
  type RenderInputs,
} from '../../../src/control-plane/render.ts';
import { parseValues, settingsOf, type Settings } from '../../../src/control-plane/values.ts';
import { toYaml } from '../../../src/render/to-yaml.ts';
import { CA_PEM } from '../../helpers/certs.ts';

const values = (tls = '  acme:\n    email: ops@example.com\n', extra = '') => `backend:
  host: bind.example.com
oidc:
  issuerUrl: https://idp.example.com/realms/klutch
  clientSecret: env:OIDC
tls:
${tls}${extra}dataServices:
  postgresql:
    serviceBroker:
      { url: "https://pg-sb.example.com", username: env:U, password: env:P, healthCheckEndpoint: /osb_ext/v1/healthy }
    backupManager: { url: "https://pg-bm.example.com", username: env:U, password: env:P, insecureSkipVerify: true }
  keyvalue:
    serviceBroker: { url: "https://kv-sb.example.com", username: env:U, password: env:P }
    backupManager: { url: "https://kv-bm.example.com", username: env:U, password: env:P }
`;
const settings = (text = values()): Settings => settingsOf(parseValues(text, 'values.yaml'));
const creds = { username: 'broker-user', password: 'broker-password-1' };
const inputs = (s = settings(), overrides: Partial<RenderInputs> = {}): RenderInputs => ({
  settings: s,
  secrets: {
    oidcClientSecret: 'oidc-client-secret-1',
    endpoints: {
      postgresql: { serviceBroker: creds, backupManager: creds },
      keyvalue: { serviceBroker: creds, backupManager: creds },
    },
  },
  externalAddress: 'https://api.cp.example.com:6443',
  caPem: CA_PEM,
  cookieKeys: keysFromSeed('a seed of at least sixteen characters'),
  ...overrides,
});
const id = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
const find = (objs: K8sObject[], key: string) => objs.find((o) => id(o) === key)!;
const secretData = (o: K8sObject, key: string) =>
  Buffer.from((o.data as Record<string, string>)[key]!, 'base64').toString('utf8');

t.test('objects come in dependency order', async (t) => {
  t.same(renderControlPlane(inputs()).map(id), [
    'CustomResourceDefinition/apiservicebindings.klutch.anynines.com',
    'CustomResourceDefinition/apiserviceexportrequests.klutch.anynines.com',
    'CustomResourceDefinition/apiserviceexports.klutch.anynines.com',
    'CustomResourceDefinition/apiservicenamespaces.klutch.anynines.com',
    'CustomResourceDefinition/clusterbindings.klutch.anynines.com',
    'CustomResourceDefinition/apiserviceexporttemplates.bind.anynines.com',
    'Namespace/bind',
    'DeploymentRuntimeConfig/provider-anynines',
    'Provider/provider-anynines',
    'Function/function-patch-and-transform',
    'Configuration/w5n9a2g2-anynines-dataservices',
    'Secret/crossplane-system/keyvalue-service-broker-creds',
    'ProviderConfig/keyvalue-service-broker',
    'Secret/crossplane-system/keyvalue-backup-manager-creds',
    'ProviderConfig/keyvalue-backup-manager',
    'Secret/crossplane-system/postgresql-service-broker-creds',
    'ProviderConfig/postgresql-service-broker',
    'Secret/crossplane-system/postgresql-backup-manager-creds',
    'ProviderConfig/postgresql-backup-manager',
    'ClusterRole/kube-binder',
    'APIServiceExportTemplate/crossplane-system/keyvalueinstances',
    'APIServiceExportTemplate/crossplane-system/postgresqlinstances',
    'APIServiceExportTemplate/crossplane-system/servicebindings',
    'APIServiceExportTemplate/crossplane-system/backups',
    'APIServiceExportTemplate/crossplane-system/restores',
    'ServiceAccount/bind/anynines-backend',
    'ClusterRoleBinding/anynines-backend',
    'Secret/bind/cookie-config',
    'Secret/bind/k8sca',
    'Secret/bind/oidc-config',
    'Deployment/bind/anynines-backend',
    'Service/bind/anynines-backend',
    'Issuer/bind/letsencrypt',
    'Ingress/bind/anynines-backend',
  ]);
});

t.test('deterministic: same inputs, same bytes; the order of the values file does not matter', async (t) => {
  const a = toYaml(renderControlPlane(inputs()));
  t.equal(toYaml(renderControlPlane(inputs())), a);
  const reordered = values().replace(
    / {2}postgresql:\n((?: {4}.*\n)+) {2}keyvalue:\n((?: {4}.*\n)+)/,
    '  keyvalue:\n$2  postgresql:\n$1',
  );
  t.not(reordered, values(), 'the fixture really is reordered');
  t.equal(toYaml(renderControlPlane(inputs(settings(reordered)))), a);
  t.equal(
    toYaml(
      renderControlPlane(inputs(settings(), { cookieKeys: keysFromSeed('a seed of at least sixteen characters') })),
    ),
    a,
    'the same seed gives the same keys',
  );
  t.not(
    toYaml(renderControlPlane(inputs(settings(), { cookieKeys: keysFromSeed('another seed, also long enough') }))),
    a,
  );
  t.same(
    keysFromManifest(a, 'previous.yaml', 'bind'),
    keysFromSeed('a seed of at least sixteen characters'),
    'a previous render gives back its keys',
  );
  t.throws(() => keysFromManifest('---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n', 'p.yaml', 'bind'), {
    code: 'HELPER_PREVIOUS',
    exitCode: 3,
    message: /p\.yaml holds no Secret bind\/cookie-config/,
  });
});

t.test('k8sca carries the PEM under data (pitfall 6); every Secret uses data only', async (t) => {
  const objs = renderControlPlane(inputs());
  const ca = find(objs, 'Secret/bind/k8sca');
  t.equal(secretData(ca, 'ca'), CA_PEM, 'data.ca decodes to the PEM itself');
  t.ok(new X509Certificate(secretData(ca, 'ca')));
  const back = parseAllDocuments(toYaml(objs), { version: '1.1' })
    .map((d) => d.toJS() as K8sObject)
    .find((o) => o.metadata.name === 'k8sca')!;
  t.equal(secretData(back, 'ca'), CA_PEM, 'and survives YAML');
  for (const s of objs.filter((o) => o.kind === 'Secret')) t.notOk('stringData' in s, `${id(s)} has no stringData`);
  t.same(Object.keys(find(objs, 'Secret/bind/oidc-config').data as object), [
    'oidc-issuer-client-id',
    'oidc-issuer-client-secret',
    'oidc-issuer-url',
    'oidc-callback-url',
  ]);
  t.equal(
    secretData(find(objs, 'Secret/bind/oidc-config'), 'oidc-callback-url'),
    'https://bind.example.com:443/callback',
    "the page's callback, with :443",
  );
  const dep = find(objs, 'Deployment/bind/anynines-backend') as unknown as {
    spec: {
      template: { spec: { volumes: unknown; containers: Array<{ args: string[]; env: Array<{ name: string }> }> } };
    };
  };
  t.same(
    dep.spec.template.spec.volumes,
    [
      { name: 'oidc-config', secret: { secretName: 'oidc-config' } },
      { name: 'cookie-config', secret: { secretName: 'cookie-config' } },
      { name: 'ca', secret: { secretName: 'k8sca', items: [{ key: 'ca', path: 'ca' }] } },
    ],
    "the page's volumes",
  );
  const c = dep.spec.template.spec.containers[0]!;
  t.ok(c.args.includes('--external-ca-file=/certa/ca'));
  t.ok(
    c.args.includes('--external-address=https://api.cp.example.com:6443'),
    'the external address is an argument, as on the page',
  );
  t.ok(c.args.includes('--oidc-issuer-client-id=$(OIDC-ISSUER-CLIENT-ID)'));
  t.same(
    c.env.map((e) => e.name),
    [
      'OIDC-ISSUER-CLIENT-ID',
      'OIDC-ISSUER-CLIENT-SECRET',
      'OIDC-ISSUER-URL',
      'OIDC-CALLBACK-URL',
      'COOKIE-SIGNING-KEY',
      'COOKIE-ENCRYPTION-KEY',
    ],
    "the page's variable names",
  );
  const svc = find(objs, 'Service/bind/anynines-backend').spec as { type: string; ports: unknown };
  t.equal(svc.type, 'LoadBalancer');
  t.same(svc.ports, [{ protocol: 'TCP', name: 'anynines-backend', port: 443, targetPort: 9443 }]);
});

t.test('the Ingress annotation names the issuer that exists (pitfall 10)', async (t) => {
  const acme = renderControlPlane(
    inputs(settings(values('  acme:\n    email: ops@example.com\n    issuerName: le-prod\n'))),
  );
  const issuer = acme.find((o) => o.kind === 'Issuer')!;
  t.equal(issuer.metadata.name, 'le-prod');
  t.same(find(acme, 'Ingress/bind/anynines-backend').metadata.annotations, { 'cert-manager.io/issuer': 'le-prod' });
  t.same((issuer.spec as { acme: { solvers: unknown; privateKeySecretRef: unknown } }).acme.solvers, [
    { http01: { ingress: { class: 'nginx' } } },
  ]);
  t.same(
    (issuer.spec as { acme: { privateKeySecretRef: unknown } }).acme.privateKeySecretRef,
    { name: 'le-prod' },
    'the account key is named after the issuer, as on the page',
  );

  const cluster = renderControlPlane(
    inputs(settings(values('  ingressClass: traefik\n  issuer: { kind: ClusterIssuer, name: corp-ca }\n'))),
  );
  t.notOk(
    cluster.some((o) => o.kind === 'Issuer'),
    'bring your own: no Issuer rendered',
  );
  const ing = find(cluster, 'Ingress/bind/anynines-backend') as K8sObject & {
    spec: { ingressClassName: string; tls: unknown };
  };
  t.same(ing.metadata.annotations, { 'cert-manager.io/cluster-issuer': 'corp-ca' });
  t.equal(ing.spec.ingressClassName, 'traefik');
  t.same(ing.spec.tls, [{ secretName: 'anynines-backend-tls', hosts: ['bind.example.com'] }]);
  const own = renderControlPlane(inputs(settings(values('  issuer: { kind: Issuer, name: team-ca }\n'))));
  t.same(find(own, 'Ingress/bind/anynines-backend').metadata.annotations, { 'cert-manager.io/issuer': 'team-ca' });
});

t.test('ProviderConfigs reference their Secrets; optional fields only when set', async (t) => {
  const objs = renderControlPlane(inputs());
  t.same(find(objs, 'ProviderConfig/postgresql-service-broker').spec, {
    url: 'https://pg-sb.example.com',
    healthCheckEndpoint: '/osb_ext/v1/healthy',
    providerCredentials: {
      source: 'Secret',
      username: {
        secretRef: { namespace: 'crossplane-system', name: 'postgresql-service-broker-creds', key: 'username' },
      },
      password: {
        secretRef: { namespace: 'crossplane-system', name: 'postgresql-service-broker-creds', key: 'password' },
      },
    },
  });
  t.same((find(objs, 'ProviderConfig/postgresql-backup-manager').spec as { tls: unknown }).tls, {
    insecureSkipVerify: true,
  });
  t.equal(
    secretData(find(objs, 'Secret/crossplane-system/postgresql-backup-manager-creds'), 'password'),
    'broker-password-1',
  );
  t.notOk(
    'serviceType' in (find(objs, 'ProviderConfig/keyvalue-service-broker').spec as object),
    'no serviceType for provider-anynines v1.4.0',
  );
  const v15 = renderControlPlane(
    inputs(settings(values(undefined, 'crossplane:\n  providerConfigServiceType: true\n  namespace: xp\n'))),
  );
  t.equal(
    (find(v15, 'ProviderConfig/keyvalue-service-broker').spec as { serviceType: string }).serviceType,
    'servicebroker',
  );
  t.equal(
    (find(v15, 'ProviderConfig/keyvalue-backup-manager').spec as { serviceType: string }).serviceType,
    'backupmanager',
  );
  t.ok(find(v15, 'Secret/xp/keyvalue-backup-manager-creds'), 'credentials in the Crossplane namespace');
  t.ok(find(v15, 'APIServiceExportTemplate/xp/backups'));
});

t.test('export templates and the binder role', async (t) => {
  const objs = renderControlPlane(inputs());
  const claims = (name: string) =>
    (
      (
        find(objs, `APIServiceExportTemplate/crossplane-system/${name}`).spec as {
          permissionClaims?: Array<{ resource: string }>;
        }
      ).permissionClaims ?? []
    ).map((c) => c.resource);
  // As on the page: only service bindings claim anything.
  t.same(claims('postgresqlinstances'), []);
  t.same(claims('keyvalueinstances'), []);
  t.same(claims('servicebindings'), ['secrets', 'configmaps']);
  t.same(claims('backups'), []);
  t.same(claims('restores'), []);
  t.same(
    (
      find(objs, 'APIServiceExportTemplate/crossplane-system/postgresqlinstances').spec as {
        APIServiceSelector: unknown;
      }
    ).APIServiceSelector,
    { group: 'anynines.com', resource: 'postgresqlinstances' },
  );
  const rules = (
    find(objs, 'ClusterRole/kube-binder') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[] }> }
  ).rules;
  t.same(rules.flatMap((r) => r.resources).sort(), [
    'apiserviceexportrequests',
    'apiserviceexports',
    'apiserviceexports/status',
    'apiservicenamespaces',
    'clusterbindings',
    'clusterbindings/status',
    'namespaces',
    'secrets',
  ]);
  t.ok(
    rules.every((r) => r.apiGroups[0] === '' || r.apiGroups[0] === 'klutch.anynines.com'),
    'the group of the rendered CRDs, not kube-bind.io',
  );
});

t.test('secrets appear only in Secrets; a changed secret changes the pod template', async (t) => {
  const objs = renderControlPlane(inputs());
  const nonSecret = JSON.stringify(objs.filter((o) => o.kind !== 'Secret'));
  for (const v of [
    'oidc-client-secret-1',
    'broker-password-1',
    'broker-user',
    ...Object.values(keysFromSeed('a seed of at least sixteen characters')),
  ]) {
    t.notOk(nonSecret.includes(v), `${v.slice(0, 6)}… only in Secrets`);
  }
  const hash = (o: K8sObject[]) =>
    (
      find(o, 'Deployment/bind/anynines-backend') as unknown as {
        spec: { template: { metadata: { annotations: Record<string, string> } } };
      }
    ).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
  const changed = inputs();
  changed.secrets = { ...changed.secrets, oidcClientSecret: 'rotated-secret-2' };
  t.match(hash(objs), /^[0-9a-f]{32}$/);
  t.not(hash(renderControlPlane(changed)), hash(objs));
  t.equal(hash(renderControlPlane(inputs())), hash(objs));
});

t.test(
  'every object carries the managed-by label; no provider-kubernetes; the function the compositions call',
  async (t) => {
    const objs = renderControlPlane(inputs());
    for (const o of objs) t.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'helper', `${id(o)} labelled`);
    t.notOk(
      objs.some((o) => /kubernetes/.test(o.metadata.name) && o.kind !== 'ClusterRoleBinding') ||
        objs.some((o) => o.apiVersion.startsWith('kubernetes.crossplane.io')),
      'provider-kubernetes is gone',
    );
    t.notOk(objs.some((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name.startsWith('provider-kubernetes')));
    t.same(find(objs, 'Function/function-patch-and-transform').spec, {
      package: 'xpkg.upbound.io/crossplane-contrib/function-patch-and-transform:v0.9.2',
    });
    const named = renderControlPlane(
      inputs(
        settings(
          values(undefined, 'crossplane:\n  configuration: registry.corp/mirror/anynines/dataservices:v1.4.0\n'),
        ),
      ),
    );
    t.ok(
      find(named, 'Configuration/mirror-anynines-dataservices'),
      'the name follows the package path, as crossplane xpkg install names it',
    );
    t.ok(
      find(
        renderControlPlane(
          inputs(settings(values(undefined, 'crossplane:\n  configurationName: anynines-dataservices\n'))),
        ),
        'Configuration/anynines-dataservices',
      ),
      'configurationName pins it',
    );
  },
);
