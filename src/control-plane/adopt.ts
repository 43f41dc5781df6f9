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
import type { KObject } from '../kube/resources.ts';
import type { ObjectClient } from '../kube/objects.ts';
import {
  CERT_MANAGER,
  CROSSPLANE,
  DATA_SERVICE_NAMES,
  DEFAULTS,
  PAGE,
  packageRepository,
  xpkgName,
  type DataServiceName,
} from './catalog.ts';
import { listAll, readCrd, secretData } from './client.ts';
import { COOKIE_SECRET, type CookieKeys } from './keys.ts';
import {
  BACKEND_NAME,
  BACKEND_NAMESPACE,
  CA_KEY,
  CA_SECRET,
  DATA_SERVICES_API,
  FOREIGN_KINDS,
  OIDC_KEYS,
  OIDC_SECRET,
  PROVIDER_ANYNINES,
  type RenderInputs,
} from './render.ts';
import type { Credentials } from './secrets.ts';
import type { EndpointValues, Values } from './values.ts';

export interface EnvRef {
  /** The environment variable the values file names. */
  name: string;
  /** Where its value is in the cluster, e.g. "Secret crossplane-system/postgresql-service-broker-creds key password".
   * */
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

const KNOWN_FLAGS = new Set([
  'namespace-prefix',
  'pretty-name',
  'consumer-scope',
  'oidc-issuer-client-id',
  'oidc-issuer-client-secret',
  'oidc-issuer-url',
  'oidc-callback-url',
  'listen-address',
  'cookie-signing-key',
  'cookie-encryption-key',
  'external-address',
  'external-ca-file',
]);

export interface ReadOptions {
  /** Fail (ClusterError) when there is no backend to adopt; false for check, which reports it instead. */
  requireBackend: boolean;
  /** Server of the kubeconfig: the external address when the cluster names none. */
  server?: string | undefined;
}

/** The CRD of a kind render uses whose CRD comes from elsewhere. */
const crdOfKind = (kind: string): string => FOREIGN_KINDS.find((f) => f.kind === kind)!.crd;
const ns = BACKEND_NAMESPACE;

/** One adoption's reads, and what they collect on the way: the env: references and the notes. */
class Reading {
  readonly notes: string[] = [];
  readonly env: EnvRef[] = [];
  readonly client: ObjectClient;
  constructor(client: ObjectClient) {
    this.client = client;
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KObject | undefined> {
    return this.client.get({ apiVersion, kind }, name, namespace);
  }

  list(apiVersion: string, kind: string, namespace?: string, selector?: string): Promise<KObject[]> {
    return listAll(this.client, { apiVersion, kind }, namespace, selector);
  }

  /** Lists a kind whose CRD may not be installed ([] then). */
  async listIf(crd: string, apiVersion: string, kind: string, namespace?: string): Promise<KObject[]> {
    return (await readCrd(this.client, crd)) ? this.list(apiVersion, kind, namespace) : [];
  }

  /** An env: reference to a value in the cluster (registered for redaction, never written). */
  ref(name: string, from: string, value: string | undefined): string {
    if (value) addSecret(value);
    this.env.push({ name, from, value });
    return `env:${name}`;
  }
}

type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
};

/** The backend's container: its image, flags (with $(VAR) resolved from its environment) and the flags helper does not
 * render. */
async function backendContainer(r: Reading, dep: KObject | undefined) {
  const container =
    ((dep?.spec as { template?: { spec?: { containers?: Array<Record<string, unknown>> } } } | undefined)?.template
      ?.spec?.containers ?? [])[0] ?? {};
  const { flags, all } = parseArgs((container.args as string[] | undefined) ?? []);
  const containerEnv = (container.env as EnvVar[] | undefined) ?? [];
  const flagValue = async (flag: string): Promise<string | undefined> => {
    const raw = flags.get(flag);
    const m = raw && /^\$\(([^)]+)\)$/.exec(raw);
    if (!m) return raw;
    const e = containerEnv.find((x) => x.name === m[1]);
    if (e?.value !== undefined) return e.value;
    const cm = e?.valueFrom?.configMapKeyRef;
    if (cm)
      return ((await r.get('v1', 'ConfigMap', cm.name, ns))?.data as Record<string, string> | undefined)?.[cm.key];
    const sk = e?.valueFrom?.secretKeyRef;
    if (sk) return secretData(await r.get('v1', 'Secret', sk.name, ns))[sk.key];
    return undefined;
  };
  return {
    image: dep ? (container.image as string | undefined) : undefined,
    flags,
    externalAddress: await flagValue('external-address'),
    extraArgs: all.filter((a) => !KNOWN_FLAGS.has(/^--([^=]+)/.exec(a)?.[1] ?? '')),
  };
}

type AcmeSpec = { email?: string; server?: string };
const acmeOf = (i: KObject | undefined) => (i?.spec as { acme?: AcmeSpec } | undefined)?.acme;
const acmeTls = (i: KObject): Values['tls'] => {
  const a = acmeOf(i)!;
  return {
    acme: {
      email: a.email!,
      ...(a.server && a.server !== DEFAULTS.acmeServer ? { server: a.server } : {}),
      ...(i.metadata!.name !== DEFAULTS.acmeIssuerName ? { issuerName: i.metadata!.name! } : {}),
    },
  };
};

/** TLS: the issuer the Ingress names, or the ACME Issuer in bind when the annotation names one that does not exist (the
 * page's mistake). */
async function readTls(r: Reading, ingress: KObject | undefined): Promise<Values['tls']> {
  const ann = (ingress?.metadata?.annotations ?? {}) as Record<string, string>;
  const issuers = await r.listIf(CERT_MANAGER.issuers.Issuer.crd, CERT_MANAGER.apiVersion, 'Issuer', ns);
  let tls: Values['tls'];
  const named = ann[CERT_MANAGER.issuers.Issuer.annotation];
  const clusterNamed = ann[CERT_MANAGER.issuers.ClusterIssuer.annotation];
  const namedIssuer = named ? issuers.find((i) => i.metadata?.name === named) : undefined;
  const acmeIssuers = issuers.filter((i) => acmeOf(i)?.email);
  if (namedIssuer && acmeOf(namedIssuer)?.email) tls = acmeTls(namedIssuer);
  else if (namedIssuer) tls = { issuer: { kind: 'Issuer', name: named! } };
  else if (clusterNamed) tls = { issuer: { kind: 'ClusterIssuer', name: clusterNamed } };
  else if (acmeIssuers.length === 1) {
    tls = acmeTls(acmeIssuers[0]!);
    if (named)
      r.notes.push(
        `Ingress ${ns}/${BACKEND_NAME} names Issuer ${named}, which does not exist; the values name Issuer ` +
          `${ns}/${acmeIssuers[0]!.metadata!.name} (the setup page's letsencrypt-prod/letsencrypt mismatch), ` +
          `so apply fixes the annotation`,
      );
  } else {
    tls = { issuer: { kind: 'Issuer', name: named ?? DEFAULTS.acmeIssuerName } };
    r.notes.push(
      `no ACME Issuer found in namespace ${ns}: /tls/issuer names ${named ?? DEFAULTS.acmeIssuerName}; check it`,
    );
  }
  const spec = (ingress?.spec ?? {}) as { ingressClassName?: string; tls?: Array<{ secretName?: string }> };
  if (spec.ingressClassName && spec.ingressClassName !== DEFAULTS.ingressClass)
    tls.ingressClass = spec.ingressClassName;
  const tlsSecret = spec.tls?.[0]?.secretName;
  if (tlsSecret && tlsSecret !== DEFAULTS.tlsSecretName) tls.secretName = tlsSecret;
  return tls;
}

/** Crossplane's namespace (where its Deployment runs, else the default) and the packages, where they differ from the
 * defaults. */
async function readCrossplane(r: Reading): Promise<NonNullable<Values['crossplane']> & { namespace: string }> {
  let namespace: string = DEFAULTS.crossplaneNamespace;
  if (!(await r.get('apps/v1', 'Deployment', CROSSPLANE.deployment, namespace))) {
    const found = (await r.list('apps/v1', 'Deployment', undefined, CROSSPLANE.selector))[0];
    if (found?.metadata?.namespace) namespace = found.metadata.namespace;
  }
  const pkgV1 = `${CROSSPLANE.pkgGroup}/v1`;
  const pkgOf = (o: KObject | undefined) => (o?.spec as { package?: string } | undefined)?.package;
  const provider = (await readCrd(r.client, crdOfKind('Provider')))
    ? await r.get(pkgV1, 'Provider', PROVIDER_ANYNINES)
    : undefined;
  const configurations = await r.listIf(crdOfKind('Configuration'), pkgV1, 'Configuration');
  const configuration =
    configurations.find((c) => packageRepository(pkgOf(c) ?? '').endsWith('/dataservices')) ??
    configurations.find((c) => /dataservices/.test(c.metadata?.name ?? ''));
  const fn = (await readCrd(r.client, crdOfKind('Function')))
    ? await r.get(pkgV1, 'Function', PAGE.functionName)
    : undefined;
  const crossplane: NonNullable<Values['crossplane']> & { namespace: string } = { namespace };
  const providerPkg = pkgOf(provider);
  if (providerPkg && providerPkg !== DEFAULTS.providerAnynines) crossplane.providerAnynines = providerPkg;
  const configurationPkg = pkgOf(configuration);
  if (configurationPkg && configurationPkg !== DEFAULTS.configuration) crossplane.configuration = configurationPkg;
  if (configurationPkg && configuration!.metadata!.name !== xpkgName(configurationPkg))
    crossplane.configurationName = configuration!.metadata!.name!;
  const fnPkg = pkgOf(fn);
  if (fnPkg && fnPkg !== DEFAULTS.function) crossplane.function = fnPkg;
  return crossplane;
}

type PcSpec = {
  url?: string;
  serviceType?: string;
  healthCheckEndpoint?: string;
  tls?: { insecureSkipVerify?: boolean; overrideServerName?: string };
  providerCredentials?: Record<string, { secretRef?: { namespace?: string; name?: string; key?: string } }>;
};
type Endpoint = { values: EndpointValues; creds: Credentials };

/** One endpoint of a data service from its ProviderConfig: the values, and the credentials it names as env: references.
 * */
async function readEndpoint(
  r: Reading,
  pcName: string,
  envBase: string,
  spec: PcSpec,
  crossplaneNamespace: string,
): Promise<Endpoint> {
  const cred = async (field: 'username' | 'password') => {
    const s = spec.providerCredentials?.[field]?.secretRef;
    if (!s?.name || !s.key)
      return { from: `ProviderConfig ${pcName} (names no Secret for ${field})`, value: undefined };
    const secretNs = s.namespace ?? crossplaneNamespace;
    return {
      from: `Secret ${secretNs}/${s.name} key ${s.key}`,
      value: secretData(await r.get('v1', 'Secret', s.name, secretNs))[s.key],
    };
  };
  const u = await cred('username');
  const p = await cred('password');
  return {
    values: {
      url: spec.url ?? '',
      username: r.ref(`${envBase}_USERNAME`, u.from, u.value),
      password: r.ref(`${envBase}_PASSWORD`, p.from, p.value),
      ...(spec.healthCheckEndpoint ? { healthCheckEndpoint: spec.healthCheckEndpoint } : {}),
      ...(spec.tls?.insecureSkipVerify !== undefined ? { insecureSkipVerify: spec.tls.insecureSkipVerify } : {}),
      ...(spec.tls?.overrideServerName ? { overrideServerName: spec.tls.overrideServerName } : {}),
    },
    creds: { username: u.value ?? '', password: p.value ?? '' },
  };
}

/** Data services: their ProviderConfigs (both endpoints, or the service is left out), the credentials each names. */
async function readDataServices(r: Reading, crossplane: NonNullable<Values['crossplane']> & { namespace: string }) {
  const configs = await r.listIf(crdOfKind('ProviderConfig'), DATA_SERVICES_API, 'ProviderConfig');
  const dataServices: Values['dataServices'] = {};
  const endpoints: RenderInputs['secrets']['endpoints'] = {};
  for (const ds of DATA_SERVICE_NAMES) {
    const pair: Partial<Record<'serviceBroker' | 'backupManager', Endpoint>> = {};
    for (const [which, dash] of [
      ['serviceBroker', 'service-broker'],
      ['backupManager', 'backup-manager'],
    ] as const) {
      const pc = configs.find((c) => c.metadata?.name === `${ds}-${dash}`);
      if (!pc) continue;
      const spec = (pc.spec ?? {}) as PcSpec;
      if (spec.serviceType) crossplane.providerConfigServiceType = true;
      pair[which] = await readEndpoint(
        r,
        `${ds}-${dash}`,
        `${ds.toUpperCase()}_${dash.toUpperCase().replace('-', '_')}`,
        spec,
        crossplane.namespace,
      );
    }
    if (pair.serviceBroker && pair.backupManager) {
      dataServices[ds as DataServiceName] = {
        serviceBroker: pair.serviceBroker.values,
        backupManager: pair.backupManager.values,
      };
      endpoints[ds] = { serviceBroker: pair.serviceBroker.creds, backupManager: pair.backupManager.creds };
    } else if (pair.serviceBroker || pair.backupManager) {
      r.notes.push(
        `data service ${ds}: only its ${pair.serviceBroker ? 'service-broker' : 'backup-manager'} ` +
          `ProviderConfig exists; left out (the values need both)`,
      );
      r.env.splice(r.env.length - 2, 2);
    }
  }
  if (!Object.keys(dataServices).length)
    r.notes.push('no data-service ProviderConfig (<data-service>-service-broker and -backup-manager) found');
  return { dataServices, endpoints };
}

/** The backend's values: host (the Ingress's), image, external address, CA, flags and Service type where they differ
 * from the defaults. */
function backendValues(
  c: Awaited<ReturnType<typeof backendContainer>>,
  host: string,
  externalAddress: string | undefined,
  caPem: string | undefined,
  serviceType: string | undefined,
): Values['backend'] {
  const backend: Values['backend'] = { host };
  if (c.image && c.image !== DEFAULTS.backendImage) backend.image = c.image;
  if (externalAddress) backend.externalAddress = externalAddress;
  if (caPem) backend.caCertificate = caPem;
  const set = <K extends keyof Values['backend']>(k: K, v: Values['backend'][K] | undefined, dflt: unknown) => {
    if (v !== undefined && v !== dflt) backend[k] = v;
  };
  set('namespacePrefix', c.flags.get('namespace-prefix'), DEFAULTS.namespacePrefix);
  set('prettyName', c.flags.get('pretty-name'), DEFAULTS.prettyName);
  set('consumerScope', c.flags.get('consumer-scope') as 'Namespaced' | 'Cluster' | undefined, DEFAULTS.consumerScope);
  set('serviceType', serviceType as 'ClusterIP' | 'LoadBalancer' | undefined, DEFAULTS.serviceType);
  if (c.extraArgs.length) backend.extraArgs = c.extraArgs;
  return backend;
}

/** The OIDC values from the Secret oidc-config, its client secret as an env: reference. */
function oidcValues(r: Reading, oidc: Record<string, string>, host: string): Values['oidc'] {
  const clientId = oidc[OIDC_KEYS.clientId];
  const issuerUrl = oidc[OIDC_KEYS.issuerUrl];
  const callbackUrl = oidc[OIDC_KEYS.callbackUrl];
  if (!issuerUrl)
    r.notes.push(`Secret ${ns}/${OIDC_SECRET} holds no ${OIDC_KEYS.issuerUrl}: /oidc/issuerUrl is a guess to replace`);
  return {
    issuerUrl: issuerUrl ?? 'https://idp.unknown',
    ...(clientId && clientId !== DEFAULTS.clientId ? { clientId } : {}),
    clientSecret: r.ref(
      'BACKEND_OIDC_CLIENT_SECRET',
      `Secret ${ns}/${OIDC_SECRET} key ${OIDC_KEYS.clientSecret}`,
      oidc[OIDC_KEYS.clientSecret],
    ),
    ...(callbackUrl && callbackUrl !== `https://${host}:443/callback` ? { callbackUrl } : {}),
  };
}

/** The cookie keys of bind/cookie-config, registered for redaction; undefined without both. */
function cookieKeysOf(cookie: Record<string, string>): CookieKeys | undefined {
  if (!cookie['signing-key'] || !cookie['encryption-key']) return undefined;
  addSecret(cookie['signing-key']);
  addSecret(cookie['encryption-key']);
  return { signingKey: cookie['signing-key'], encryptionKey: cookie['encryption-key'] };
}

/** Reads the cluster; see the module comment. */
export async function readControlPlane(client: ObjectClient, opts: ReadOptions): Promise<Adopted> {
  const r = new Reading(client);
  const crossplane = await readCrossplane(r);
  const dep = await r.get('apps/v1', 'Deployment', BACKEND_NAME, ns);
  if (!dep && opts.requireBackend) {
    throw new ClusterError(
      'HELPER_CP_NOTHING_TO_ADOPT',
      `${client.server} has no Deployment ${ns}/${BACKEND_NAME}: there is no klutch-bind backend to adopt`,
      {
        hint:
          'adopt reads a control plane set up by hand from the setup page; start a new one with helper ' +
          'control-plane init',
      },
    );
  }
  const container = await backendContainer(r, dep);
  const externalAddress = container.externalAddress ?? opts.server;
  const ingress = await r.get('networking.k8s.io/v1', 'Ingress', BACKEND_NAME, ns);
  const ingSpec = (ingress?.spec ?? {}) as { tls?: Array<{ hosts?: string[] }>; rules?: Array<{ host?: string }> };
  const host = ingSpec.rules?.[0]?.host ?? ingSpec.tls?.[0]?.hosts?.[0];
  if (!host)
    r.notes.push(
      `no host found (Ingress ${ns}/${BACKEND_NAME} is ${ingress ? 'without a rule host' : 'absent'}): ` +
        `/backend/host is a guess to replace`,
    );
  const serviceType = ((await r.get('v1', 'Service', BACKEND_NAME, ns))?.spec as { type?: string } | undefined)?.type;
  const oidc = secretData(await r.get('v1', 'Secret', OIDC_SECRET, ns));
  const caPem = secretData(await r.get('v1', 'Secret', CA_SECRET, ns))[CA_KEY];
  const cookieKeys = cookieKeysOf(secretData(await r.get('v1', 'Secret', COOKIE_SECRET, ns)));
  const tls = await readTls(r, ingress);
  const { dataServices, endpoints } = await readDataServices(r, crossplane);
  const backend = backendValues(container, host ?? 'backend.unknown', externalAddress, caPem, serviceType);
  const { namespace, ...rest } = crossplane;
  const crossplaneValues = { ...(namespace !== DEFAULTS.crossplaneNamespace ? { namespace } : {}), ...rest };
  const values: Values = {
    backend,
    oidc: oidcValues(r, oidc, backend.host),
    tls,
    ...(Object.keys(crossplaneValues).length ? { crossplane: crossplaneValues } : {}),
    dataServices,
  };
  const inputs =
    externalAddress && caPem && cookieKeys
      ? {
          secrets: { oidcClientSecret: oidc[OIDC_KEYS.clientSecret] ?? '', endpoints },
          externalAddress,
          caPem,
          cookieKeys,
        }
      : undefined;
  return { values, env: r.env, notes: r.notes, inputs };
}

/** The values file of an adoption: a header saying where it came from and which variables to set, then the values. */
export function adoptedValuesYaml(a: Adopted, server: string): string {
  const header = [
    `# Values of \`helper control-plane render|apply\`, read by \`helper control-plane adopt\` from ${server}.`,
    '# Schema: schemas/control-plane.schema.json. The cookie keys are not here: apply keeps those in the cluster.',
    '#',
    '# Secrets are env: references; set each variable before render or apply (the value is in the cluster at):',
    ...a.env.map(
      (e) => `#   ${e.name.padEnd(40)} ${e.from}${e.value === undefined ? '  (not found in the cluster)' : ''}`,
    ),
    ...(a.notes.length ? ['#', '# Notes:', ...a.notes.map((n) => `#   ${n}`)] : []),
    '',
  ];
  return `${header.join('\n')}${stringify(a.values, { version: '1.1', lineWidth: 0 })}`;
}
