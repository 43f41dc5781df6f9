/**
 * Pure: the commented values file `helper control-plane init` prints. It
 * lists every input with its default and holds no secret, so it can be
 * committed. It passes the schema as it is, but its example.com hosts, URLs
 * and mail address are placeholders: render, apply and check refuse the file
 * (exit 3, listing each) until every one is replaced.
 */
import { DATA_SERVICE_NAMES, DATA_SERVICES, DEFAULTS, type DataServiceName } from './values.ts';

export function initValues(opts: { dataServices: readonly DataServiceName[] }): string {
  const chosen = DATA_SERVICE_NAMES.filter((n) => opts.dataServices.includes(n));
  const others = DATA_SERVICE_NAMES.filter((n) => !chosen.includes(n));
  const endpoint = (ds: DataServiceName, which: 'serviceBroker' | 'backupManager'): string[] => {
    const dash = which === 'serviceBroker' ? 'service-broker' : 'backup-manager';
    const env = `${ds.toUpperCase()}_${which === 'serviceBroker' ? 'SERVICE_BROKER' : 'BACKUP_MANAGER'}`;
    return [
      `    ${which}:`,
      `      url: https://${ds}-${dash}.example.com`,
      `      username: env:${env}_USERNAME`,
      `      password: env:${env}_PASSWORD`,
      `      # healthCheckEndpoint: ${which === 'serviceBroker' ? '/osb_ext/v1/healthy' : '/v2/healthy'}   # ` +
        `a9s >= v68; the provider's default is /instances`,
      '      # insecureSkipVerify: false',
      '      # overrideServerName: broker.internal.example.com',
    ];
  };
  const services = chosen.flatMap((ds) => [
    `  ${ds}:   # ${DATA_SERVICES[ds].title}, exported as ${DATA_SERVICES[ds].resource}`,
    ...endpoint(ds, 'serviceBroker'),
    ...endpoint(ds, 'backupManager'),
  ]);
  return [
    '# Values of `helper control-plane render|apply`: one Klutch Control Plane Cluster.',
    '# Schema: schemas/control-plane.schema.json. Replace every example.com value: render, apply',
    '# and check refuse the file while one is left.',
    '#',
    '# Secrets are references, so this file can be committed:',
    '#   env:NAME    the environment variable NAME when helper runs',
    '#   file:PATH   the content of PATH (relative to this file; trailing newlines dropped)',
    '#',
    '# Prerequisites on the cluster: Crossplane >= 1.17.1 (installed with --set args=\'{"--enable-ssa-claims"}\')',
    '# in namespace crossplane.namespace, cert-manager, an ingress controller (its IngressClass), DNS for',
    '# backend.host, and an OIDC client with the client-credentials grant and an audience mapper (kube-bind).',
    '',
    'backend:',
    '  # Public DNS name of the klutch-bind backend: Ingress host, certificate name and OIDC callback host.',
    '  host: bind.example.com',
    '  # Backend image (the anynines kubebind-backend; it serves /bind-noninteractive).',
    `  image: ${DEFAULTS.backendImage}`,
    '  # The control-plane API URL handed to App Clusters, and its PEM CA (inline PEM, env: or file:).',
    '  # Default: server and certificate-authority(-data) of --kubeconfig.',
    '  # externalAddress: https://api.control-plane.example.com:6443',
    '  # caCertificate: file:control-plane-ca.pem',
    '  # Cookie keys, each base64 of 32 random bytes (openssl rand -base64 32). Default: generated;',
    '  # `render --previous control-plane.yaml` or `--seed` keeps them, `apply` reuses the ones in the cluster.',
    '  # cookieKeys:',
    '  #   signingKey: env:BACKEND_COOKIE_SIGNING_KEY',
    '  #   encryptionKey: env:BACKEND_COOKIE_ENCRYPTION_KEY',
    '  # Cluster namespaces are named <namespacePrefix>-<id>.',
    `  namespacePrefix: ${DEFAULTS.namespacePrefix}`,
    '  # Provider name App Clusters see.',
    `  prettyName: ${DEFAULTS.prettyName}`,
    '  # Namespaced or Cluster: how konnectors sync bound objects.',
    `  consumerScope: ${DEFAULTS.consumerScope}`,
    '  # LoadBalancer (443 -> 9443, as on the setup page) or ClusterIP (only behind the Ingress).',
    `  serviceType: ${DEFAULTS.serviceType}`,
    '  # Extra backend flags, e.g. [--tenant-based-auth].',
    '  extraArgs: []',
    '',
    'oidc:',
    '  # The OIDC provider the backend authenticates against. For helper bootstrap-env it must support',
    "  # the client-credentials grant and put the backend's client ID into the token audience.",
    '  issuerUrl: https://idp.example.com/realms/klutch',
    `  clientId: ${DEFAULTS.clientId}`,
    '  clientSecret: env:BACKEND_OIDC_CLIENT_SECRET',
    '  # Must equal the redirect URI registered at the IdP. Default: https://<backend.host>:443/callback',
    '  # callbackUrl: https://bind.example.com:443/callback',
    '',
    'tls:',
    '  # ingressClassName of the Ingress and of the ACME HTTP-01 solver.',
    `  ingressClass: ${DEFAULTS.ingressClass}`,
    '  # Secret cert-manager stores the certificate in.',
    `  secretName: ${DEFAULTS.tlsSecretName}`,
    '  # Either acme: an ACME Issuer is rendered in namespace bind and the Ingress names it ...',
    '  acme:',
    '    email: platform-team@example.com',
    `    server: ${DEFAULTS.acmeServer}`,
    `    issuerName: ${DEFAULTS.acmeIssuerName}`,
    '  # ... or issuer: bring your own Issuer (namespace bind) or ClusterIssuer; nothing is rendered for it.',
    '  # issuer:',
    '  #   kind: ClusterIssuer',
    '  #   name: my-issuer',
    '',
    'crossplane:',
    `  namespace: ${DEFAULTS.crossplaneNamespace}`,
    `  providerAnynines: ${DEFAULTS.providerAnynines}`,
    `  configuration: ${DEFAULTS.configuration}`,
    '  # Name of the Configuration. Default: the name `crossplane xpkg install` gives the package.',
    '  # configurationName: w5n9a2g2-anynines-dataservices',
    '  # The Crossplane function every a9s composition calls (the configuration does not declare it).',
    `  function: ${DEFAULTS.function}`,
    '  # true sets spec.serviceType on the data-service ProviderConfigs: required by provider-anynines',
    '  # >= v1.5.0, unknown to v1.4.0.',
    '  providerConfigServiceType: false',
    '',
    '# The a9s data services App Clusters may bind, each with its service broker and backup manager.',
    '# servicebindings, backups and restores are always exported.',
    ...(others.length ? [`# Others, same shape: ${others.join(', ')}.`] : []),
    'dataServices:',
    ...services,
    '',
  ].join('\n');
}
