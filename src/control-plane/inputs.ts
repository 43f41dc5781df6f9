/**
 * Everything render needs, gathered and checked: the values file (schema,
 * defaults, secret references), the control-plane API address and PEM CA
 * (values, else the kubeconfig), and the cookie keys (values, --previous,
 * --seed, the cluster's Secret, else new random ones).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { kubeconfigError, readKubeconfig } from '../kube/kubeconfig.ts';
import { addSecret, log } from '../log.ts';
import { keysFromManifest, keysFromSeed, randomKeys, type CookieKeys, type KeySource } from './keys.ts';
import { BACKEND_NAMESPACE, type RenderInputs } from './render.ts';
import { resolveRef, resolveSecrets } from './secrets.ts';
import { parseValues, refusePlaceholders, settingsOf, type Settings } from './values.ts';

export interface KubeconfigFacts {
  server: string;
  /** PEM of certificate-authority-data or certificate-authority, if the cluster entry has one. */
  caPem: string | undefined;
}

/** Server and CA of the current context's cluster (kube/kubeconfig.ts reads it); InputError names the kubeconfig and
 * the problem. */
export function kubeconfigFacts(text: string, path: string): KubeconfigFacts {
  const where = `--kubeconfig ${path}`;
  const fail = (why: string) => kubeconfigError(`${where}${why.startsWith('has ') ? ' ' : ': '}${why}`);
  const r = readKubeconfig(text, { baseDir: dirname(path), connect: false });
  if (r.loadError) throw kubeconfigError(`${where} is not a usable kubeconfig: ${r.loadError}`);
  if (!r.cluster) throw fail(r.missing ?? 'has no current-context');
  const { name, server, caPem, caError } = r.cluster;
  if (!/^https?:\/\/\S+$/.test(server)) throw fail(`cluster ${JSON.stringify(name)} has no valid server URL`);
  if (caError) throw fail(caError);
  if (caPem !== undefined && !caPem.includes('-----BEGIN CERTIFICATE-----'))
    throw fail('certificate-authority-data is not base64 of a PEM certificate');
  return { server: server.replace(/\/+$/, ''), caPem };
}

/**
 * A PEM certificate (bundle) the backend can mount as --external-ca-file.
 * Base64 of PEM, the classic mistake (pitfall 6), is decoded with a note.
 */
export function checkCaPem(text: string, field: string): string {
  let pem = text;
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    const decoded = /^[A-Za-z0-9+/=\s]+$/.test(pem)
      ? Buffer.from(pem.replace(/\s+/g, ''), 'base64').toString('utf8')
      : '';
    if (!decoded.includes('-----BEGIN CERTIFICATE-----'))
      throw new InputError(
        'HELPER_VALUES_CA',
        `${field}: not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
      );
    log.info(`${field} is base64 of PEM; using the decoded PEM (the backend reads --external-ca-file as PEM)`);
    pem = decoded;
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new InputError('HELPER_VALUES_CA', `${field}: no complete PEM certificate block`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new InputError(
        'HELPER_VALUES_CA',
        `${field}: certificate ${i + 1} cannot be parsed: ${(err as Error).message}`,
      );
    }
  });
  return pem;
}

export interface PrepareOptions {
  /** Values file path, or - for stdin. */
  valuesFile: string;
  env: NodeJS.ProcessEnv;
  kubeconfig?: { path: string; text: string } | undefined;
  /** A previous render to take the cookie keys from. */
  previous?: string | undefined;
  /** A seed (literal, env:NAME or file:PATH) the cookie keys are derived from. */
  seed?: string | undefined;
  /** Reads the cookie keys already in the cluster (apply); undefined when there are none. */
  clusterKeys?: (() => Promise<CookieKeys | undefined>) | undefined;
  readStdin?: () => string;
}

export interface Prepared {
  inputs: RenderInputs;
  settings: Settings;
  keySource: KeySource;
}

export function readValues(file: string, readStdin?: () => string): { text: string; source: string; baseDir: string } {
  if (file === '-')
    return { text: (readStdin ?? (() => readFileSync(0, 'utf8')))(), source: 'stdin', baseDir: resolve() };
  try {
    return { text: readFileSync(file, 'utf8'), source: file, baseDir: dirname(resolve(file)) };
  } catch (err) {
    throw new InputError(
      'HELPER_VALUES_READ',
      `cannot read -f ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

export async function prepare(opts: PrepareOptions): Promise<Prepared> {
  const { text, source, baseDir } = readValues(opts.valuesFile, opts.readStdin);
  const settings = settingsOf(parseValues(text, source));
  refusePlaceholders(text, source);
  for (const note of settings.ignored) log.warn(note);
  const ctx = { env: opts.env, baseDir };
  const secrets = resolveSecrets(settings, ctx);
  const facts = opts.kubeconfig ? kubeconfigFacts(opts.kubeconfig.text, opts.kubeconfig.path) : undefined;

  const externalAddress = settings.backend.externalAddress ?? facts?.server;
  if (!externalAddress)
    throw new InputError(
      'HELPER_VALUES_MISSING',
      "/backend/externalAddress: not set, and no --kubeconfig to take the control plane's server from",
    );
  if (/^https?:\/\/(127\.|localhost|\[::1\])/.test(externalAddress)) {
    log.warn(
      `the external address ${externalAddress} is a loopback address: konnectors on App Clusters cannot ` +
        `reach it (set /backend/externalAddress)`,
    );
  }
  let caPem: string;
  if (secrets.caPem !== undefined) caPem = checkCaPem(secrets.caPem, '/backend/caCertificate');
  else if (facts?.caPem) caPem = checkCaPem(facts.caPem, `--kubeconfig ${opts.kubeconfig!.path} certificate-authority`);
  else if (facts)
    throw new InputError(
      'HELPER_VALUES_MISSING',
      `/backend/caCertificate: not set, and --kubeconfig ${opts.kubeconfig!.path} names no ` +
        `certificate-authority for its cluster`,
    );
  else
    throw new InputError(
      'HELPER_VALUES_MISSING',
      "/backend/caCertificate: not set, and no --kubeconfig to take the control plane's CA from",
    );

  let cookieKeys: CookieKeys | undefined;
  let keySource: KeySource;
  if (secrets.cookieKeys) {
    cookieKeys = secrets.cookieKeys;
    keySource = 'values';
  } else if (opts.previous) {
    let prev: string;
    try {
      prev = readFileSync(opts.previous, 'utf8');
    } catch (err) {
      throw new InputError(
        'HELPER_PREVIOUS',
        `cannot read --previous ${opts.previous}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    cookieKeys = keysFromManifest(prev, opts.previous, BACKEND_NAMESPACE);
    keySource = 'previous';
  } else if (opts.seed !== undefined) {
    const seed = resolveRef(opts.seed, '--seed', { env: opts.env, baseDir: resolve() });
    addSecret(seed);
    if (seed.length < 16)
      throw new InputError(
        'HELPER_SEED',
        '--seed: use at least 16 characters (e.g. openssl rand -base64 24); the cookie keys are only as ' +
          'secret as the seed',
      );
    cookieKeys = keysFromSeed(seed);
    keySource = 'seed';
  } else {
    cookieKeys = await opts.clusterKeys?.();
    keySource = 'cluster';
  }
  if (!cookieKeys) {
    cookieKeys = randomKeys();
    keySource = 'random';
  }
  log.debug(`cookie keys: ${keySource}`);
  return { inputs: { settings, secrets, externalAddress, caPem, cookieKeys }, settings, keySource };
}
