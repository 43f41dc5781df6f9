/**
 * Pure: resolved inputs → the Control Plane Cluster's objects, in an order
 * where nothing precedes what it depends on, and the same inputs always give
 * the same objects (no timestamps, no random values: the cookie keys come in).
 *
 * It follows the Klutch v1.4.0 setup page ("the page"): its object names,
 * field names and defaults, so that applying over a control plane built by
 * hand from the page changes nothing the page got right and creates no
 * second object. Each deliberate difference is in the README table
 * "Deliberate differences from the setup page" (a test keeps it in sync):
 * the ClusterRole's rules name klutch.anynines.com, the group of the CRDs
 * rendered here; the Ingress names the Issuer that exists (the page names
 * letsencrypt-prod and creates letsencrypt); the packages are pinned; the
 * function the compositions call is installed; Secrets use `data`; the pod
 * template carries a hash of the backend's configuration so that a changed
 * Secret restarts the backend; every object carries the managed-by label
 * and the installation label (INSTALLATION_LABEL).
 *
 * What is rendered:
 *  1. the klutch.anynines.com CRDs and the bind.anynines.com template CRD;
 *  2. Namespace bind;
 *  3. Crossplane packages: provider-anynines (+ DeploymentRuntimeConfig with
 *     its health probe), function-patch-and-transform, the data-services
 *     Configuration;
 *  4. per data service, a credentials Secret + ProviderConfig for its
 *     service broker and backup manager;
 *  5. the ClusterRole kube-binder;
 *  6. APIServiceExportTemplates: one per data service, then servicebindings,
 *     backups and restores;
 *  7. the backend: ServiceAccount, cluster-admin binding, the cookie-config /
 *     k8sca / oidc-config Secrets, Deployment, Service, the ACME Issuer
 *     (unless the user brings one) and the Ingress.
 */
import { createHash } from 'node:crypto';
import { exportTemplateCrd, klutchCrds, KLUTCH_GROUP } from '../render/crds.ts';
import { COOKIE_SECRET, type CookieKeys } from './keys.ts';
import type { Credentials, ResolvedSecrets } from './secrets.ts';
import { CERT_MANAGER, CROSSPLANE, PAGE } from './catalog.ts';
import type { Settings } from './values.ts';

export const BACKEND_NAMESPACE = 'bind';
export const BACKEND_NAME = 'anynines-backend';
export const CA_SECRET = 'k8sca';
export const OIDC_SECRET = 'oidc-config';
export const TEMPLATE_GROUP = 'bind.anynines.com';
export const TEMPLATE_API_VERSION = `${TEMPLATE_GROUP}/v1alpha1`;
export const COMMON_TEMPLATES = ['servicebindings', 'backups', 'restores'] as const;
export const CONFIG_HASH_ANNOTATION = 'helper.klutch.anynines.com/config-hash';
/** The label on every object helper renders; `apply --prune` only ever deletes objects that carry it. */
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'helper' } as const;
/**
 * The label naming the installation an object belongs to, on every object
 * helper renders (beside MANAGED_BY, which check, adopt and the diff rely
 * on): `apply --prune` selects by both, so that it never reaches a second
 * installation's objects, or anything else that calls itself managed by
 * helper. Its value is installationId(settings).
 */
export const INSTALLATION_LABEL = 'helper.klutch.anynines.com/installation';
export const PROVIDER_ANYNINES = 'provider-anynines';
/** The group of the a9s claims the templates export (postgresqlinstances.anynines.com, ...). */
export const CLAIM_GROUP = 'anynines.com';
/** The API of provider-anynines' ProviderConfigs. */
export const DATA_SERVICES_API = 'dataservices.anynines.com/v1';
/** The keys of the Secrets oidc-config and k8sca. */
export const OIDC_KEYS = {
  clientId: 'oidc-issuer-client-id',
  clientSecret: 'oidc-issuer-client-secret',
  issuerUrl: 'oidc-issuer-url',
  callbackUrl: 'oidc-callback-url',
} as const;
export const CA_KEY = 'ca';
const LISTEN_PORT = 9443;
const PKG = CROSSPLANE.pkgGroup;

/**
 * Kinds this render uses whose CRDs come from elsewhere, and what installs
 * them: Crossplane and cert-manager are prerequisites, the ProviderConfig
 * CRDs appear once the Provider packages rendered here are installed.
 */
export interface ForeignKind {
  apiVersion: string;
  kind: string;
  crd: string;
  installedBy: string;
  afterPackages: boolean;
}
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const foreignKind = (
  apiVersion: string,
  kind: string,
  plural: string,
  installedBy: string,
  afterPackages = false,
): ForeignKind => ({ apiVersion, kind, crd: `${plural}.${groupOf(apiVersion)}`, installedBy, afterPackages });
export const FOREIGN_KINDS: readonly ForeignKind[] = [
  foreignKind(`${PKG}/v1`, 'Provider', 'providers', 'Crossplane'),
  foreignKind(`${PKG}/v1`, 'Configuration', 'configurations', 'Crossplane'),
  foreignKind(`${PKG}/v1`, 'Function', 'functions', 'Crossplane'),
  foreignKind(`${PKG}/v1beta1`, 'DeploymentRuntimeConfig', 'deploymentruntimeconfigs', 'Crossplane'),
  foreignKind(CERT_MANAGER.apiVersion, 'Issuer', 'issuers', 'cert-manager'),
  foreignKind(DATA_SERVICES_API, 'ProviderConfig', 'providerconfigs', `the ${PROVIDER_ANYNINES} package`, true),
];

/** The foreign kind of an object, if its kind is one. */
export const foreignOf = (o: { apiVersion: string; kind: string }): ForeignKind | undefined =>
  FOREIGN_KINDS.find((f) => f.apiVersion === o.apiVersion && f.kind === o.kind);

/** The CRD an object's kind needs: a foreign one, or one of the render's own; undefined for built-in kinds. */
export function crdNameOf(o: { apiVersion: string; kind: string }, rendered: readonly K8sObject[]): string | undefined {
  const f = foreignOf(o);
  if (f) return f.crd;
  const group = groupOf(o.apiVersion);
  const own = rendered.find(
    (c) =>
      c.kind === 'CustomResourceDefinition' &&
      (c.spec as { group?: string } | undefined)?.group === group &&
      (c.spec as { names?: { kind?: string } } | undefined)?.names?.kind === o.kind,
  );
  return own?.metadata.name;
}

export interface RenderInputs {
  settings: Settings;
  secrets: Pick<ResolvedSecrets, 'oidcClientSecret' | 'endpoints'>;
  /** Control-plane API URL handed to App Clusters. */
  externalAddress: string;
  /** PEM CA of that API, stored as is in k8sca. */
  caPem: string;
  cookieKeys: CookieKeys;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const secret = (namespace: string, name: string, data: Record<string, string>): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  type: 'Opaque',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

/** "Kind namespace/name", the way reports and differences name an object. */
export function objectId(o: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}

/**
 * The installation's id: its backend host (`backend.host`, lower case), the
 * one value that names an installation for its users and stays the same
 * across re-renders and upgrades. A host longer than a label value may be
 * (63) is shortened, with a hash of the whole host to keep it unique.
 */
export function installationId(settings: Pick<Settings, 'backend'>): string {
  const host = settings.backend.host.toLowerCase();
  if (host.length <= 63 && /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host)) return host;
  const hash = createHash('sha256').update(host).digest('hex').slice(0, 16);
  return `${host
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 46)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')}-${hash}`;
}

/** The objects, in apply order, each labelled as managed by helper and with its installation. */
export function renderControlPlane(inp: RenderInputs): K8sObject[] {
  const objects: K8sObject[] = [
    ...(klutchCrds() as K8sObject[]),
    exportTemplateCrd(TEMPLATE_GROUP) as K8sObject,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BACKEND_NAMESPACE } },
    ...crossplanePackages(inp.settings),
    ...providerConfigs(inp),
    binderClusterRole(PAGE.binderClusterRole),
    ...exportTemplates(inp.settings),
    ...backend(inp),
  ];
  // The label also gives server-side apply a field to own: an object applied with no owned field gets no
  // managedFields, and the next apply then records the server's own fields, a change on every first re-run.
  const installation = installationId(inp.settings);
  return objects.map((o) => ({
    ...o,
    metadata: {
      ...o.metadata,
      labels: { ...o.metadata.labels, [MANAGED_BY.key]: MANAGED_BY.value, [INSTALLATION_LABEL]: installation },
    },
  }));
}

function crossplanePackages(s: Settings): K8sObject[] {
  const cp = s.crossplane;
  return [
    {
      apiVersion: `${PKG}/v1beta1`,
      kind: 'DeploymentRuntimeConfig',
      metadata: { name: PROVIDER_ANYNINES },
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
    {
      apiVersion: `${PKG}/v1`,
      kind: 'Provider',
      metadata: { name: PROVIDER_ANYNINES },
      spec: { package: cp.providerAnynines, runtimeConfigRef: { name: PROVIDER_ANYNINES } },
    },
    // Every a9s composition runs in Pipeline mode through this function, and the configuration package does not
    // declare it (its crossplane.yaml has no dependsOn), so Crossplane would not install it by itself.
    {
      apiVersion: `${PKG}/v1`,
      kind: 'Function',
      metadata: { name: PAGE.functionName },
      spec: { package: cp.function },
    },
    {
      apiVersion: `${PKG}/v1`,
      kind: 'Configuration',
      metadata: { name: cp.configurationName },
      spec: { package: cp.configuration },
    },
  ];
}

/** Name of the credentials Secret of one endpoint, e.g. postgresql-service-broker-creds (the page's). */
export function credentialsSecretName(service: string, endpoint: 'service-broker' | 'backup-manager'): string {
  return `${service}-${endpoint}-creds`;
}

function providerConfigs(inp: RenderInputs): K8sObject[] {
  const s = inp.settings;
  const ns = s.crossplane.namespace;
  const out: K8sObject[] = [];
  for (const ds of s.dataServices) {
    const creds = inp.secrets.endpoints[ds.name]!;
    for (const [which, endpoint, serviceType] of [
      ['serviceBroker', 'service-broker', 'servicebroker'],
      ['backupManager', 'backup-manager', 'backupmanager'],
    ] as const) {
      const e = ds[which];
      const c: Credentials = creds[which];
      const secretName = credentialsSecretName(ds.name, endpoint);
      const ref = (key: string) => ({ secretRef: { namespace: ns, name: secretName, key } });
      const tls = {
        ...(e.insecureSkipVerify !== undefined ? { insecureSkipVerify: e.insecureSkipVerify } : {}),
        ...(e.overrideServerName ? { overrideServerName: e.overrideServerName } : {}),
      };
      out.push(secret(ns, secretName, { username: c.username, password: c.password }), {
        apiVersion: DATA_SERVICES_API,
        kind: 'ProviderConfig',
        metadata: { name: `${ds.name}-${endpoint}` },
        spec: {
          url: e.url,
          ...(s.crossplane.providerConfigServiceType ? { serviceType } : {}),
          ...(e.healthCheckEndpoint ? { healthCheckEndpoint: e.healthCheckEndpoint } : {}),
          ...(Object.keys(tls).length ? { tls } : {}),
          providerCredentials: { source: 'Secret', username: ref('username'), password: ref('password') },
        },
      });
    }
  }
  return out;
}

/** What the backend lets each cluster namespace's ServiceAccount do (protocol.md §8.1). */
export function binderClusterRole(name: string): K8sObject {
  const g = KLUTCH_GROUP;
  const all = ['create', 'delete', 'patch', 'update', 'get', 'list', 'watch'];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: [g], resources: ['apiserviceexportrequests'], verbs: all },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: [g], resources: ['clusterbindings'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: [g], resources: ['clusterbindings/status'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: [g], resources: ['apiserviceexports'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: [g], resources: ['apiserviceexports/status'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: [g], resources: ['apiservicenamespaces'], verbs: all },
    ],
  };
}

/** The resources App Clusters may bind: one per chosen data service, then the common ones. */
export function exportedResources(s: Settings): string[] {
  return [...s.dataServices.map((d) => d.resource), ...COMMON_TEMPLATES];
}

function exportTemplates(s: Settings): K8sObject[] {
  const claim = (resource: string) => ({ group: '', resource, version: 'v1', selector: { owner: 'Provider' } });
  // As on the page: only service bindings hand Secrets and ConfigMaps (the credentials) to App Clusters.
  const claims = (resource: string) => (resource === 'servicebindings' ? [claim('secrets'), claim('configmaps')] : []);
  return exportedResources(s).map((resource) => {
    const permissionClaims = claims(resource);
    return {
      apiVersion: TEMPLATE_API_VERSION,
      kind: 'APIServiceExportTemplate',
      metadata: { name: resource, namespace: s.crossplane.namespace },
      spec: {
        APIServiceSelector: { group: CLAIM_GROUP, resource },
        ...(permissionClaims.length ? { permissionClaims } : {}),
      },
    };
  });
}

/** The environment variables of the backend container, named as on the page, and where each comes from. */
export const BACKEND_ENV = [
  ['OIDC-ISSUER-CLIENT-ID', OIDC_SECRET, OIDC_KEYS.clientId],
  ['OIDC-ISSUER-CLIENT-SECRET', OIDC_SECRET, OIDC_KEYS.clientSecret],
  ['OIDC-ISSUER-URL', OIDC_SECRET, OIDC_KEYS.issuerUrl],
  ['OIDC-CALLBACK-URL', OIDC_SECRET, OIDC_KEYS.callbackUrl],
  ['COOKIE-SIGNING-KEY', COOKIE_SECRET, 'signing-key'],
  ['COOKIE-ENCRYPTION-KEY', COOKIE_SECRET, 'encryption-key'],
] as const;

/** The backend's arguments that come from the values (the others are fixed). */
export function backendArgs(s: Settings, externalAddress: string): string[] {
  const b = s.backend;
  return [
    `--namespace-prefix=${b.namespacePrefix}`,
    `--pretty-name=${b.prettyName}`,
    `--consumer-scope=${b.consumerScope}`,
    '--oidc-issuer-client-id=$(OIDC-ISSUER-CLIENT-ID)',
    '--oidc-issuer-client-secret=$(OIDC-ISSUER-CLIENT-SECRET)',
    '--oidc-issuer-url=$(OIDC-ISSUER-URL)',
    '--oidc-callback-url=$(OIDC-CALLBACK-URL)',
    `--listen-address=0.0.0.0:${LISTEN_PORT}`,
    '--cookie-signing-key=$(COOKIE-SIGNING-KEY)',
    '--cookie-encryption-key=$(COOKIE-ENCRYPTION-KEY)',
    `--external-address=${externalAddress}`,
    '--external-ca-file=/certa/ca',
    ...b.extraArgs,
  ];
}

function backend(inp: RenderInputs): K8sObject[] {
  const s = inp.settings;
  const b = s.backend;
  const ns = BACKEND_NAMESPACE;
  const labels = (): Record<string, string> => ({ app: BACKEND_NAME });
  const issuer = s.tls.issuer;
  const configHash = createHash('sha256')
    .update(
      JSON.stringify([
        inp.cookieKeys.signingKey,
        inp.cookieKeys.encryptionKey,
        s.oidc.clientId,
        inp.secrets.oidcClientSecret,
        s.oidc.issuerUrl,
        s.oidc.callbackUrl,
        inp.externalAddress,
        inp.caPem,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  const secretVolume = (name: string) => ({ name, secret: { secretName: name } });
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BACKEND_NAME, namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: BACKEND_NAME },
      // The backend creates cluster namespaces, RoleBindings to the binder role and the exported CRDs.
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: BACKEND_NAME, namespace: ns }],
    },
    secret(ns, COOKIE_SECRET, {
      'signing-key': inp.cookieKeys.signingKey,
      'encryption-key': inp.cookieKeys.encryptionKey,
    }),
    secret(ns, CA_SECRET, { [CA_KEY]: inp.caPem }),
    secret(ns, OIDC_SECRET, {
      [OIDC_KEYS.clientId]: s.oidc.clientId,
      [OIDC_KEYS.clientSecret]: inp.secrets.oidcClientSecret,
      [OIDC_KEYS.issuerUrl]: s.oidc.issuerUrl,
      [OIDC_KEYS.callbackUrl]: s.oidc.callbackUrl,
    }),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: BACKEND_NAME, namespace: ns, labels: labels() },
      spec: {
        replicas: 1,
        // One backend at a time: two would race on the cluster namespaces they create.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels() },
        template: {
          metadata: { labels: labels(), annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
          spec: {
            serviceAccountName: BACKEND_NAME,
            containers: [
              {
                name: BACKEND_NAME,
                image: b.image,
                args: backendArgs(s, inp.externalAddress),
                env: BACKEND_ENV.map(([name, secretName, key]) => ({
                  name,
                  valueFrom: { secretKeyRef: { name: secretName, key } },
                })),
                resources: { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '100m', memory: '256Mi' } },
                volumeMounts: [{ name: 'ca', mountPath: '/certa/' }],
              },
            ],
            volumes: [
              secretVolume(OIDC_SECRET),
              secretVolume(COOKIE_SECRET),
              { name: 'ca', secret: { secretName: CA_SECRET, items: [{ key: CA_KEY, path: 'ca' }] } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: BACKEND_NAME, namespace: ns },
      spec: {
        type: b.serviceType,
        ports: [{ protocol: 'TCP', name: BACKEND_NAME, port: 443, targetPort: LISTEN_PORT }],
        selector: labels(),
      },
    },
  ];
  if (issuer.mode === 'acme') {
    objects.push({
      apiVersion: CERT_MANAGER.apiVersion,
      kind: 'Issuer',
      metadata: { name: issuer.name, namespace: ns },
      spec: {
        acme: {
          server: issuer.server,
          email: issuer.email,
          // As on the page: the account key is named after the issuer (another name would register a new ACME account).
          privateKeySecretRef: { name: issuer.name },
          solvers: [{ http01: { ingress: { class: s.tls.ingressClass } } }],
        },
      },
    });
  }
  objects.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: BACKEND_NAME, namespace: ns, annotations: issuerAnnotation(s) },
    spec: {
      ingressClassName: s.tls.ingressClass,
      tls: [{ secretName: s.tls.secretName, hosts: [b.host] }],
      rules: [
        {
          host: b.host,
          http: {
            paths: [
              { pathType: 'Prefix', path: '/', backend: { service: { name: BACKEND_NAME, port: { number: 443 } } } },
            ],
          },
        },
      ],
    },
  });
  return objects;
}

/** cert-manager's ingress-shim annotation, naming exactly the issuer that is rendered or brought. */
export function issuerAnnotation(s: Settings): Record<string, string> {
  const i = s.tls.issuer;
  return { [CERT_MANAGER.issuers[i.mode === 'acme' ? 'Issuer' : i.kind].annotation]: i.name };
}
