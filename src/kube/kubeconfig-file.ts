/**
 * A kubeconfig file named by a flag (--kubeconfig, --apply-to), $KUBECONFIG
 * or ~/.kube/config: found (resolveKubeconfig) and read in one place, so every command gives the same error for a
 * missing, oversized or
 * non-UTF-8 file, and registers the file's credentials for redaction before
 * anything could print them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, parseDocument, stringify, type Document } from 'yaml';
import { InputError } from '../errors.ts';
import { addSecret, log } from '../log.ts';

/** Larger than any real kubeconfig (hundreds of contexts fit in 1 MiB). */
export const KUBECONFIG_LIMIT = 16 * 1024 * 1024;

/** Registers a kubeconfig's tokens, client keys and passwords as secrets, so log output redacts them. */
export function registerKubeconfigSecrets(text: string): void {
  for (const m of text.matchAll(/^\s*(?:token|client-key-data|password):\s*["']?([^\s"']+)/gm)) addSecret(m[1]);
}

/** The file's text; InputError HELPER_KUBECONFIG_READ names the flag, the path and the problem. */
export function readKubeconfigFile(path: string, flag = '--kubeconfig'): string {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      'HELPER_KUBECONFIG_READ',
      `cannot read ${flag} ${path}: ` +
        `${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err))}`,
    );
  }
  if (raw.byteLength > KUBECONFIG_LIMIT)
    throw new InputError('HELPER_KUBECONFIG_READ', `${flag} ${path} is ${raw.byteLength} bytes; the limit is 16 MiB`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new InputError('HELPER_KUBECONFIG_READ', `${flag} ${path} is not UTF-8 text`);
  }
  registerKubeconfigSecrets(text);
  return text;
}

/** Where a kubeconfig came from, for messages and `-v`. */
export type KubeconfigSource = '--kubeconfig' | 'KUBECONFIG' | '~/.kube/config' | string;

export interface ResolvedKubeconfig {
  /** The kubeconfig text helper uses: the file as read, or the merge of several files, with --context applied. */
  text: string;
  /** The files read, in precedence order. */
  files: string[];
  /** Which input named them: the flag, $KUBECONFIG or ~/.kube/config. */
  source: KubeconfigSource;
  /** One label for messages: the file, or the files joined with ':'. */
  label: string;
  /** How messages name the input: `--kubeconfig FILE`, or `kubeconfig FILES (from KUBECONFIG)`. */
  where: string;
  /** The context in effect (--context, else the current-context), or undefined when none is set. */
  context: string | undefined;
}

export interface ResolveOptions {
  /** The value of the kubeconfig flag, when given (one file, as with kubectl). */
  flag?: string | undefined;
  /** The flag's name for messages; default --kubeconfig. */
  flagName?: string;
  /** --context, when given. */
  context?: string | undefined;
  /** The environment: KUBECONFIG and HOME. */
  env: NodeJS.ProcessEnv;
  /** false: only the flag (for inputs that must be named explicitly); default true. */
  fallback?: boolean;
  /** The ServiceAccount directory of the in-cluster fallback; default SERVICE_ACCOUNT_DIR (a seam for tests). */
  serviceAccountDir?: string;
}

/** Where the kubelet mounts a Pod's ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How `-v` and messages name the in-cluster fallback. */
export const IN_CLUSTER = 'in-cluster configuration (ServiceAccount token)';

/**
 * client-go's in-cluster configuration, as a kubeconfig: https://HOST:PORT of
 * KUBERNETES_SERVICE_HOST/PORT (an IPv6 address bracketed), the CA file and
 * the token (read now: once per run) of the ServiceAccount directory, its
 * namespace as the context's. Undefined when the variables or the token file
 * are missing. The token is registered as a secret before anything could print it.
 */
export function inClusterKubeconfig(env: NodeJS.ProcessEnv, dir: string): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  const port = env.KUBERNETES_SERVICE_PORT?.trim();
  const tokenFile = join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const token = readKubeconfigFile(tokenFile, 'ServiceAccount token').trim();
  if (!token) throw new InputError('HELPER_KUBECONFIG_READ', `${IN_CLUSTER}: the token file ${tokenFile} is empty`);
  addSecret(token);
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    // client-go goes on without it (the namespace "default").
  }
  const ca = join(dir, 'ca.crt');
  const server = `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  log.debug(`kubeconfig: ${IN_CLUSTER}: ${server}, ${dir}${namespace ? `, namespace ${namespace}` : ''}`);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'in-cluster', cluster: { server, ...(existsSync(ca) ? { 'certificate-authority': ca } : {}) } }],
    users: [{ name: 'in-cluster', user: { token } }],
    contexts: [
      {
        name: 'in-cluster',
        context: { cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) },
      },
    ],
    'current-context': 'in-cluster',
  });
}

/**
 * The kubeconfig as kubectl finds it: the flag, else every existing file of
 * $KUBECONFIG (a path list; missing entries are skipped as kubectl skips them)
 * merged as kubectl merges (the first file that names a cluster, user or
 * context wins it; current-context comes from the first file that sets one),
 * else ~/.kube/config, else (in a Pod) the in-cluster configuration of the
 * ServiceAccount token. --context replaces the current context and must name a
 * context of the result. Every file goes through readKubeconfigFile (size
 * bound, UTF-8, secrets registered). InputError (exit 3) names the inputs.
 */
export function resolveKubeconfig(opts: ResolveOptions): ResolvedKubeconfig {
  const flagName = opts.flagName ?? '--kubeconfig';
  let files: string[];
  let source: KubeconfigSource;
  if (opts.flag !== undefined && opts.flag !== '') {
    files = [opts.flag];
    source = flagName;
  } else if (opts.fallback === false) {
    throw new InputError('HELPER_KUBECONFIG_READ', `no kubeconfig: pass ${flagName} FILE`);
  } else {
    const found = fallbackFiles(opts.env, flagName);
    if ('files' in found) {
      files = found.files;
      source = found.source;
    } else {
      const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
      const text = inClusterKubeconfig(opts.env, dir);
      if (text === undefined)
        throw new InputError(
          'HELPER_KUBECONFIG_READ',
          found.error +
            (opts.env.KUBERNETES_SERVICE_HOST
              ? `; no ${IN_CLUSTER} either (${join(dir, 'token')} does not exist, or KUBERNETES_SERVICE_PORT is unset)`
              : ''),
        );
      return withContext({ text, files: [], source: 'in-cluster', label: IN_CLUSTER, where: IN_CLUSTER }, opts.context);
    }
  }
  const label = files.join(delimiter);
  const texts = files.map((f) =>
    readKubeconfigFile(f, source === flagName ? flagName : source === 'KUBECONFIG' ? 'KUBECONFIG file' : 'kubeconfig'),
  );
  const text = texts.length === 1 ? texts[0]! : mergeKubeconfigs(files, texts);
  const where = source === flagName ? `${flagName} ${label}` : `kubeconfig ${label} (from ${source})`;
  const r = withContext({ text, files, source, label, where }, opts.context);
  log.debug(
    `kubeconfig: ${label} (from ${source}${files.length > 1 ? `, ${files.length} files merged` : ''}); ` +
      `context ${r.context === undefined ? '(none)' : JSON.stringify(r.context)}` +
      `${opts.context !== undefined ? ' (--context)' : ''}`,
  );
  return r;
}

/** $KUBECONFIG's existing files, else ~/.kube/config; or why there is none. */
function fallbackFiles(
  env: NodeJS.ProcessEnv,
  flagName: string,
): { files: string[]; source: KubeconfigSource } | { error: string } {
  if (env.KUBECONFIG?.trim()) {
    const listed = [...new Set(env.KUBECONFIG.split(delimiter).filter((p) => p.trim() !== ''))];
    const files = listed.filter((p) => existsSync(p));
    if (!files.length)
      return {
        error:
          `none of the files in KUBECONFIG exists (${listed.join(delimiter)}); pass ${flagName} FILE or fix ` +
          `KUBECONFIG`,
      };
    if (files.length < listed.length)
      log.debug(
        `KUBECONFIG: skipping ${listed.filter((p) => !files.includes(p)).join(', ')} (no such file), as kubectl does`,
      );
    return { files, source: 'KUBECONFIG' };
  }
  const home = env.HOME || homedir();
  const def = join(home, '.kube', 'config');
  if (!existsSync(def))
    return {
      error: `no kubeconfig: pass ${flagName} FILE, set KUBECONFIG, or create ~/.kube/config (${def} does not exist)`,
    };
  return { files: [def], source: '~/.kube/config' };
}

/** --context applied to a resolved kubeconfig's text (it must name one of its contexts). */
function withContext(r: Omit<ResolvedKubeconfig, 'context'>, wanted: string | undefined): ResolvedKubeconfig {
  const { label } = r;
  let text = r.text;
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { uniqueKeys: false });
  } catch (err) {
    throw new InputError(
      'HELPER_KUBECONFIG_INVALID',
      `kubeconfig ${label} is not YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  } catch {
    // An alias bomb or the like: the checks that read the text report it.
  }
  const contexts =
    isRecord(parsed) && Array.isArray(parsed.contexts)
      ? parsed.contexts
          .filter(isRecord)
          .map((c) => c.name)
          .filter((n): n is string => typeof n === 'string')
      : [];
  let context =
    isRecord(parsed) && typeof parsed['current-context'] === 'string' && parsed['current-context']
      ? parsed['current-context']
      : undefined;
  if (wanted !== undefined) {
    if (!contexts.includes(wanted)) {
      throw new InputError(
        'HELPER_KUBECONFIG_CONTEXT',
        `--context ${JSON.stringify(wanted)} is not a context of kubeconfig ${label} (` +
          `${contexts.length ? `contexts: ${contexts.slice(0, 20).join(', ')}` : 'it has no contexts'})`,
      );
    }
    if (wanted !== context) {
      doc.set('current-context', wanted);
      text = doc.toString();
    }
    context = wanted;
  }
  return { ...r, text, context };
}

/** Fields holding a path that kubectl resolves relative to the file naming it. */
const PATH_FIELDS = {
  clusters: ['certificate-authority'],
  users: ['client-certificate', 'client-key', 'tokenFile'],
} as const;

/**
 * kubectl's merge of a KUBECONFIG list: per list (clusters, users, contexts)
 * the first entry of a name wins; current-context and any other top-level
 * key come from the first file that sets them. Relative paths inside an
 * entry are made absolute against its file's directory, as kubectl does.
 */
export function mergeKubeconfigs(files: string[], texts: string[]): string {
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Config' };
  const lists: Record<'clusters' | 'users' | 'contexts', Record<string, unknown>[]> = {
    clusters: [],
    users: [],
    contexts: [],
  };
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  texts.forEach((text, i) => {
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100, uniqueKeys: false });
    } catch (err) {
      throw new InputError(
        'HELPER_KUBECONFIG_INVALID',
        `KUBECONFIG file ${files[i]} is not YAML: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (doc === null || doc === undefined) return;
    if (!isRecord(doc))
      throw new InputError(
        'HELPER_KUBECONFIG_INVALID',
        `KUBECONFIG file ${files[i]} is not a kubeconfig: expected a YAML mapping`,
      );
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'clusters' || k === 'users' || k === 'contexts') {
        for (const e of Array.isArray(v) ? v : []) {
          if (!isRecord(e) || typeof e.name !== 'string' || seen[k].has(e.name)) continue;
          seen[k].add(e.name);
          lists[k].push(absolutePaths(k, e, dirname(files[i]!)));
        }
      } else if (k === 'current-context') {
        if (out[k] === undefined && typeof v === 'string' && v) out[k] = v;
      } else if (!(k in out) || k === 'apiVersion' || k === 'kind') {
        if (!(k in out)) out[k] = v;
      }
    }
  });
  return stringify({ ...out, ...lists }, { aliasDuplicateObjects: false });
}

function absolutePaths(
  list: 'clusters' | 'users' | 'contexts',
  entry: Record<string, unknown>,
  dir: string,
): Record<string, unknown> {
  if (list === 'contexts') return entry;
  const key = list === 'users' ? 'user' : 'cluster';
  const inner = entry[key];
  if (!isRecord(inner)) return entry;
  const fixed = { ...inner };
  for (const f of PATH_FIELDS[list]) {
    const p = fixed[f];
    if (typeof p === 'string' && p && !isAbsolute(p)) fixed[f] = resolve(dir, p);
  }
  return { ...entry, [key]: fixed };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
