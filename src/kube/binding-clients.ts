/**
 * status and unbind read the same two kubeconfigs: the provider kubeconfig
 * (its current context's namespace is the cluster namespace) and, when
 * given, the App Cluster's. Both are checked before any call; the file's
 * credentials are registered for redaction as they are read.
 */
import { parse } from 'yaml';
import { InputError } from '../errors.ts';
import { readCaFile, warnInsecure } from '../http.ts';
import { log } from '../log.ts';
import { loadKubeConfig } from './client.ts';
import { inspectKubeconfig, type ProviderKubeconfig } from './kubeconfig.ts';
import { readKubeconfigFile, resolveKubeconfig } from './kubeconfig-file.ts';
import { KubeObjectClient, type ObjectClient } from './objects.ts';

export interface ConnectOptions {
  /** --kubeconfig; undefined: $KUBECONFIG, else ~/.kube/config (unless explicitKubeconfig). */
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** unbind: the provider kubeconfig must be named (a stray $KUBECONFIG must not pick what is deleted). */
  explicitKubeconfig?: boolean | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  appKubeconfig?: string | undefined;
  requestTimeoutMs: number;
  attempts: number;
  caFile?: string | undefined;
  insecure: boolean;
  signal?: AbortSignal | undefined;
}

export interface BindingClients {
  provider: ProviderKubeconfig;
  /** The provider kubeconfig user's credential, as far as helper reports it (never the token itself). */
  credential: CredentialFacts;
  cp: ObjectClient;
  app?: ObjectClient | undefined;
}

export interface CredentialFacts {
  type: 'token' | 'client-certificate' | 'exec' | 'auth-provider' | 'other';
  /** The JWT's `exp` as an ISO time, null for a JWT without exp, undefined when the token is not a JWT. */
  expiresAt?: string | null | undefined;
  /** The JWT's `sub`, when it has one (e.g. system:serviceaccount:<ns>:klutch-binder). */
  subject?: string | undefined;
}

export function connect(opts: ConnectOptions): BindingClients {
  const resolved = resolveKubeconfig({ flag: opts.kubeconfig, context: opts.context, env: opts.env ?? process.env, fallback: !opts.explicitKubeconfig });
  const { text } = resolved;
  const { where } = resolved;
  const k = inspectKubeconfig(text);
  if (!k.ok) throw new InputError('HELPER_KUBECONFIG_INVALID', `${where} cannot be used:`, k.problems);
  const caPem = readCaFile(opts.caFile);
  if (opts.insecure) warnInsecure('the clusters\' TLS certificates are');
  const policy = { timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, signal: opts.signal };
  const load = (t: string, flag: string, file: string) => {
    try {
      return loadKubeConfig(t, { extraCaPem: caPem, insecure: opts.insecure });
    } catch (err) {
      throw new InputError('HELPER_KUBECONFIG_INVALID', `${file ? `${flag} ${file}` : flag} cannot be used: ${(err as Error).message}`);
    }
  };
  const cp = new KubeObjectClient(load(text, where, ''), 'control plane', policy);
  let app: ObjectClient | undefined;
  if (opts.appKubeconfig) {
    const appText = readKubeconfigFile(opts.appKubeconfig, '--app-kubeconfig');
    const kc = load(appText, '--app-kubeconfig', opts.appKubeconfig);
    if (!kc.getCurrentCluster()) throw new InputError('HELPER_KUBECONFIG_INVALID', `--app-kubeconfig ${opts.appKubeconfig} cannot be used: its current context names no cluster`);
    app = new KubeObjectClient(kc, 'App Cluster', policy);
  }
  return { provider: k.value, credential: credentialFacts(text, k.value.userName), cp, app };
}

/** What kind of credential the kubeconfig's user carries, and a JWT's expiry and subject (its signature is not checked: this is only a report). */
export function credentialFacts(text: string, userName: string): CredentialFacts {
  const doc = parse(text, { maxAliasCount: 100, uniqueKeys: false }) as { users?: Array<{ name?: unknown; user?: Record<string, unknown> }> };
  const user = (Array.isArray(doc?.users) ? doc.users : []).find((u) => u?.name === userName)?.user ?? {};
  if (typeof user.token === 'string') return { type: 'token', ...jwtFacts(user.token) };
  if (user['client-certificate-data'] || user['client-certificate']) return { type: 'client-certificate' };
  if (user.exec) return { type: 'exec' };
  if (user['auth-provider']) return { type: 'auth-provider' };
  return { type: 'other' };
}

function jwtFacts(token: string): { expiresAt?: string | null; subject?: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown; sub?: unknown };
    return {
      expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : null,
      ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
    };
  } catch {
    return {};
  }
}
