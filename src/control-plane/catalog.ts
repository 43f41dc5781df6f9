/**
 * Pure constants of the control-plane setup: the a9s data services and the
 * defaults of the values file (schemas/control-plane.schema.json repeats
 * them; a unit test keeps both equal). Kept apart from values.ts so that
 * the command's --help does not load the schema validator.
 */

/** The a9s data services, in the order they are rendered, with the claim resource each exports. */
export const DATA_SERVICES = {
  keyvalue: { resource: 'keyvalueinstances', title: 'a9s KeyValue' },
  logme2: { resource: 'logme2instances', title: 'a9s LogMe2' },
  mariadb: { resource: 'mariadbinstances', title: 'a9s MariaDB' },
  messaging: { resource: 'messaginginstances', title: 'a9s Messaging' },
  mongodb: { resource: 'mongodbinstances', title: 'a9s MongoDB' },
  postgresql: { resource: 'postgresqlinstances', title: 'a9s PostgreSQL' },
  prometheus: { resource: 'prometheusinstances', title: 'a9s Prometheus' },
  search: { resource: 'searchinstances', title: 'a9s Search' },
} as const;

export type DataServiceName = keyof typeof DATA_SERVICES;
export const DATA_SERVICE_NAMES = Object.keys(DATA_SERVICES) as DataServiceName[];

export const DEFAULTS = {
  backendImage: 'public.ecr.aws/w5n9a2g2/anynines/kubebind-backend:v1.4.0',
  namespacePrefix: 'cluster',
  prettyName: 'anynines',
  consumerScope: 'Namespaced',
  serviceType: 'LoadBalancer',
  clientId: 'kube-bind',
  ingressClass: 'nginx',
  tlsSecretName: 'anynines-backend-tls',
  acmeServer: 'https://acme-v02.api.letsencrypt.org/directory',
  acmeIssuerName: 'letsencrypt',
  crossplaneNamespace: 'crossplane-system',
  providerAnynines: 'public.ecr.aws/w5n9a2g2/klutch/provider-anynines:v1.4.0',
  configuration: 'public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0',
  function: 'xpkg.upbound.io/crossplane-contrib/function-patch-and-transform:v0.9.2',
} as const;

/**
 * The setup page's fixed names (Klutch v1.4.0 "Setting up Control Plane and
 * App Clusters"), which render follows.
 */
export const PAGE = {
  /** The ClusterRole the page creates for the backend to bind in cluster namespaces. */
  binderClusterRole: 'kube-binder',
  /** The Crossplane function every a9s composition's pipeline calls (functionRef). */
  functionName: 'function-patch-and-transform',
  /** The page's Crossplane Helm install: --set args='{"--enable-ssa-claims"}'. */
  crossplaneFlag: '--enable-ssa-claims',
} as const;

/** Crossplane as the page installs it (helm): where check and adopt look for it. */
export const CROSSPLANE = {
  /** The API group of its packages. */
  pkgGroup: 'pkg.crossplane.io',
  deployment: 'crossplane',
  selector: 'app=crossplane',
} as const;

/** cert-manager as the page installs it, its issuer kinds and the ingress-shim annotation naming each. */
export const CERT_MANAGER = {
  apiVersion: 'cert-manager.io/v1',
  namespace: 'cert-manager',
  deployment: 'cert-manager',
  selector: 'app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller',
  issuers: {
    Issuer: { crd: 'issuers.cert-manager.io', annotation: 'cert-manager.io/issuer' },
    ClusterIssuer: { crd: 'clusterissuers.cert-manager.io', annotation: 'cert-manager.io/cluster-issuer' },
  },
  certificateCrd: 'certificates.cert-manager.io',
} as const;

export type IssuerKind = keyof typeof CERT_MANAGER.issuers;

/** The API group of the open-source example-backend's APIServiceExportTemplates, which the anynines backend does not
 * read. */
export const EXAMPLE_BACKEND_GROUP = 'example-backend.klutch.anynines.com';

/**
 * The name `crossplane xpkg install configuration <package>` gives a package
 * (the page installs the configuration that way): its repository path with
 * "/" turned into "-", e.g. public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0
 * becomes w5n9a2g2-anynines-dataservices.
 */
export function xpkgName(pkg: string): string {
  const parts = packageRepository(pkg).split('/');
  // The first part is a registry when it looks like a host (as in image references).
  const path = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!) ? parts.slice(1) : parts;
  return path
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** A package reference without its tag or digest: registry/path. */
export function packageRepository(pkg: string): string {
  const noDigest = pkg.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}
