/**
 * The one kubeconfig reader: kubeconfig text (as resolveKubeconfig returns
 * it) → the facts helper reports (server, namespace, context, user and its
 * credential), every problem found (not only the first), and the connection
 * a client needs (server, CA, TLS setting, credentials), with the
 * credentials registered as secrets.
 *
 * The structure is @kubernetes/client-node's kubeconfig model, read as it
 * reads it (js-yaml, then config_types' newClusters/newUsers/newContexts),
 * from its cheap config_types module: the full library (and its generated
 * API, ~0.6 s to load) is imported only for a user with `exec` or
 * `auth-provider`, whose plugin it runs (so kubectl users keep working).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  newClusters,
  newContexts,
  newUsers,
  type Cluster,
  type Context,
  type User,
} from '@kubernetes/client-node/dist/config_types.js';
import { load as loadYaml } from 'js-yaml';
import { parse } from 'yaml';
import { InputError } from '../errors.ts';
import { addSecret } from '../log.ts';
import { registerKubeconfigSecrets } from './kubeconfig-file.ts';
import { isDnsLabel } from '../validate/names.ts';

export interface ProviderKubeconfig {
  contextName: string;
  /** The cluster namespace on the control plane. */
  namespace: string;
  server: string;
  clusterName: string;
  userName: string;
}

/** The kubeconfig user's credential, as far as helper reports it (never the token itself). */
export interface CredentialFacts {
  type: 'token' | 'client-certificate' | 'exec' | 'auth-provider' | 'other';
  /** The JWT's `exp` as an ISO time, null for a JWT without exp, undefined when the token is not a JWT. */
  expiresAt?: string | null | undefined;
  /** The JWT's `sub`, when it has one (e.g. system:serviceaccount:<ns>:klutch-binder). */
  subject?: string | undefined;
}

/** What a client needs to call the current context's API server. */
export interface Connection {
  /** The server URL without a trailing slash. */
  server: string;
  /** PEM CA(s) trusted instead of the system roots: the cluster's own plus --ca-file. */
  caPem?: string | undefined;
  insecure: boolean;
  tlsServerName?: string | undefined;
  proxyUrl?: string | undefined;
  auth: Auth;
  /** The user's `as:` (kubectl --as): every request is sent as `Impersonate-User`. */
  impersonate?: string | undefined;
}

export type Auth =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'client-certificate'; certPem: string; keyPem: string }
  /** exec or auth-provider: client-node runs the plugin; the result is a header and maybe a client certificate. */
  | { kind: 'plugin'; credentials: () => Promise<PluginCredentials> };

export interface PluginCredentials {
  authorization?: string | undefined;
  certPem?: string | undefined;
  keyPem?: string | undefined;
}

export interface ReadOptions {
  /** A provider kubeconfig: its current context must carry the cluster namespace (inspectKubeconfig's rules). */
  provider?: boolean;
  /** The kubeconfig came from the bind backend: it may not make helper run a program or read a local file. */
  fromBackend?: boolean;
  /** --ca-file's PEM, trusted besides the cluster's own CA. */
  caPem?: string | undefined;
  insecure?: boolean | undefined;
  /** Directory relative file references are resolved against (default: the working directory, as client-node does). */
  baseDir?: string | undefined;
}

export interface KubeconfigRead {
  /** The current context's facts, when it resolves (provider: also when it has problems). */
  facts: ProviderKubeconfig | undefined;
  credential: CredentialFacts;
  /** Every problem found; empty when the kubeconfig can be used. */
  problems: string[];
  /** The connection of the current context; undefined when there are problems or the context names no cluster. */
  connection: Connection | undefined;
  /** client-node's model could not be built: its own message (also in problems). */
  loadError?: string | undefined;
  /** Why the current context gives no cluster, when it does not (not a problem for every use). */
  missing?: string | undefined;
  /** The current context's cluster as read: name, server, and its own CA (or why it cannot be read). */
  cluster?: { name: string; server: string; caPem?: string | undefined; caError?: string | undefined } | undefined;
}

export interface InspectOptions {
  /** The kubeconfig came from the bind backend: it may not make helper run a program or read a local file. */
  fromBackend?: boolean;
}

/** The provider kubeconfig's facts we use, or the list of problems (never both). */
export function inspectKubeconfig(
  text: string,
  opts: InspectOptions = {},
): { ok: true; value: ProviderKubeconfig } | { ok: false; problems: string[] } {
  const r = readKubeconfig(text, { provider: true, fromBackend: opts.fromBackend, connect: false });
  return r.problems.length || !r.facts
    ? { ok: false, problems: r.problems.length ? r.problems : ['not a kubeconfig'] }
    : { ok: true, value: r.facts };
}

/**
 * Reads a kubeconfig once for everything: the facts, every problem and the
 * connection. Registers its credentials as secrets. Never throws.
 */
export function readKubeconfig(text: string, opts: ReadOptions & { connect?: boolean } = {}): KubeconfigRead {
  registerKubeconfigSecrets(text);
  const problems: string[] = [];
  let facts: ProviderKubeconfig | undefined;
  if (opts.provider) {
    const p = providerProblems(text, opts);
    problems.push(...p.problems);
    facts = p.facts;
    if (problems.length) return { facts, credential: { type: 'other' }, problems, connection: undefined };
  }
  let model: Model;
  try {
    model = loadModel(text);
  } catch (err) {
    const loadError = String((err as Error)?.message ?? err).split('\n')[0]!;
    problems.push(opts.provider ? `the Kubernetes client cannot load it: ${loadError}` : loadError);
    return { facts, credential: { type: 'other' }, problems, connection: undefined, loadError };
  }
  const ctx = model.contexts.find((c) => c.name === model.currentContext);
  const cluster = ctx ? model.clusters.find((c) => c.name === ctx.cluster) : undefined;
  const user = ctx ? model.users.find((u) => u.name === ctx.user) : undefined;
  if (opts.provider && facts) {
    const same =
      model.currentContext === facts.contextName &&
      ctx?.cluster === facts.clusterName &&
      ctx.user === facts.userName &&
      ctx.namespace === facts.namespace &&
      cluster?.server === facts.server.replace(/\/$/, '') &&
      user !== undefined;
    if (!same) problems.push(`the Kubernetes client reads context ${JSON.stringify(facts.contextName)} differently`);
  }
  if (!facts && ctx && cluster) {
    facts = {
      contextName: ctx.name,
      namespace: ctx.namespace ?? '',
      server: cluster.server,
      clusterName: cluster.name,
      userName: user?.name ?? ctx.user ?? '',
    };
  }
  const credential = user ? credentialOf(user) : { type: 'other' as const };
  const missing = !model.currentContext
    ? 'has no current-context'
    : !ctx
      ? `current-context ${JSON.stringify(model.currentContext)} is not in contexts`
      : !cluster
        ? `cluster ${JSON.stringify(ctx.cluster)} of the current context is not in clusters`
        : undefined;
  let clusterRead: KubeconfigRead['cluster'];
  if (cluster) {
    const ca = ownCa(cluster, opts);
    clusterRead = { name: cluster.name, server: cluster.server, ...ca };
    if (ca.caError && !problems.length && opts.connect !== false) problems.push(ca.caError);
  }
  let connection: Connection | undefined;
  if (!problems.length && cluster && opts.connect !== false) {
    try {
      connection = connectionOf(model, cluster, clusterRead?.caPem, user, opts);
    } catch (err) {
      problems.push(String((err as Error)?.message ?? err).split('\n')[0]!);
    }
  }
  return { facts, credential, problems, connection, missing, cluster: clusterRead };
}

/** The cluster's own CA: client-node reads certificate-authority (a file) before certificate-authority-data. */
function ownCa(cluster: Cluster, opts: ReadOptions): { caPem?: string | undefined; caError?: string | undefined } {
  if (cluster.caFile) {
    const p = isAbsolute(cluster.caFile) || !opts.baseDir ? cluster.caFile : resolve(opts.baseDir, cluster.caFile);
    try {
      return { caPem: readFileSync(p, 'utf8') };
    } catch (err) {
      return {
        caError: `cannot read certificate-authority ${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      };
    }
  }
  return cluster.caData ? { caPem: Buffer.from(cluster.caData, 'base64').toString('utf8') } : {};
}

interface Model {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string | undefined;
}

/** client-node's KubeConfig.loadFromString, without the rest of the library. */
function loadModel(text: string): Model {
  const obj = loadYaml(text) as
    | { clusters?: unknown; users?: unknown; contexts?: unknown; 'current-context'?: unknown }
    | null
    | undefined;
  if (obj === null || typeof obj !== 'object')
    throw new TypeError(`Cannot read properties of ${obj === null ? 'null' : typeof obj} (reading 'clusters')`);
  return {
    clusters: newClusters(obj.clusters),
    contexts: newContexts(obj.contexts),
    users: newUsers(obj.users),
    currentContext: typeof obj['current-context'] === 'string' ? obj['current-context'] : undefined,
  };
}

function connectionOf(
  model: Model,
  cluster: Cluster,
  own: string | undefined,
  user: User | undefined,
  opts: ReadOptions,
): Connection {
  const file = (p: string) => readFileSync(isAbsolute(p) || !opts.baseDir ? p : resolve(opts.baseDir, p), 'utf8');
  let auth: Auth = { kind: 'none' };
  if (user?.exec || user?.authProvider) {
    auth = { kind: 'plugin', credentials: pluginCredentials(model, user) };
  } else if (user?.token) {
    auth = { kind: 'token', token: user.token.trim() };
    addSecret(auth.token);
  } else if ((user?.certData || user?.certFile) && (user.keyData || user.keyFile)) {
    const certPem = user.certFile ? file(user.certFile) : Buffer.from(user.certData!, 'base64').toString('utf8');
    const keyPem = user.keyFile ? file(user.keyFile) : Buffer.from(user.keyData!, 'base64').toString('utf8');
    addSecret(keyPem);
    auth = { kind: 'client-certificate', certPem, keyPem };
  } else if (user?.username) {
    auth = { kind: 'basic', username: user.username, password: user.password ?? '' };
    addSecret(user.password);
  }
  if (cluster.proxyUrl && !/^https?:\/\//i.test(cluster.proxyUrl)) {
    throw new Error(
      `proxy-url of cluster ${JSON.stringify(cluster.name)} is ${cluster.proxyUrl.split('://')[0]}://...: ` +
        `helper reaches API servers through http:// and https:// proxies only`,
    );
  }
  return trust(
    {
      server: cluster.server.replace(/\/+$/, ''),
      caPem: own,
      insecure: Boolean(cluster.skipTLSVerify),
      tlsServerName: cluster.tlsServerName || undefined,
      proxyUrl: cluster.proxyUrl || undefined,
      auth,
      impersonate: user?.impersonateUser || undefined,
    },
    opts,
  );
}

/** The connection with --ca-file trusted besides the cluster's own CA, and --insecure-skip-tls-verify applied. */
export function trust(
  conn: Connection,
  tls: { caPem?: string | undefined; insecure?: boolean | undefined },
): Connection {
  const caPem = conn.caPem && tls.caPem ? `${conn.caPem.trim()}\n${tls.caPem.trim()}\n` : (conn.caPem ?? tls.caPem);
  return { ...conn, caPem, insecure: conn.insecure || Boolean(tls.insecure) };
}

/**
 * An exec or auth-provider user: the full client-node is loaded on the
 * first call only, and its KubeConfig runs the plugin (and caches its
 * answer until it expires) exactly as for kubectl users of the library.
 */
function pluginCredentials(model: Model, _user: User): () => Promise<PluginCredentials> {
  let kc: Promise<{ applyToHTTPSOptions(o: object): Promise<void> }> | undefined;
  return async () => {
    kc ??= import('@kubernetes/client-node').then((k8s) => {
      const c = new k8s.KubeConfig();
      c.loadFromOptions({
        clusters: model.clusters,
        users: model.users,
        contexts: model.contexts,
        currentContext: model.currentContext,
      });
      return c;
    });
    const o: { headers: Record<string, string>; cert?: unknown; key?: unknown } = { headers: {} };
    await (await kc).applyToHTTPSOptions(o);
    const authorization = o.headers.Authorization ?? o.headers.authorization;
    if (authorization) addSecret(authorization.replace(/^\S+\s+/, ''));
    const pem = (v: unknown) =>
      v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    const keyPem = pem(o.key);
    if (keyPem) addSecret(keyPem);
    return { authorization, certPem: pem(o.cert), keyPem };
  };
}

/** What kind of credential a user carries, and a JWT's expiry and subject (its signature is not checked: this is only a
 * report). */
function credentialOf(user: User): CredentialFacts {
  if (user.exec) return { type: 'exec' };
  if (user.authProvider) return { type: 'auth-provider' };
  if (typeof user.token === 'string' && user.token) return { type: 'token', ...jwtFacts(user.token) };
  if (user.certData || user.certFile) return { type: 'client-certificate' };
  return { type: 'other' };
}

function jwtFacts(token: string): { expiresAt?: string | null; subject?: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as {
      exp?: unknown;
      sub?: unknown;
    };
    return {
      expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : null,
      ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * The rules of a provider kubeconfig, on the lenient yaml package's reading:
 * a current context that exists, names a cluster with an http(s) server and
 * a user, and carries a namespace (the cluster namespace on the control plane).
 */
function providerProblems(text: string, opts: ReadOptions): { problems: string[]; facts?: ProviderKubeconfig } {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch (err) {
    return { problems: [`not YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (!isObject(doc)) return { problems: ['not a kubeconfig: expected a YAML mapping'] };
  const problems: string[] = [];
  if (doc.kind !== undefined && doc.kind !== 'Config')
    problems.push(`kind is ${describe(doc.kind)}, expected "Config"`);
  const current = doc['current-context'];
  if (typeof current !== 'string' || !current) {
    problems.push('current-context is not set');
    return { problems };
  }
  const ctx = named(doc.contexts, current);
  if (!ctx) return { problems: [...problems, `current-context ${JSON.stringify(current)} is not in contexts`] };
  const c = isObject(ctx.context) ? ctx.context : {};
  const namespace = c.namespace;
  if (typeof namespace !== 'string' || !namespace)
    problems.push(`context ${JSON.stringify(current)} has no namespace (the cluster namespace on the control plane)`);
  else if (!isDnsLabel(namespace))
    problems.push(
      `context ${JSON.stringify(current)} has namespace ` +
        `${JSON.stringify(namespace.length > 80 ? `${namespace.slice(0, 80)}…` : namespace)}, which is not a ` +
        `Kubernetes namespace name (lowercase letters, digits and '-', at most 63)`,
    );
  const clusterName = typeof c.cluster === 'string' ? c.cluster : '';
  const userName = typeof c.user === 'string' ? c.user : '';
  const cluster = named(doc.clusters, clusterName);
  let server = '';
  if (!cluster)
    problems.push(`cluster ${JSON.stringify(clusterName)} of context ${JSON.stringify(current)} is not in clusters`);
  else {
    const cl = isObject(cluster.cluster) ? cluster.cluster : {};
    server = typeof cl.server === 'string' ? cl.server : '';
    if (!isHttpUrl(server)) problems.push(`cluster ${JSON.stringify(clusterName)} has no valid server URL`);
    const cad = cl['certificate-authority-data'];
    if (
      cad !== undefined &&
      (typeof cad !== 'string' ||
        !Buffer.from(cad, 'base64').toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
    ) {
      problems.push(
        `cluster ${JSON.stringify(clusterName)} certificate-authority-data is not base64 of a PEM ` +
          `certificate (see the k8sca pitfall in the Klutch docs)`,
      );
    }
  }
  if (!named(doc.users, userName))
    problems.push(`user ${JSON.stringify(userName)} of context ${JSON.stringify(current)} is not in users`);
  if (opts.fromBackend) problems.push(...localReferences(doc));
  return {
    problems,
    facts: {
      contextName: current,
      namespace: typeof namespace === 'string' ? namespace : '',
      server,
      clusterName,
      userName,
    },
  };
}

/** http(s)://, no whitespace, and a URL the clients can parse (the log line and undici call new URL on it). */
function isHttpUrl(server: string): boolean {
  if (!/^https?:\/\/[^\s]+$/.test(server)) return false;
  try {
    return new URL(server).hostname !== '';
  } catch {
    return false;
  }
}

/** Fields with which the Kubernetes client runs a program (exec, auth-provider cmd-path) or reads a local file, and
 * sends or trusts what it got. */
const LOCAL_FIELDS = {
  users: ['exec', 'auth-provider', 'token-file', 'client-certificate', 'client-key'],
  clusters: ['certificate-authority'],
} as const;

function localReferences(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [list, fields] of Object.entries(LOCAL_FIELDS)) {
    const key = list === 'users' ? 'user' : 'cluster';
    for (const e of Array.isArray(doc[list]) ? (doc[list] as unknown[]) : []) {
      const inner = isObject(e) && isObject(e[key]) ? e[key] : {};
      for (const f of fields) {
        if (inner[f] !== undefined)
          problems.push(
            `${key} ${describe((e as Record<string, unknown>).name)} has ${f}: a kubeconfig from the backend ` +
              `may not run programs or read local files`,
          );
      }
    }
  }
  return problems;
}

/** A short description of any parsed value: aliases make circular ones, and JSON.stringify throws on those. */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function named(list: unknown, name: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list) || !name) return undefined;
  return list.find((e): e is Record<string, unknown> => isObject(e) && e.name === name);
}

/** True when the string is canonical standard base64 (padding included). */
export function isStrictBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s) && Buffer.from(s, 'base64').toString('base64') === s;
}

/** The one error of a kubeconfig helper cannot use (exit 3), whatever its source (kube/connect.ts words it per input).
 * */
export function kubeconfigError(message: string, problems: string[] = []): InputError {
  return new InputError('HELPER_KUBECONFIG_INVALID', message, problems);
}
