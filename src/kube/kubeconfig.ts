/**
 * Checks of a provider kubeconfig: the subset helper relies on is a current
 * context that exists, names a cluster with an https server and a user, and
 * carries a namespace (the cluster namespace on the control plane); and the
 * Kubernetes client must read it the same way.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';

/** A namespace name: an RFC 1123 label. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ProviderKubeconfig {
  contextName: string;
  /** The cluster namespace on the control plane. */
  namespace: string;
  server: string;
  clusterName: string;
  userName: string;
}

export interface InspectOptions {
  /** The kubeconfig came from the bind backend: it may not make helper run a program or read a local file. */
  fromBackend?: boolean;
}

/** Returns the facts we use, or the list of problems (never both). */
export function inspectKubeconfig(text: string, opts: InspectOptions = {}): { ok: true; value: ProviderKubeconfig } | { ok: false; problems: string[] } {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch (err) {
    return { ok: false, problems: [`not YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (!isObject(doc)) return { ok: false, problems: ['not a kubeconfig: expected a YAML mapping'] };
  const problems: string[] = [];
  if (doc.kind !== undefined && doc.kind !== 'Config') problems.push(`kind is ${describe(doc.kind)}, expected "Config"`);
  const current = doc['current-context'];
  if (typeof current !== 'string' || !current) {
    problems.push('current-context is not set');
    return { ok: false, problems };
  }
  const ctx = named(doc.contexts, current);
  if (!ctx) return { ok: false, problems: [...problems, `current-context ${JSON.stringify(current)} is not in contexts`] };
  const c = isObject(ctx.context) ? ctx.context : {};
  const namespace = c.namespace;
  if (typeof namespace !== 'string' || !namespace) problems.push(`context ${JSON.stringify(current)} has no namespace (the cluster namespace on the control plane)`);
  else if (!DNS_LABEL.test(namespace)) problems.push(`context ${JSON.stringify(current)} has namespace ${JSON.stringify(namespace.length > 80 ? `${namespace.slice(0, 80)}…` : namespace)}, which is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)`);
  const clusterName = typeof c.cluster === 'string' ? c.cluster : '';
  const userName = typeof c.user === 'string' ? c.user : '';
  const cluster = named(doc.clusters, clusterName);
  let server = '';
  if (!cluster) problems.push(`cluster ${JSON.stringify(clusterName)} of context ${JSON.stringify(current)} is not in clusters`);
  else {
    const cl = isObject(cluster.cluster) ? cluster.cluster : {};
    server = typeof cl.server === 'string' ? cl.server : '';
    if (!isHttpUrl(server)) problems.push(`cluster ${JSON.stringify(clusterName)} has no valid server URL`);
    const cad = cl['certificate-authority-data'];
    if (cad !== undefined && (typeof cad !== 'string' || !Buffer.from(cad, 'base64').toString('latin1').includes('-----BEGIN CERTIFICATE-----'))) {
      problems.push(`cluster ${JSON.stringify(clusterName)} certificate-authority-data is not base64 of a PEM certificate (see the k8sca pitfall in the Klutch docs)`);
    }
  }
  if (!named(doc.users, userName)) problems.push(`user ${JSON.stringify(userName)} of context ${JSON.stringify(current)} is not in users`);
  if (opts.fromBackend) problems.push(...localReferences(doc));
  if (problems.length) return { ok: false, problems };
  const value = { contextName: current, namespace: namespace as string, server, clusterName, userName };
  const disagreement = clientDisagreement(text, value);
  if (disagreement) return { ok: false, problems: [disagreement] };
  return { ok: true, value };
}

/**
 * @kubernetes/client-node loads the same text again for the API calls, with
 * another YAML parser (js-yaml: no duplicate keys, no control characters, at
 * most 100 levels, fewer tags) and its own rule that every entry has a name
 * and a cluster, context or server. What it cannot load, or reads
 * differently, would fail later as an unexpected error.
 */
function clientDisagreement(text: string, v: ProviderKubeconfig): string | undefined {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    return `the Kubernetes client cannot load it: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
  }
  const ctx = kc.getContextObject(v.contextName);
  const same = kc.currentContext === v.contextName && ctx?.cluster === v.clusterName && ctx.user === v.userName && ctx.namespace === v.namespace
    && kc.getCluster(v.clusterName)?.server === v.server.replace(/\/$/, '') && kc.getUser(v.userName) !== null;
  return same ? undefined : `the Kubernetes client reads context ${JSON.stringify(v.contextName)} differently`;
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

/** Fields with which the Kubernetes client runs a program (exec, auth-provider cmd-path) or reads a local file, and sends or trusts what it got. */
const LOCAL_FIELDS = { users: ['exec', 'auth-provider', 'token-file', 'client-certificate', 'client-key'], clusters: ['certificate-authority'] } as const;

function localReferences(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [list, fields] of Object.entries(LOCAL_FIELDS)) {
    const key = list === 'users' ? 'user' : 'cluster';
    for (const e of Array.isArray(doc[list]) ? doc[list] as unknown[] : []) {
      const inner = isObject(e) && isObject(e[key]) ? e[key] : {};
      for (const f of fields) {
        if (inner[f] !== undefined) problems.push(`${key} ${describe((e as Record<string, unknown>).name)} has ${f}: a kubeconfig from the backend may not run programs or read local files`);
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
