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
  serviceType: 'ClusterIP',
  binderClusterRole: 'kube-binder',
  clientId: 'kube-bind',
  ingressClass: 'nginx',
  tlsSecretName: 'anynines-backend-tls',
  acmeServer: 'https://acme-v02.api.letsencrypt.org/directory',
  acmeIssuerName: 'letsencrypt',
  crossplaneNamespace: 'crossplane-system',
  providerAnynines: 'public.ecr.aws/w5n9a2g2/klutch/provider-anynines:v1.4.0',
  configuration: 'public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0',
  providerKubernetes: 'xpkg.upbound.io/crossplane-contrib/provider-kubernetes:v0.14.1',
} as const;

