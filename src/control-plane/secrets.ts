/**
 * Secret references of the values file, resolved at render time:
 * `env:NAME` reads an environment variable, `file:PATH` a file (relative to
 * the values file; trailing newlines of a secret dropped). Every resolved secret is
 * registered with the logger's redaction, and no message ever quotes a value.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { addSecret } from '../log.ts';
import type { DataServiceName, Settings } from './values.ts';

export interface RefContext {
  env: NodeJS.ProcessEnv;
  /** Directory relative file: paths are resolved against (the values file's). */
  baseDir: string;
}

const REF = /^(env|file):(.+)$/s;

export function isRef(value: string): boolean {
  return REF.test(value) && (value.startsWith('file:') || /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value));
}

/**
 * The value a field stands for: a reference is resolved, anything else is a
 * literal (the schema allows literals only where they are harmless: user
 * names, PEM). `secret: false` is for a public value (a CA): read verbatim
 * and not redacted.
 */
export function resolveRef(
  value: string,
  field: string,
  ctx: RefContext,
  opts: { secret: boolean } = { secret: true },
): string {
  const m = REF.exec(value);
  if (!m || !isRef(value)) return value;
  const [, kind, target] = m as unknown as [string, 'env' | 'file', string];
  let out: string;
  if (kind === 'env') {
    const v = ctx.env[target];
    if (v === undefined)
      throw new InputError('HELPER_VALUES_SECRET', `${field}: environment variable ${target} is not set`);
    out = v;
  } else {
    const path = isAbsolute(target) ? target : resolve(ctx.baseDir, target);
    try {
      out = readFileSync(path, 'utf8');
    } catch (err) {
      throw new InputError(
        'HELPER_VALUES_SECRET',
        `${field}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    // A secret file usually ends with a newline that is not part of the secret; a PEM file keeps its own.
    if (opts.secret) out = out.replace(/[\r\n]+$/, '');
  }
  if (!out.trim())
    throw new InputError(
      'HELPER_VALUES_SECRET',
      `${field}: ${kind === 'env' ? `environment variable ${target}` : `file ${target}`} is empty`,
    );
  if (opts.secret) addSecret(out);
  return out;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Every secret of the settings, resolved. */
export interface ResolvedSecrets {
  oidcClientSecret: string;
  cookieKeys: { signingKey: string; encryptionKey: string } | undefined;
  /** Inline or referenced PEM of backend.caCertificate, if set. */
  caPem: string | undefined;
  endpoints: Partial<Record<DataServiceName, { serviceBroker: Credentials; backupManager: Credentials }>>;
}

/**
 * Resolves every reference, and reports every one that cannot be resolved
 * at once (one InputError listing each field), so that a values file with
 * 29 references needs one run to learn what is unset, not 29.
 */
export function resolveSecrets(s: Settings, ctx: RefContext): ResolvedSecrets {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(err.message);
      return fallback;
    }
  };
  const ref = (value: string, field: string, opts?: { secret: boolean }) =>
    attempt(() => resolveRef(value, field, ctx, opts), '');
  const endpoints: ResolvedSecrets['endpoints'] = {};
  for (const ds of s.dataServices) {
    const creds = (which: 'serviceBroker' | 'backupManager'): Credentials => ({
      username: ref(ds[which].username, `/dataServices/${ds.name}/${which}/username`),
      password: ref(ds[which].password, `/dataServices/${ds.name}/${which}/password`),
    });
    endpoints[ds.name] = { serviceBroker: creds('serviceBroker'), backupManager: creds('backupManager') };
  }
  const oidcClientSecret = ref(s.oidc.clientSecret, '/oidc/clientSecret');
  const keys = s.backend.cookieKeys;
  const key = (value: string, field: string) => attempt(() => checkCookieKey(resolveRef(value, field, ctx), field), '');
  const cookieKeys = keys
    ? {
        signingKey: key(keys.signingKey, '/backend/cookieKeys/signingKey'),
        encryptionKey: key(keys.encryptionKey, '/backend/cookieKeys/encryptionKey'),
      }
    : undefined;
  const caPem =
    s.backend.caCertificate === undefined
      ? undefined
      : ref(s.backend.caCertificate, '/backend/caCertificate', { secret: false });
  if (problems.length === 1) throw new InputError('HELPER_VALUES_SECRET', problems[0]!);
  if (problems.length)
    throw new InputError(
      'HELPER_VALUES_SECRET',
      `${problems.length} references of the values file cannot be resolved`,
      problems,
    );
  return { oidcClientSecret, cookieKeys, caPem, endpoints };
}

/** The backend decodes each key from base64; AES wants 16, 24 or 32 bytes for encryption. */
export function checkCookieKey(key: string, field: string): string {
  const k = key.trim();
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(k) ? Buffer.from(k, 'base64') : undefined;
  if (!bytes || ![16, 24, 32].includes(bytes.length)) {
    throw new InputError(
      'HELPER_VALUES_SECRET',
      `${field}: not base64 of 16, 24 or 32 bytes (generate one with: openssl rand -base64 32)`,
    );
  }
  return k;
}
