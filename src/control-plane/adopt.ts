/**
 * `control-plane adopt`: read a control plane set up by hand from the Klutch
 * setup page (or by an earlier helper) and write the values file that
 * reproduces it. Secrets become env: references, never values: the values
 * read from the cluster stay in memory (registered for redaction) and only
 * serve to compare what render would produce with what the cluster holds.
 *
 * The same reading, without failing on what is absent, gives `check` its
 * values when it runs without -f.
 */
import { stringify } from 'yaml';
import { ClusterError } from '../errors.ts';
import { addSecret } from '../log.ts';
import type { KObject } from '../kube/client.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { CERT_MANAGER, CROSSPLANE, DATA_SERVICE_NAMES, DEFAULTS, PAGE, packageRepository, xpkgName, type DataServiceName } from './catalog.ts';
import { listAll, readCrd, secretData } from './client.ts';
import { COOKIE_SECRET, type CookieKeys } from './keys.ts';
import { BACKEND_NAME, BACKEND_NAMESPACE, CA_KEY, CA_SECRET, DATA_SERVICES_API, FOREIGN_KINDS, OIDC_KEYS, OIDC_SECRET, PROVIDER_ANYNINES, type RenderInputs } from './render.ts';
import type { Credentials } from './secrets.ts';
import type { EndpointValues, Values } from './values.ts';

export interface EnvRef {
  /** The environment variable the values file names. */
  name: string;
  /** Where its value is in the cluster, e.g. "Secret crossplane-system/postgresql-service-broker-creds key password". */
  from: string;
  /** The value read (in memory only, registered for redaction); undefined when the cluster has none. */
  value: string | undefined;
}

export interface Adopted {
  values: Values;
  /** The env: references of `values`, in file order. */
  env: EnvRef[];
  /** What a person should know: names found that differ from the page, parts not found, guesses. */
  notes: string[];
  /** Render inputs with the cluster's own secrets, to compare a render with the cluster. */
  inputs: Omit<RenderInputs, 'settings'> | undefined;
}


/** "--key=value" arguments as a map; the rest in order. */
function parseArgs(args: readonly string[]): { flags: Map<string, string>; all: string[] } {
  const flags = new Map<string, string>();
  for (const a of args) {
    const m = /^--([^=]+)=(.*)$/s.exec(a);
    if (m) flags.set(m[1]!, m[2]!);
  }
  return { flags, all: [...args] };
}

const KNOWN_FLAGS = new Set(['namespace-prefix', 'pretty-name', 'consumer-scope', 'oidc-issuer-client-id', 'oidc-issuer-client-secret', 'oidc-issuer-url', 'oidc-callback-url', 'listen-address', 'cookie-signing-key', 'cookie-encryption-key', 'external-address', 'external-ca-file']);

export interface ReadOptions {
  /** Fail (ClusterError) when there is no backend to adopt; false for check, which reports it instead. */
  requireBackend: boolean;
  /** Server of the kubeconfig: the external address when the cluster names none. */
  server?: string | undefined;
}

/** Reads the cluster; see the module comment. */
/** The CRD of a kind render uses whose CRD comes from elsewhere. */
const crdOfKind = (kind: string): string => FOREIGN_KINDS.find((f) => f.kind === kind)!.crd;

export async function readControlPlane(client: ObjectClient, opts: ReadOptions): Promise<Adopted> {
  const get = (apiVersion: string, kind: string, name: string, namespace?: string) => client.get({ apiVersion, kind }, name, namespace);
  const list = (apiVersion: string, kind: string, namespace?: string, selector?: string) => listAll(client, { apiVersion, kind }, namespace, selector);
  const notes: string[] = [];
  const env: EnvRef[] = [];
  const ref = (name: string, from: string, value: string | undefined): string => {
    if (value) addSecret(value);
    env.push({ name, from, value });
    return `env:${name}`;
  };
  const crdThere = async (name: string) => Boolean(await readCrd(client, name));
  const ns = BACKEND_NAMESPACE;

  // Crossplane's namespace: where its Deployment runs, else the default.
  let crossplaneNamespace: string = DEFAULTS.crossplaneNamespace;
  if (!(await get('apps/v1', 'Deployment', CROSSPLANE.deployment, crossplaneNamespace))) {
    const found = (await list('apps/v1', 'Deployment', undefined, CROSSPLANE.selector))[0];
    if (found?.metadata?.namespace) crossplaneNamespace = found.metadata.namespace;
  }

  // The backend.
  const dep = await get('apps/v1', 'Deployment', BACKEND_NAME, ns);
  if (!dep && opts.requireBackend) {
    throw new ClusterError('HELPER_CP_NOTHING_TO_ADOPT', `${client.server} has no Deployment ${ns}/${BACKEND_NAME}: there is no klutch-bind backend to adopt`, {
      hint: 'adopt reads a control plane set up by hand from the setup page; start a new one with helper control-plane init',
    });
  }
  const container = ((dep?.spec as { template?: { spec?: { containers?: Array<Record<string, unknown>> } } } | undefined)?.template?.spec?.containers ?? [])[0] ?? {};
  const { flags, all } = parseArgs((container.args as string[] | undefined) ?? []);
  const containerEnv = (container.env as Array<{ name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } } }> | undefined) ?? [];
  /** A flag's value with $(VAR) resolved from the container's environment. */
  const flagValue = async (flag: string): Promise<string | undefined> => {
    const raw = flags.get(flag);
    const m = raw && /^\$\(([^)]+)\)$/.exec(raw);
    if (!m) return raw;
    const e = containerEnv.find((x) => x.name === m[1]);
    if (e?.value !== undefined) return e.value;
    const cm = e?.valueFrom?.configMapKeyRef;
    if (cm) return ((await get('v1', 'ConfigMap', cm.name, ns))?.data as Record<string, string> | undefined)?.[cm.key];
    const sk = e?.valueFrom?.secretKeyRef;
    if (sk) return secretData(await get('v1', 'Secret', sk.name, ns))[sk.key];
    return undefined;
  };
  const externalAddress = (await flagValue('external-address')) ?? opts.server;
  const extraArgs = all.filter((a) => !KNOWN_FLAGS.has(/^--([^=]+)/.exec(a)?.[1] ?? ''));

  const ingress = await get('networking.k8s.io/v1', 'Ingress', BACKEND_NAME, ns);
  const ingSpec = (ingress?.spec ?? {}) as { ingressClassName?: string; tls?: Array<{ secretName?: string; hosts?: string[] }>; rules?: Array<{ host?: string }> };
  const host = ingSpec.rules?.[0]?.host ?? ingSpec.tls?.[0]?.hosts?.[0];
  if (!host) notes.push(`no host found (Ingress ${ns}/${BACKEND_NAME} is ${ingress ? 'without a rule host' : 'absent'}): /backend/host is a guess to replace`);
  const svc = await get('v1', 'Service', BACKEND_NAME, ns);
  const serviceType = (svc?.spec as { type?: string } | undefined)?.type;

  const oidcSecret = await get('v1', 'Secret', OIDC_SECRET, ns);
  const oidc = secretData(oidcSecret);
  const caPem = secretData(await get('v1', 'Secret', CA_SECRET, ns))[CA_KEY];
  const cookie = secretData(await get('v1', 'Secret', COOKIE_SECRET, ns));
  const cookieKeys: CookieKeys | undefined = cookie['signing-key'] && cookie['encryption-key'] ? { signingKey: cookie['signing-key'], encryptionKey: cookie['encryption-key'] } : undefined;
  if (cookieKeys) {
    addSecret(cookieKeys.signingKey);
    addSecret(cookieKeys.encryptionKey);
  }

  // TLS: the issuer the Ingress names, or the ACME Issuer in bind when the annotation names one that does not exist (the page's mistake).
  const ann = (ingress?.metadata?.annotations ?? {}) as Record<string, string>;
  const issuers = (await crdThere(CERT_MANAGER.issuers.Issuer.crd)) ? await list(CERT_MANAGER.apiVersion, 'Issuer', ns) : [];
  const acmeOf = (i: KObject | undefined) => (i?.spec as { acme?: { email?: string; server?: string; solvers?: Array<{ http01?: { ingress?: { class?: string; ingressClassName?: string } } }> } } | undefined)?.acme;
  let tls: Values['tls'];
  const named = ann[CERT_MANAGER.issuers.Issuer.annotation];
  const clusterNamed = ann[CERT_MANAGER.issuers.ClusterIssuer.annotation];
  const namedIssuer = named ? issuers.find((i) => i.metadata?.name === named) : undefined;
  const acmeIssuers = issuers.filter((i) => acmeOf(i)?.email);
  const acmeTls = (i: KObject): Values['tls'] => {
    const a = acmeOf(i)!;
    return { acme: { email: a.email!, ...(a.server && a.server !== DEFAULTS.acmeServer ? { server: a.server } : {}), ...(i.metadata!.name !== DEFAULTS.acmeIssuerName ? { issuerName: i.metadata!.name! } : {}) } };
  };
  if (namedIssuer && acmeOf(namedIssuer)?.email) tls = acmeTls(namedIssuer);
  else if (namedIssuer) tls = { issuer: { kind: 'Issuer', name: named! } };
  else if (clusterNamed) tls = { issuer: { kind: 'ClusterIssuer', name: clusterNamed } };
  else if (acmeIssuers.length === 1) {
    tls = acmeTls(acmeIssuers[0]!);
    if (named) notes.push(`Ingress ${ns}/${BACKEND_NAME} names Issuer ${named}, which does not exist; the values name Issuer ${ns}/${acmeIssuers[0]!.metadata!.name} (the setup page's letsencrypt-prod/letsencrypt mismatch), so apply fixes the annotation`);
  } else {
    tls = { issuer: { kind: 'Issuer', name: named ?? DEFAULTS.acmeIssuerName } };
    notes.push(`no ACME Issuer found in namespace ${ns}: /tls/issuer names ${named ?? DEFAULTS.acmeIssuerName}; check it`);
  }
  if (ingSpec.ingressClassName && ingSpec.ingressClassName !== DEFAULTS.ingressClass) tls.ingressClass = ingSpec.ingressClassName;
  const tlsSecret = ingSpec.tls?.[0]?.secretName;
  if (tlsSecret && tlsSecret !== DEFAULTS.tlsSecretName) tls.secretName = tlsSecret;

  // Crossplane packages.
  const pkgThere = await crdThere(crdOfKind('Provider'));
  const pkgV1 = `${CROSSPLANE.pkgGroup}/v1`;
  const provider = pkgThere ? await get(pkgV1, 'Provider', PROVIDER_ANYNINES) : undefined;
  const pkgOf = (o: KObject | undefined) => (o?.spec as { package?: string } | undefined)?.package;
  const configurations = (await crdThere(crdOfKind('Configuration'))) ? await list(pkgV1, 'Configuration') : [];
  const configuration = configurations.find((c) => packageRepository(pkgOf(c) ?? '').endsWith('/dataservices')) ?? configurations.find((c) => /dataservices/.test(c.metadata?.name ?? ''));
  const fn = (await crdThere(crdOfKind('Function'))) ? await get(pkgV1, 'Function', PAGE.functionName) : undefined;
  const crossplane: NonNullable<Values['crossplane']> = {};
  if (crossplaneNamespace !== DEFAULTS.crossplaneNamespace) crossplane.namespace = crossplaneNamespace;
  const providerPkg = pkgOf(provider);
  if (providerPkg && providerPkg !== DEFAULTS.providerAnynines) crossplane.providerAnynines = providerPkg;
  const configurationPkg = pkgOf(configuration);
  if (configurationPkg && configurationPkg !== DEFAULTS.configuration) crossplane.configuration = configurationPkg;
  if (configurationPkg && configuration!.metadata!.name !== xpkgName(configurationPkg)) crossplane.configurationName = configuration!.metadata!.name!;
  const fnPkg = pkgOf(fn);
  if (fnPkg && fnPkg !== DEFAULTS.function) crossplane.function = fnPkg;

  // Data services: their ProviderConfigs, the credentials each names.
  const pcThere = await crdThere(crdOfKind('ProviderConfig'));
  const configs = pcThere ? await list(DATA_SERVICES_API, 'ProviderConfig') : [];
  const dataServices: Values['dataServices'] = {};
  const endpoints: RenderInputs['secrets']['endpoints'] = {};
  for (const ds of DATA_SERVICE_NAMES) {
    const pair: Partial<Record<'serviceBroker' | 'backupManager', { values: EndpointValues; creds: Credentials }>> = {};
    for (const [which, dash] of [['serviceBroker', 'service-broker'], ['backupManager', 'backup-manager']] as const) {
      const pc = configs.find((c) => c.metadata?.name === `${ds}-${dash}`);
      if (!pc) continue;
      const spec = (pc.spec ?? {}) as { url?: string; serviceType?: string; healthCheckEndpoint?: string; tls?: { insecureSkipVerify?: boolean; overrideServerName?: string }; providerCredentials?: Record<string, { secretRef?: { namespace?: string; name?: string; key?: string } }> };
      if (spec.serviceType) crossplane.providerConfigServiceType = true;
      const cred = async (field: 'username' | 'password') => {
        const r = spec.providerCredentials?.[field]?.secretRef;
        if (!r?.name || !r.key) return { from: `ProviderConfig ${ds}-${dash} (names no Secret for ${field})`, value: undefined };
        const secretNs = r.namespace ?? crossplaneNamespace;
        return { from: `Secret ${secretNs}/${r.name} key ${r.key}`, value: secretData(await get('v1', 'Secret', r.name, secretNs))[r.key] };
      };
      const envBase = `${ds.toUpperCase()}_${dash.toUpperCase().replace('-', '_')}`;
      const u = await cred('username');
      const p = await cred('password');
      pair[which] = {
        values: {
          url: spec.url ?? '',
          username: ref(`${envBase}_USERNAME`, u.from, u.value),
          password: ref(`${envBase}_PASSWORD`, p.from, p.value),
          ...(spec.healthCheckEndpoint ? { healthCheckEndpoint: spec.healthCheckEndpoint } : {}),
          ...(spec.tls?.insecureSkipVerify !== undefined ? { insecureSkipVerify: spec.tls.insecureSkipVerify } : {}),
          ...(spec.tls?.overrideServerName ? { overrideServerName: spec.tls.overrideServerName } : {}),
        },
        creds: { username: u.value ?? '', password: p.value ?? '' },
      };
    }
    if (pair.serviceBroker && pair.backupManager) {
      dataServices[ds as DataServiceName] = { serviceBroker: pair.serviceBroker.values, backupManager: pair.backupManager.values };
      endpoints[ds] = { serviceBroker: pair.serviceBroker.creds, backupManager: pair.backupManager.creds };
    } else if (pair.serviceBroker || pair.backupManager) {
      notes.push(`data service ${ds}: only its ${pair.serviceBroker ? 'service-broker' : 'backup-manager'} ProviderConfig exists; left out (the values need both)`);
      env.splice(env.length - 2, 2);
    }
  }
  if (!Object.keys(dataServices).length) notes.push('no data-service ProviderConfig (<data-service>-service-broker and -backup-manager) found');

  const backend: Values['backend'] = { host: host ?? 'backend.unknown' };
  if (dep) {
    const image = container.image as string | undefined;
    if (image && image !== DEFAULTS.backendImage) backend.image = image;
  }
  if (externalAddress) backend.externalAddress = externalAddress;
  if (caPem) backend.caCertificate = caPem;
  const set = <K extends keyof Values['backend']>(k: K, v: Values['backend'][K] | undefined, dflt: unknown) => {
    if (v !== undefined && v !== dflt) backend[k] = v;
  };
  set('namespacePrefix', flags.get('namespace-prefix'), DEFAULTS.namespacePrefix);
  set('prettyName', flags.get('pretty-name'), DEFAULTS.prettyName);
  set('consumerScope', flags.get('consumer-scope') as 'Namespaced' | 'Cluster' | undefined, DEFAULTS.consumerScope);
  set('serviceType', serviceType as 'ClusterIP' | 'LoadBalancer' | undefined, DEFAULTS.serviceType);
  if (extraArgs.length) backend.extraArgs = extraArgs;

  const clientId = oidc[OIDC_KEYS.clientId];
  const issuerUrl = oidc[OIDC_KEYS.issuerUrl];
  const callbackUrl = oidc[OIDC_KEYS.callbackUrl];
  const oidcValues: Values['oidc'] = {
    issuerUrl: issuerUrl ?? 'https://idp.unknown',
    ...(clientId && clientId !== DEFAULTS.clientId ? { clientId } : {}),
    clientSecret: ref('BACKEND_OIDC_CLIENT_SECRET', `Secret ${ns}/${OIDC_SECRET} key ${OIDC_KEYS.clientSecret}`, oidc[OIDC_KEYS.clientSecret]),
    ...(callbackUrl && callbackUrl !== `https://${backend.host}:443/callback` ? { callbackUrl } : {}),
  };
  if (!issuerUrl) notes.push(`Secret ${ns}/${OIDC_SECRET} holds no ${OIDC_KEYS.issuerUrl}: /oidc/issuerUrl is a guess to replace`);

  const values: Values = { backend, oidc: oidcValues, tls, ...(Object.keys(crossplane).length ? { crossplane } : {}), dataServices };
  const inputs = externalAddress && caPem && cookieKeys
    ? { secrets: { oidcClientSecret: oidc[OIDC_KEYS.clientSecret] ?? '', endpoints }, externalAddress, caPem, cookieKeys }
    : undefined;
  return { values, env, notes, inputs };
}

/** The values file of an adoption: a header saying where it came from and which variables to set, then the values. */
export function adoptedValuesYaml(a: Adopted, server: string): string {
  const header = [
    `# Values of \`helper control-plane render|apply\`, read by \`helper control-plane adopt\` from ${server}.`,
    '# Schema: schemas/control-plane.schema.json. The cookie keys are not here: apply keeps those in the cluster.',
    '#',
    '# Secrets are env: references; set each variable before render or apply (the value is in the cluster at):',
    ...a.env.map((e) => `#   ${e.name.padEnd(40)} ${e.from}${e.value === undefined ? '  (not found in the cluster)' : ''}`),
    ...(a.notes.length ? ['#', '# Notes:', ...a.notes.map((n) => `#   ${n}`)] : []),
    '',
  ];
  return `${header.join('\n')}${stringify(a.values, { version: '1.1', lineWidth: 0 })}`;
}
