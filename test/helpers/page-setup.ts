/**
 * A control plane as an operator builds it by hand from the Klutch v1.4.0
 * setup page ("Setting up Control Plane and App Clusters"), step by step,
 * written here as test data: the objects each step of the page creates, with
 * the page's placeholders filled in. Nothing is copied from an upstream YAML
 * file; each object is what the page's text and YAML describe.
 *
 * Where the page points elsewhere: step 1's provider-anynines.yaml is the
 * Provider and DeploymentRuntimeConfig the v1.4.0 release names; the CRDs of
 * `kubectl apply -f .../crds.yaml` are the klutch CRDs this project renders
 * (the same set the sandbox installs); `crossplane xpkg install
 * configuration <package>` creates a Configuration named after the package
 * path.
 */
import { exportTemplateCrd, klutchCrds } from '../../src/render/crds.ts';

export interface PageInputs {
  host: string;
  acmeEmail: string;
  oidcIssuerUrl: string;
  oidcClientSecret: string;
  /** Base64 of the control plane's PEM CA (the kubeconfig's certificate-authority-data). */
  caBase64: string;
  externalAddress: string;
  signingKey: string;
  encryptionKey: string;
  /** Per data service: URL, user and password of its service broker and backup manager. */
  dataServices: Record<string, { serviceBroker: Endpoint; backupManager: Endpoint }>;
}

export interface Endpoint {
  url: string;
  username: string;
  password: string;
}

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
};
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const RESOURCES: Record<string, string> = {
  messaging: 'messaginginstances',
  logme2: 'logme2instances',
  prometheus: 'prometheusinstances',
  search: 'searchinstances',
  mongodb: 'mongodbinstances',
  mariadb: 'mariadbinstances',
  postgresql: 'postgresqlinstances',
};

/** "Deploy Crossplane and provider-anynines": the provider package and the configuration package. */
export function pageCrossplaneStep(): Obj[] {
  return [
    {
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Provider',
      metadata: { name: 'provider-anynines' },
      spec: {
        package: 'public.ecr.aws/w5n9a2g2/klutch/provider-anynines:v1.4.0',
        runtimeConfigRef: { name: 'provider-anynines' },
      },
    },
    {
      apiVersion: 'pkg.crossplane.io/v1beta1',
      kind: 'DeploymentRuntimeConfig',
      metadata: { name: 'provider-anynines' },
      spec: {
        deploymentTemplate: {
          spec: {
            selector: {},
            template: {
              spec: {
                containers: [
                  { name: 'package-runtime', readinessProbe: { httpGet: { path: '/healthz', port: 8081 } } },
                ],
              },
            },
          },
        },
      },
    },
    // crossplane xpkg install configuration public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0
    {
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Configuration',
      metadata: { name: 'w5n9a2g2-anynines-dataservices' },
      spec: { package: 'public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0' },
    },
  ];
}

/** "Install ProviderConfig", once per data service: a credentials Secret and a ProviderConfig per endpoint. */
export function pageProviderConfigStep(p: PageInputs): Obj[] {
  const out: Obj[] = [];
  for (const [ds, e] of Object.entries(p.dataServices)) {
    for (const [endpoint, v] of [
      ['service-broker', e.serviceBroker],
      ['backup-manager', e.backupManager],
    ] as const) {
      const secretName = `${ds}-${endpoint}-creds`;
      const ref = (key: string) => ({ secretRef: { namespace: 'crossplane-system', name: secretName, key } });
      out.push(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, namespace: 'crossplane-system' },
          type: 'Opaque',
          data: { username: b64(v.username), password: b64(v.password) },
        },
        {
          apiVersion: 'dataservices.anynines.com/v1',
          kind: 'ProviderConfig',
          metadata: { name: `${ds}-${endpoint}` },
          spec: {
            url: v.url,
            providerCredentials: { source: 'Secret', username: ref('username'), password: ref('password') },
          },
        },
      );
    }
  }
  return out;
}

/** "Deploy Klutch-bind": the CRDs. */
export function pageCrdStep(): Obj[] {
  return [...(klutchCrds() as Obj[]), exportTemplateCrd('bind.anynines.com') as Obj];
}

/** The ClusterRole kube-binder and the APIServiceExportTemplates, as the page writes them. */
export function pageBindStep(p: PageInputs): Obj[] {
  const rule = (resources: string[], verbs: string[], group = 'kube-bind.io') => ({
    apiGroups: [group],
    resources,
    verbs,
  });
  const all = ['create', 'delete', 'patch', 'update', 'get', 'list', 'watch'];
  const template = (resource: string, permissionClaims?: unknown[]): Obj => ({
    kind: 'APIServiceExportTemplate',
    apiVersion: 'bind.anynines.com/v1alpha1',
    metadata: { name: resource, namespace: 'crossplane-system' },
    spec: {
      APIServiceSelector: { resource, group: 'anynines.com' },
      ...(permissionClaims ? { permissionClaims } : {}),
    },
  });
  const claim = (resource: string) => ({ group: '', resource, version: 'v1', selector: { owner: 'Provider' } });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kube-binder' },
      rules: [
        rule(['apiserviceexportrequests'], all),
        rule(['namespaces'], ['get'], ''),
        rule(['secrets'], ['get', 'watch', 'list'], ''),
        rule(['clusterbindings'], ['get', 'watch', 'list']),
        rule(['clusterbindings/status'], ['get', 'patch', 'update']),
        rule(['apiserviceexports'], ['get', 'watch', 'list']),
        rule(['apiserviceexports/status'], ['get', 'patch', 'update']),
        rule(['apiservicenamespaces'], all),
      ],
    },
    ...Object.keys(p.dataServices).map((ds) => template(RESOURCES[ds]!)),
    template('servicebindings', [claim('secrets'), claim('configmaps')]),
    template('backups'),
    template('restores'),
  ];
}

/** "Apply the backend": namespace bind, the LoadBalancer Service, then backend-anynines.yaml. */
export function pageBackendStep(p: PageInputs): Obj[] {
  const ns = 'bind';
  const name = 'anynines-backend';
  const fromSecret = (env: string, secret: string, key: string) => ({
    name: env,
    valueFrom: { secretKeyRef: { name: secret, key } },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: {
        type: 'LoadBalancer',
        ports: [{ protocol: 'TCP', name, port: 443, targetPort: 9443 }],
        selector: { app: name },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels: { app: name } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            serviceAccountName: name,
            containers: [
              {
                name,
                image: 'public.ecr.aws/w5n9a2g2/anynines/kubebind-backend:v1.4.0',
                args: [
                  '--namespace-prefix=cluster',
                  '--pretty-name=anynines',
                  '--consumer-scope=Namespaced',
                  '--oidc-issuer-client-id=$(OIDC-ISSUER-CLIENT-ID)',
                  '--oidc-issuer-client-secret=$(OIDC-ISSUER-CLIENT-SECRET)',
                  '--oidc-issuer-url=$(OIDC-ISSUER-URL)',
                  '--oidc-callback-url=$(OIDC-CALLBACK-URL)',
                  '--listen-address=0.0.0.0:9443',
                  '--cookie-signing-key=$(COOKIE-SIGNING-KEY)',
                  '--cookie-encryption-key=$(COOKIE-ENCRYPTION-KEY)',
                  `--external-address=${p.externalAddress}`,
                  '--external-ca-file=/certa/ca',
                ],
                env: [
                  fromSecret('OIDC-ISSUER-CLIENT-ID', 'oidc-config', 'oidc-issuer-client-id'),
                  fromSecret('OIDC-ISSUER-CLIENT-SECRET', 'oidc-config', 'oidc-issuer-client-secret'),
                  fromSecret('OIDC-ISSUER-URL', 'oidc-config', 'oidc-issuer-url'),
                  fromSecret('OIDC-CALLBACK-URL', 'oidc-config', 'oidc-callback-url'),
                  fromSecret('COOKIE-SIGNING-KEY', 'cookie-config', 'signing-key'),
                  fromSecret('COOKIE-ENCRYPTION-KEY', 'cookie-config', 'encryption-key'),
                ],
                resources: { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '100m', memory: '256Mi' } },
                volumeMounts: [{ name: 'ca', mountPath: '/certa/' }],
              },
            ],
            volumes: [
              { name: 'oidc-config', secret: { secretName: 'oidc-config' } },
              { name: 'cookie-config', secret: { secretName: 'cookie-config' } },
              { name: 'ca', secret: { secretName: 'k8sca', items: [{ key: 'ca', path: 'ca' }] } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cookie-config', namespace: ns },
      type: 'Opaque',
      stringData: { 'signing-key': p.signingKey, 'encryption-key': p.encryptionKey },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'k8sca', namespace: ns },
      type: 'Opaque',
      data: { ca: p.caBase64 },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'oidc-config', namespace: ns },
      type: 'Opaque',
      stringData: {
        'oidc-issuer-client-id': 'kube-bind',
        'oidc-issuer-client-secret': p.oidcClientSecret,
        'oidc-issuer-url': p.oidcIssuerUrl,
        'oidc-callback-url': `https://${p.host}:443/callback`,
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: ns, annotations: { 'cert-manager.io/issuer': 'letsencrypt-prod' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ secretName: 'anynines-backend-tls', hosts: [p.host] }],
        rules: [
          {
            host: p.host,
            http: { paths: [{ pathType: 'Prefix', path: '/', backend: { service: { name, port: { number: 443 } } } }] },
          },
        ],
      },
    },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'letsencrypt', namespace: ns },
      spec: {
        acme: {
          server: 'https://acme-v02.api.letsencrypt.org/directory',
          email: p.acmeEmail,
          privateKeySecretRef: { name: 'letsencrypt' },
          solvers: [{ http01: { ingress: { class: 'nginx' } } }],
        },
      },
    },
  ];
}

/** Every object the page creates, in the page's order. */
export function pageObjects(p: PageInputs): Obj[] {
  return [
    ...pageCrossplaneStep(),
    ...pageProviderConfigStep(p),
    ...pageCrdStep(),
    ...pageBindStep(p),
    ...pageBackendStep(p),
  ];
}

/** An object as the API server keeps it: stringData folded into data (base64). */
export function asStored(o: Obj): Obj {
  if (o.kind === 'ClusterRoleBinding' || o.kind === 'ClusterRole') {
    // Cluster-scoped: the namespace the page writes on its ClusterRoleBinding is dropped.
    const { namespace: _ns, ...metadata } = o.metadata;
    return { ...o, metadata };
  }
  if (o.kind !== 'Secret' || !o.stringData) return o;
  const { stringData, ...rest } = o as Obj & { stringData: Record<string, string>; data?: Record<string, string> };
  return {
    ...rest,
    data: { ...(rest.data ?? {}), ...Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, b64(v)])) },
  };
}

/** "Kind namespace/name". */
export const idOf = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * The fields render deliberately sets differently from the page, by object:
 * the README table "Deliberate differences from the setup page" lists each
 * (test/unit/control-plane/differences.test.ts keeps both in sync).
 */
export const DOCUMENTED_FIELD_DIFFERENCES: Record<string, RegExp> = {
  'ClusterRole kube-binder': /^rules: /,
  'Ingress bind/anynines-backend': /^metadata\.annotations\.cert-manager\.io\/issuer:/,
  'Deployment bind/anynines-backend':
    /^spec\.template\.metadata\.annotations\.helper\.klutch\.anynines\.com\/config-hash:/,
};
