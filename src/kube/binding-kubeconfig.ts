/**
 * The binding's kubeconfig, read strictly and rebuilt: the provider
 * kubeconfig the backend sends (BindingResponse.kubeconfig) and the one in
 * the konnector's Secret `klutch-bind/kubeconfig` (what status reads).
 *
 * Everything in it is untrusted: the konnector loads the Secret with
 * client-go, which honours more than helper ever needs (its own spellings
 * such as `tokenFile`, YAML merge keys, proxies, impersonation). So this
 * reader keeps an allow-list, not a deny-list: the current context's
 * server, CA data, credential as data (token, or client-certificate-data
 * with client-key-data), namespace and names. Anything else in any user,
 * cluster or context, and any YAML anchor, alias, explicit tag or merge
 * key, is a problem naming its path (`users[0].user.tokenFile`). What is
 * accepted is written out as a new document (rebuilt from the values read,
 * never the given text), so what client-go loads is only what was checked.
 *
 * Pure: no file is read, no program run, whatever the document names.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { toYaml } from '../render/to-yaml.ts';
import { isStrictBase64, type ProviderKubeconfig } from './kubeconfig.ts';
import { isDnsLabel } from '../validate/names.ts';

/** What a binding's kubeconfig may hold, per level; everything else is refused by name. */
export const ALLOWED_FIELDS = {
  top: ['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences'],
  cluster: ['server', 'certificate-authority-data', 'insecure-skip-tls-verify'],
  user: ['token', 'client-certificate-data', 'client-key-data'],
  context: ['cluster', 'user', 'namespace'],
  entry: { clusters: ['name', 'cluster'], users: ['name', 'user'], contexts: ['name', 'context'] },
} as const;

export interface RebuiltKubeconfig {
  /** The new document: one cluster, one user, one context, current-context; YAML every reader parses alike. */
  text: string;
  facts: ProviderKubeconfig;
}

export type BindingKubeconfigRead = { ok: true; value: RebuiltKubeconfig } | { ok: false; problems: string[] };

const FILES = 'a kubeconfig from the backend may not run programs or read local files';
/** Why a field that is not allowed is refused, by its name folded (lowercase, no '-' or '_'): the fields clients
 * honour. */
const REASONS: Record<string, string> = {
  exec: `runs a program: ${FILES}`,
  authprovider: `runs an auth-provider plugin: ${FILES}`,
  tokenfile: `a token file: ${FILES}`,
  clientcertificate: `a certificate file: ${FILES}`,
  clientkey: `a key file: ${FILES}`,
  certificateauthority: `a CA file: ${FILES}`,
  proxyurl: 'sends the connection through a proxy the backend names',
  tlsservername: "checks the server's certificate against another name than the server's",
  as: 'impersonation: every request would act as another identity',
  asgroups: 'impersonation: every request would act as another identity',
  asuid: 'impersonation: every request would act as another identity',
  asuserextra: 'impersonation: every request would act as another identity',
  username: "basic authentication: a binding's credential is a token or a client certificate",
  password: "basic authentication: a binding's credential is a token or a client certificate",
};
const fold = (k: string) => k.toLowerCase().replace(/[-_]/g, '');

/**
 * Outside YAML's printable set (c-printable), which go-yaml and js-yaml enforce and the yaml package does
 * not; and the line breaks readers disagree on: a CR without LF, NEL, U+2028/2029 (breaks in YAML 1.1 only).
 */
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]|\r(?!\n)/u;

/**
 * Reads a binding's kubeconfig with the allow-list and rebuilds it; every
 * problem found, each naming its path. Never throws, never touches the disk.
 */
export function readBindingKubeconfig(text: string): BindingKubeconfigRead {
  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    const before = text.slice(0, bad.index).split('\n');
    return {
      ok: false,
      problems: [
        `not YAML: a non-printable character or a line break readers disagree on (U+` +
          `${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at line ${before.length}, ` +
          `column ${before.at(-1)!.length + 1} (YAML readers, client-go's among them, refuse it)`,
      ],
    };
  }
  // uniqueKeys off: the library compares every key with every other (quadratic); mapping() checks with a Set.
  const doc = parseDocument(text, { uniqueKeys: false, merge: false, prettyErrors: false, strict: true });
  if (doc.errors.length) return { ok: false, problems: [`not YAML: ${doc.errors[0]!.message.split('\n')[0]}`] };
  const problems = syntaxProblems(doc.contents as YamlNode | null);
  if (problems.length) return fail(problems);
  const top = mapping(doc.contents as YamlNode | null, '', problems);
  if (!top) return fail(problems.length ? problems : ['not a kubeconfig: expected a YAML mapping']);

  for (const [k, node] of top) {
    if (!(ALLOWED_FIELDS.top as readonly string[]).includes(k)) refuse(k, join('', k), problems);
    else if (k === 'apiVersion' && scalarOf(node, k, problems) !== 'v1') problems.push(`apiVersion: expected "v1"`);
    else if (k === 'kind' && scalarOf(node, k, problems) !== 'Config') problems.push(`kind: expected "Config"`);
    else if (k === 'preferences') {
      const p = mapping(node, k, problems);
      for (const f of p?.keys() ?? [])
        problems.push(`preferences.${f}: not a field a binding needs (preferences must be empty)`);
    }
  }
  const clusters = entries(top, 'clusters', 'cluster', problems);
  const users = entries(top, 'users', 'user', problems);
  const contexts = entries(top, 'contexts', 'context', problems);

  const clusterValues = clusters.map((c) => clusterOf(c, problems));
  const userValues = users.map((u) => userOf(u, problems));
  const contextValues = contexts.map((c) => contextOf(c, problems));

  const currentNode = top.get('current-context');
  const current = currentNode === undefined ? undefined : scalarOf(currentNode, 'current-context', problems);
  if (problems.length) return fail(problems);
  if (typeof current !== 'string' || !current) return { ok: false, problems: ['current-context is not set'] };
  const ci = contexts.findIndex((c) => c.name === current);
  if (ci < 0) return { ok: false, problems: [`current-context ${JSON.stringify(current)} is not in contexts`] };
  const ctx = contextValues[ci]!;
  const ki = clusters.findIndex((c) => c.name === ctx.cluster);
  const ui = users.findIndex((u) => u.name === ctx.user);
  if (!ctx.namespace)
    problems.push(`context ${JSON.stringify(current)} has no namespace (the cluster namespace on the control plane)`);
  else if (!isDnsLabel(ctx.namespace))
    problems.push(
      `contexts[${ci}].context.namespace ${JSON.stringify(ctx.namespace.slice(0, 80))} is not a Kubernetes ` +
        `namespace name (lowercase letters, digits and '-', at most 63)`,
    );
  if (ki < 0)
    problems.push(
      `cluster ${JSON.stringify(ctx.cluster ?? '')} of context ${JSON.stringify(current)} is not in clusters`,
    );
  if (ui < 0)
    problems.push(`user ${JSON.stringify(ctx.user ?? '')} of context ${JSON.stringify(current)} is not in users`);
  if (problems.length) return fail(problems);
  const cluster = clusterValues[ki]!;
  const user = userValues[ui]!;
  const rebuilt = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: clusters[ki]!.name,
        cluster: {
          server: cluster.server,
          ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
        },
      },
    ],
    users: [
      {
        name: users[ui]!.name,
        user: {
          ...(user.token ? { token: user.token } : {}),
          ...(user.certData ? { 'client-certificate-data': user.certData, 'client-key-data': user.keyData } : {}),
        },
      },
    ],
    contexts: [
      { name: current, context: { cluster: clusters[ki]!.name, user: users[ui]!.name, namespace: ctx.namespace } },
    ],
    'current-context': current,
  };
  return {
    ok: true,
    value: {
      text: toYaml([rebuilt]).replace(/^---\n/, ''),
      facts: {
        contextName: current,
        namespace: ctx.namespace!,
        server: cluster.server,
        clusterName: clusters[ki]!.name,
        userName: users[ui]!.name,
      },
    },
  };
}

/** At most this many problems are listed (a hostile document could have millions). */
const MAX_PROBLEMS = 20;

/** `path.key`, the key quoted when it is not a plain word, and cut at 60 characters. */
function join(path: string, key: string): string {
  const k = /^[A-Za-z0-9_<-]{1,60}$/.test(key) ? key : JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
  return !path ? k : k.startsWith('"') ? `${path}[${k}]` : `${path}.${k}`;
}

/**
 * Anchors, aliases, explicit tags and merge keys anywhere in the document,
 * each by its path (an explicit stack: a deep document cannot overflow it).
 * A binding's kubeconfig is plain data; these are where YAML readers differ
 * (client-go's YAML→JSON step merges `<<` and resolves aliases).
 */
function syntaxProblems(root: YamlNode | null): string[] {
  const problems: string[] = [];
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length && problems.length < MAX_PROBLEMS) {
    const [node, path] = stack.pop()!;
    const at = path || 'the document';
    if (isAlias(node)) {
      problems.push(`${at}: a YAML alias (*${String(node.source).slice(0, 40)}): a binding's kubeconfig is plain data`);
      continue;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (node.anchor)
      problems.push(`${at}: a YAML anchor (&${node.anchor.slice(0, 40)}): a binding's kubeconfig is plain data`);
    if (node.tag)
      problems.push(`${at}: an explicit YAML tag (${node.tag.slice(0, 60)}): a binding's kubeconfig is plain data`);
    // Children are pushed last-first, so they are visited (and reported) in document order.
    if (isSeq(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push([node.items[i], `${path}[${i}]`]);
    if (isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const { key, value } = node.items[i]!;
        const name = isScalar(key) ? String(key.value) : '?';
        stack.push([value, join(path, name)]);
        if (isScalar(key) && key.value === '<<')
          problems.push(
            `${join(path, '<<')}: a YAML merge key (client-go merges its keys into the mapping): ` +
              `${describeMerge(value as YamlNode | null)}`,
          );
        else if (!isScalar(key) || typeof key.value !== 'string')
          problems.push(
            `${at}: a key that is not a plain string (` +
              `${isAlias(key) ? 'an alias' : isScalar(key) ? JSON.stringify(name.slice(0, 40)) : 'a collection'}` +
              `)`,
          );
        else stack.push([key, join(path, name)]);
      }
    }
  }
  return problems.length >= MAX_PROBLEMS
    ? [...problems.slice(0, MAX_PROBLEMS), `(and possibly more; the first ${MAX_PROBLEMS} are listed)`]
    : problems;
}

/** The refusal, its list cut at MAX_PROBLEMS (the message stays bounded). */
function fail(problems: string[]): { ok: false; problems: string[] } {
  return {
    ok: false,
    problems:
      problems.length > MAX_PROBLEMS
        ? [...problems.slice(0, MAX_PROBLEMS), `(and ${problems.length - MAX_PROBLEMS} more)`]
        : problems,
  };
}

/** A mapping node's pairs by key, with anchors, tags, aliases, merge keys and non-string keys reported under `path`. */
function mapping(
  node: YamlNode | null | undefined,
  path: string,
  problems: string[],
): Map<string, YamlNode | null> | undefined {
  if (!plain(node, path, problems)) return undefined;
  if (!isMap(node)) {
    problems.push(`${path || 'the document'}: expected a mapping`);
    return undefined;
  }
  const out = new Map<string, YamlNode | null>();
  for (const pair of node.items) {
    const key = pair.key as YamlNode | null;
    if (!isScalar(key) || typeof key.value !== 'string' || key.anchor || key.tag) {
      problems.push(
        `${path ? `${path}: a` : 'A'} key that is not a plain string (` +
          (isAlias(key)
            ? 'an alias'
            : isScalar(key)
              ? JSON.stringify(String(key.value).slice(0, 40))
              : 'a collection') +
          `)`,
      );
      continue;
    }
    const at = join(path, key.value);
    if (key.value === '<<') {
      problems.push(
        `${at}: a YAML merge key (client-go merges its keys into the mapping): ` +
          `${describeMerge(pair.value as YamlNode | null)}`,
      );
      continue;
    }
    if (out.has(key.value)) {
      problems.push(`${at}: the key is given twice (readers disagree on which one counts)`);
      continue;
    }
    out.set(key.value, pair.value as YamlNode | null);
  }
  return out;
}

/** What a merge key would bring in, by name only (never values). */
function describeMerge(node: YamlNode | null): string {
  if (isMap(node))
    return (
      `it would add ` +
      `${node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?')).join(', ') || 'nothing'}`
    );
  return isAlias(node) ? 'it would add the fields of an anchored mapping' : "a binding's kubeconfig has none";
}

/** False (with a problem) for an alias, an anchored or explicitly tagged node. */
function plain(node: YamlNode | null | undefined, path: string, problems: string[]): boolean {
  const at = path || 'the document';
  if (isAlias(node)) {
    problems.push(`${at}: a YAML alias (*${node.source}): a binding's kubeconfig is plain data`);
    return false;
  }
  if (node && 'anchor' in node && node.anchor) {
    problems.push(`${at}: a YAML anchor (&${node.anchor}): a binding's kubeconfig is plain data`);
    return false;
  }
  if (node && 'tag' in node && node.tag) {
    problems.push(`${at}: an explicit YAML tag (${node.tag}): a binding's kubeconfig is plain data`);
    return false;
  }
  return true;
}

/** A scalar's value (string, number, boolean, null), or undefined with a problem. */
function scalarOf(node: YamlNode | null | undefined, path: string, problems: string[]): unknown {
  if (!plain(node, path, problems)) return undefined;
  if (node === null || node === undefined) return null;
  if (!isScalar(node)) {
    problems.push(`${path}: expected a single value`);
    return undefined;
  }
  return node.value;
}

function stringOf(node: YamlNode | null | undefined, path: string, problems: string[]): string | undefined {
  const v = scalarOf(node, path, problems);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    problems.push(`${path}: expected a string`);
    return undefined;
  }
  return v;
}

interface Entry {
  name: string;
  path: string;
  body: Map<string, YamlNode | null>;
}

/** clusters/users/contexts: a list of {name, <inner>} with distinct names; the inner mappings. */
function entries(
  top: Map<string, YamlNode | null>,
  list: 'clusters' | 'users' | 'contexts',
  inner: string,
  problems: string[],
): Entry[] {
  const node = top.get(list);
  if (node === undefined || node === null) return [];
  if (!plain(node, list, problems)) return [];
  if (!isSeq(node)) {
    problems.push(`${list}: expected a list`);
    return [];
  }
  const out: Entry[] = [];
  const seen = new Set<string>();
  node.items.forEach((item, i) => {
    const path = `${list}[${i}]`;
    const m = mapping(item as YamlNode | null, path, problems);
    if (!m) return;
    for (const k of m.keys())
      if (!(ALLOWED_FIELDS.entry[list] as readonly string[]).includes(k)) refuse(k, join(path, k), problems);
    const name = stringOf(m.get('name'), `${path}.name`, problems);
    if (name === undefined) return;
    if (!name || name.length > 253 || /[\u0000-\u001f\u007f]/.test(name)) {
      problems.push(`${path}.name: expected a name of 1 to 253 characters without control characters`);
      return;
    }
    if (seen.has(name)) {
      problems.push(
        `${path}.name: ${JSON.stringify(name)} is named twice in ${list} (readers disagree on which one counts)`,
      );
      return;
    }
    seen.add(name);
    const body = mapping(m.get(inner) ?? null, `${path}.${inner}`, problems);
    if (body) out.push({ name, path: `${path}.${inner}`, body });
  });
  return out;
}

function refuse(key: string, path: string, problems: string[]): void {
  problems.push(`${path}: ${REASONS[fold(key)] ?? 'not a field a binding needs'}`);
}

function unknownFields(e: Entry, allowed: readonly string[], problems: string[]): void {
  for (const k of e.body.keys()) if (!allowed.includes(k)) refuse(k, join(e.path, k), problems);
}

function clusterOf(e: Entry, problems: string[]): { server: string; caData?: string | undefined } {
  unknownFields(e, ALLOWED_FIELDS.cluster, problems);
  const insecure = e.body.get('insecure-skip-tls-verify');
  if (insecure !== undefined && scalarOf(insecure, `${e.path}.insecure-skip-tls-verify`, problems) !== false) {
    problems.push(`${e.path}.insecure-skip-tls-verify: turns TLS verification off (only false is accepted)`);
  }
  const server = stringOf(e.body.get('server'), `${e.path}.server`, problems) ?? '';
  const url = URL.canParse(server) ? new URL(server) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname || /\s/.test(server))
    problems.push(`${e.path}.server: cluster ${JSON.stringify(e.name)} has no valid server URL`);
  else if (url.protocol !== 'https:')
    problems.push(`${e.path}.server: is http://: the credential would travel in clear (https:// only)`);
  else if (url.username || url.password || url.search || url.hash)
    problems.push(
      `${e.path}.server: carries ` +
        `${url.username || url.password ? 'credentials' : url.search ? 'a query' : 'a fragment'}; expected ` +
        `https://host[:port][/path]`,
    );
  const caNode = e.body.get('certificate-authority-data');
  const caData = caNode === undefined ? undefined : stringOf(caNode, `${e.path}.certificate-authority-data`, problems);
  if (caData !== undefined && !pemData(caData, 'CERTIFICATE')) {
    problems.push(
      `cluster ${JSON.stringify(e.name)} certificate-authority-data is not base64 of a PEM certificate (see ` +
        `the k8sca pitfall in the Klutch docs)`,
    );
  }
  return { server: server.replace(/\/+$/, ''), caData };
}

function userOf(
  e: Entry,
  problems: string[],
): { token?: string | undefined; certData?: string | undefined; keyData?: string | undefined } {
  unknownFields(e, ALLOWED_FIELDS.user, problems);
  const tokenNode = e.body.get('token');
  let token = tokenNode === undefined ? undefined : stringOf(tokenNode, `${e.path}.token`, problems)?.trim();
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    problems.push(`${e.path}.token: expected visible ASCII characters only (it becomes an HTTP header)`);
    token = undefined;
  }
  const certNode = e.body.get('client-certificate-data');
  const keyNode = e.body.get('client-key-data');
  const certData =
    certNode === undefined ? undefined : stringOf(certNode, `${e.path}.client-certificate-data`, problems);
  const keyData = keyNode === undefined ? undefined : stringOf(keyNode, `${e.path}.client-key-data`, problems);
  if ((certData === undefined) !== (keyData === undefined))
    problems.push(`${e.path}: client-certificate-data and client-key-data go together`);
  if (certData !== undefined && !pemData(certData, 'CERTIFICATE'))
    problems.push(`${e.path}.client-certificate-data: not base64 of a PEM certificate`);
  if (keyData !== undefined && !pemData(keyData, 'PRIVATE KEY'))
    problems.push(`${e.path}.client-key-data: not base64 of a PEM private key`);
  if (tokenNode === undefined && certNode === undefined && keyNode === undefined)
    problems.push(`${e.path}: no credential (token, or client-certificate-data and client-key-data)`);
  return { token, certData, keyData };
}

function contextOf(
  e: Entry,
  problems: string[],
): { cluster?: string | undefined; user?: string | undefined; namespace?: string | undefined } {
  unknownFields(e, ALLOWED_FIELDS.context, problems);
  const get = (k: string) => (e.body.has(k) ? stringOf(e.body.get(k), `${e.path}.${k}`, problems) : undefined);
  const c = { cluster: get('cluster'), user: get('user'), namespace: get('namespace') };
  if (!c.cluster) problems.push(`${e.path}.cluster is missing: every context names its cluster`);
  if (!c.user) problems.push(`${e.path}.user is missing: every context names its user`);
  return c;
}

/** Canonical base64 of text holding a PEM certificate, or a PEM private key (PKCS#8, RSA or EC; not encrypted). */
function pemData(b64: string, type: 'CERTIFICATE' | 'PRIVATE KEY'): boolean {
  if (!b64 || !isStrictBase64(b64)) return false;
  const pem = Buffer.from(b64, 'base64').toString('latin1');
  const kinds = type === 'CERTIFICATE' ? ['CERTIFICATE'] : ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];
  return kinds.some((k) => pem.includes(`-----BEGIN ${k}-----`) && pem.includes(`-----END ${k}-----`));
}
