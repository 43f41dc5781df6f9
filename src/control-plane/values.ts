/**
 * The values file of `helper control-plane`: YAML → validated Values (the
 * contract is schemas/control-plane.schema.json) → Settings with every
 * default filled in. Problems are reported as "<JSON path> (line N): what is
 * wrong", all at once. Secret references are resolved separately
 * (secrets.ts), so validation never reads the environment or files.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { InputError } from '../errors.ts';
import type { ControlPlaneValues } from '../types.ts';
import { formatSchemaErrors } from '../validate/schemas.ts';
import * as generated from '../validate/values-validator.generated.ts';
import { DATA_SERVICE_NAMES, DATA_SERVICES, DEFAULTS, PAGE, xpkgName, type DataServiceName } from './catalog.ts';

export { DATA_SERVICE_NAMES, DATA_SERVICES, DEFAULTS, PAGE, type DataServiceName } from './catalog.ts';

export interface EndpointValues {
  url: string;
  username: string;
  password: string;
  healthCheckEndpoint?: string;
  insecureSkipVerify?: boolean;
  overrideServerName?: string;
}

export interface DataServiceValues {
  serviceBroker: EndpointValues;
  backupManager: EndpointValues;
}

/** A values file that passed the schema (optional fields may be absent). */
export interface Values {
  backend: {
    host: string;
    image?: string;
    externalAddress?: string;
    caCertificate?: string;
    cookieKeys?: { signingKey: string; encryptionKey: string };
    namespacePrefix?: string;
    prettyName?: string;
    consumerScope?: 'Namespaced' | 'Cluster';
    serviceType?: 'ClusterIP' | 'LoadBalancer';
    /** Deprecated and ignored: the backend takes no flag for it. */
    binderClusterRole?: string;
    extraArgs?: string[];
  };
  oidc: { issuerUrl: string; clientId?: string; clientSecret: string; callbackUrl?: string };
  tls: {
    ingressClass?: string;
    secretName?: string;
    acme?: { email: string; server?: string; issuerName?: string };
    issuer?: { kind: 'Issuer' | 'ClusterIssuer'; name: string };
  };
  crossplane?: {
    namespace?: string;
    providerAnynines?: string;
    configuration?: string;
    configurationName?: string;
    function?: string;
    /** Deprecated and ignored: no a9s composition uses provider-kubernetes. */
    providerKubernetes?: string;
    providerConfigServiceType?: boolean;
  };
  dataServices: Partial<Record<DataServiceName, DataServiceValues>>;
}

/** How the backend's certificate is issued: an ACME Issuer we render, or one the user has. */
export type IssuerSettings =
  | { mode: 'acme'; name: string; email: string; server: string }
  | { mode: 'own'; kind: 'Issuer' | 'ClusterIssuer'; name: string };

/** Values with every default applied; secret fields still hold their references. */
export interface Settings {
  backend: {
    host: string;
    image: string;
    externalAddress: string | undefined;
    caCertificate: string | undefined;
    cookieKeys: { signingKey: string; encryptionKey: string } | undefined;
    namespacePrefix: string;
    prettyName: string;
    consumerScope: 'Namespaced' | 'Cluster';
    serviceType: 'ClusterIP' | 'LoadBalancer';
    extraArgs: string[];
  };
  oidc: { issuerUrl: string; clientId: string; clientSecret: string; callbackUrl: string };
  tls: { ingressClass: string; secretName: string; issuer: IssuerSettings };
  crossplane: {
    namespace: string;
    providerAnynines: string;
    configuration: string;
    configurationName: string;
    function: string;
    providerConfigServiceType: boolean;
  };
  /** The chosen data services in render order. */
  dataServices: Array<{ name: DataServiceName; resource: string } & DataServiceValues>;
  /** Fields of the values file that are accepted but have no effect, with why (printed as warnings). */
  ignored: string[];
}

const MAX_PROBLEMS = 25;
// Compiled at build time (bin/gen-validators.ts, the Ajv of validate/ajv.ts) from schemas/control-plane.schema.json.
// Its type is the one generated from the schema; returning it as Values makes tsc check that they agree.
const validator = generated.controlPlaneValues as unknown as ValidateFunction<ControlPlaneValues>;

/** Parses and validates a values file; InputError lists every problem with its path and line. */
export function parseValues(text: string, source: string): Values {
  if (!text.trim())
    throw new InputError(
      'HELPER_VALUES_YAML',
      `${source} is empty; start from \`helper control-plane init > values.yaml\``,
    );
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length) {
    throw new InputError(
      'HELPER_VALUES_YAML',
      `${source} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // Converting refuses what parsing lets through: alias bombs ("Excessive alias count"), merges of non-mappings.
    throw new InputError(
      'HELPER_VALUES_YAML',
      `${source} cannot be read: ${(err as Error).message.split('\n')[0]}`,
      [],
      { cause: err },
    );
  }
  if (validator(value)) return value;
  const problems = schemaProblems(validator.errors ?? []);
  // Lines only for the problems shown: finding a node is linear in its mapping's size.
  const lined = problems.slice(0, MAX_PROBLEMS).map((p) => {
    const node = nodeAt(doc.contents, p.path);
    const line = node?.range ? lines.linePos(node.range[0]).line : undefined;
    return line ? p.text.replace(/^(\S*): /, `$1 (line ${line}): `) : p.text;
  });
  const shown =
    problems.length > MAX_PROBLEMS ? [...lined, `(${problems.length - MAX_PROBLEMS} more problems not shown)`] : lined;
  throw new InputError(
    'HELPER_VALUES_INVALID',
    `${source} is not a valid control-plane values file (schema: schemas/control-plane.schema.json)`,
    shown,
  );
}

/** Ajv errors as lines; the tls oneOf becomes one sentence instead of three cryptic ones. */
function schemaProblems(errors: readonly ErrorObject[]): Array<{ path: string; text: string }> {
  const oneOfAt = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.schemaPath));
  const out: Array<{ path: string; text: string }> = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if ([...oneOfAt].some((p) => e.schemaPath.startsWith(`${p}/`))) continue;
    const path = e.instancePath || '/';
    let text = formatSchemaErrors([e])[0]!;
    if (e.keyword === 'oneOf' && path === '/tls')
      text =
        "/tls: set exactly one of acme (an ACME Issuer is rendered, e.g. Let's Encrypt) or issuer (your own " +
        'Issuer or ClusterIssuer)';
    else if (e.keyword === 'pattern' && e.schemaPath.startsWith('#/$defs/secretRef/'))
      text = `${path}: must be a reference, env:NAME or file:PATH (the values file holds no secrets)`;
    else if (e.keyword === 'additionalProperties' && path === '/dataServices')
      text += ` (data services: ${DATA_SERVICE_NAMES.join(', ')})`;
    // The line of the offending key, not of its parent.
    const extra =
      e.keyword === 'additionalProperties'
        ? `/${String((e.params as { additionalProperty: string }).additionalProperty)
            .replace(/~/g, '~0')
            .replace(/\//g, '~1')}`
        : '';
    if (!seen.has(text)) out.push({ path: `${e.instancePath}${extra}`, text });
    seen.add(text);
  }
  return out;
}

/** The YAML node a JSON pointer names, or its nearest ancestor; a mapping value is located by its key. */
function nodeAt(root: unknown, pointer: string): YamlNode | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = root as YamlNode | undefined;
  let at: YamlNode | undefined = node;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === seg);
      if (!pair) break;
      at = (pair.key as YamlNode | null) ?? at;
      node = pair.value as YamlNode | undefined;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as YamlNode | undefined;
      if (!item) break;
      at = item;
      node = item;
    } else break;
  }
  return at;
}

/** Fills in every default. */
export function settingsOf(v: Values): Settings {
  const b = v.backend;
  const cp = v.crossplane ?? {};
  const issuer: IssuerSettings = v.tls.acme
    ? {
        mode: 'acme',
        name: v.tls.acme.issuerName ?? DEFAULTS.acmeIssuerName,
        email: v.tls.acme.email,
        server: v.tls.acme.server ?? DEFAULTS.acmeServer,
      }
    : { mode: 'own', kind: v.tls.issuer!.kind, name: v.tls.issuer!.name };
  return {
    backend: {
      host: b.host,
      image: b.image ?? DEFAULTS.backendImage,
      externalAddress: b.externalAddress,
      caCertificate: b.caCertificate,
      cookieKeys: b.cookieKeys,
      namespacePrefix: b.namespacePrefix ?? DEFAULTS.namespacePrefix,
      prettyName: b.prettyName ?? DEFAULTS.prettyName,
      consumerScope: b.consumerScope ?? DEFAULTS.consumerScope,
      serviceType: b.serviceType ?? DEFAULTS.serviceType,
      extraArgs: b.extraArgs ?? [],
    },
    oidc: {
      issuerUrl: v.oidc.issuerUrl,
      clientId: v.oidc.clientId ?? DEFAULTS.clientId,
      clientSecret: v.oidc.clientSecret,
      // The page's default, which the IdP's registered redirect URI must equal.
      callbackUrl: v.oidc.callbackUrl ?? `https://${b.host}:443/callback`,
    },
    tls: {
      ingressClass: v.tls.ingressClass ?? DEFAULTS.ingressClass,
      secretName: v.tls.secretName ?? DEFAULTS.tlsSecretName,
      issuer,
    },
    crossplane: {
      namespace: cp.namespace ?? DEFAULTS.crossplaneNamespace,
      providerAnynines: cp.providerAnynines ?? DEFAULTS.providerAnynines,
      configuration: cp.configuration ?? DEFAULTS.configuration,
      configurationName: cp.configurationName ?? xpkgName(cp.configuration ?? DEFAULTS.configuration),
      function: cp.function ?? DEFAULTS.function,
      providerConfigServiceType: cp.providerConfigServiceType ?? false,
    },
    dataServices: DATA_SERVICE_NAMES.filter((n) => v.dataServices[n]).map((name) => ({
      name,
      resource: DATA_SERVICES[name].resource,
      ...v.dataServices[name]!,
    })),
    ignored: [
      ...(b.binderClusterRole !== undefined && b.binderClusterRole !== PAGE.binderClusterRole
        ? [
            `/backend/binderClusterRole (${b.binderClusterRole}) is ignored: the backend takes no flag ` +
              `naming the role it binds; the ClusterRole is ${PAGE.binderClusterRole}, as on the setup page`,
          ]
        : []),
      ...(cp.providerKubernetes !== undefined
        ? [
            "/crossplane/providerKubernetes is ignored: no a9s data service's composition uses " +
              'provider-kubernetes (only the a8s ones do), so it is no longer installed',
          ]
        : []),
    ],
  };
}

/** Hosts and mail domains reserved for documentation (RFC 2606), as `init` prints them. */
const PLACEHOLDER = /(^|[@./])example\.(com|org|net)(?=$|[/:?#\s])/i;

/**
 * Every value still holding an `init` placeholder (an example.com host,
 * URL or mail address), as "<JSON path> (line N): value"; [] when none.
 */
export function placeholdersIn(text: string): string[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const out: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const p of node.items) walk(p.value, `${path}/${isScalar(p.key) ? String(p.key.value) : '?'}`);
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, `${path}/${i}`);
    } else if (isScalar(node) && typeof node.value === 'string' && PLACEHOLDER.test(node.value)) {
      const line = node.range ? lines.linePos(node.range[0]).line : undefined;
      out.push(`${path || '/'}${line ? ` (line ${line})` : ''}: ${node.value}`);
    }
  };
  walk(doc.contents, '');
  return out;
}

/** InputError HELPER_VALUES_PLACEHOLDER (exit 3) listing every placeholder left in a values file. */
export function refusePlaceholders(text: string, source: string): void {
  const found = placeholdersIn(text);
  if (found.length) {
    throw new InputError(
      'HELPER_VALUES_PLACEHOLDER',
      `${source} still holds ${found.length} placeholder value(s) from \`helper control-plane init\`; ` +
        `replace each with your own`,
      found,
    );
  }
}
