/**
 * The backend's cookie signing and encryption keys (each base64 of 32
 * bytes, like `openssl rand -base64 32`). New random keys log every user
 * out, so re-renders keep them: from the values file, a previous render, a
 * seed, or (apply) the Secret already in the cluster; random only when none
 * of these is given.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { InputError } from '../errors.ts';
import { addSecret } from '../log.ts';
import { checkCookieKey } from './secrets.ts';

export interface CookieKeys {
  signingKey: string;
  encryptionKey: string;
}

export type KeySource = 'values' | 'previous' | 'seed' | 'cluster' | 'random';

export const COOKIE_SECRET = 'cookie-config';
const SIGNING = 'signing-key';
const ENCRYPTION = 'encryption-key';

/** The same seed always gives the same two keys; different purposes give unrelated keys. */
export function keysFromSeed(seed: string): CookieKeys {
  const derive = (info: string) =>
    Buffer.from(hkdfSync('sha256', seed, 'helper control-plane cookie-config', info, 32)).toString('base64');
  return registered({ signingKey: derive(SIGNING), encryptionKey: derive(ENCRYPTION) });
}

export function randomKeys(): CookieKeys {
  return registered({
    signingKey: randomBytes(32).toString('base64'),
    encryptionKey: randomBytes(32).toString('base64'),
  });
}

/** The keys of a cookie-config Secret object (data or stringData), or undefined when it has none. */
export function keysFromSecret(obj: unknown, where: string): CookieKeys | undefined {
  const o = obj as { data?: Record<string, unknown>; stringData?: Record<string, unknown> } | undefined;
  const pick = (key: string): string | undefined => {
    const d = o?.data?.[key];
    if (typeof d === 'string' && d) return Buffer.from(d, 'base64').toString('utf8');
    const s = o?.stringData?.[key];
    return typeof s === 'string' && s ? s : undefined;
  };
  const signingKey = pick(SIGNING);
  const encryptionKey = pick(ENCRYPTION);
  if (!signingKey || !encryptionKey) return undefined;
  return registered({
    signingKey: checkCookieKey(signingKey, `${where} ${SIGNING}`),
    encryptionKey: checkCookieKey(encryptionKey, `${where} ${ENCRYPTION}`),
  });
}

/** The keys in a previous render's Secret <namespace>/cookie-config. */
export function keysFromManifest(text: string, source: string, namespace: string): CookieKeys {
  for (const doc of parseAllDocuments(text, { version: '1.1' }) as Iterable<{
    errors: unknown[];
    toJS: () => unknown;
  }>) {
    if (doc.errors.length) throw new InputError('HELPER_PREVIOUS', `--previous ${source} is not valid YAML`);
    const o = doc.toJS() as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: { name?: unknown; namespace?: unknown };
    } | null;
    if (
      o?.apiVersion === 'v1' &&
      o.kind === 'Secret' &&
      o.metadata?.name === COOKIE_SECRET &&
      o.metadata.namespace === namespace
    ) {
      const keys = keysFromSecret(o, `--previous ${source}: Secret ${namespace}/${COOKIE_SECRET}`);
      if (keys) return keys;
      throw new InputError(
        'HELPER_PREVIOUS',
        `--previous ${source}: Secret ${namespace}/${COOKIE_SECRET} lacks ${SIGNING} or ${ENCRYPTION}`,
      );
    }
  }
  throw new InputError(
    'HELPER_PREVIOUS',
    `--previous ${source} holds no Secret ${namespace}/${COOKIE_SECRET} (is it the output of helper ` +
      `control-plane render?)`,
  );
}

function registered(k: CookieKeys): CookieKeys {
  addSecret(k.signingKey);
  addSecret(k.encryptionKey);
  return k;
}
