/**
 * The private key of private_key_jwt client authentication (RFC 7523 §2.2),
 * read from OIDC_CLIENT_KEY_FILE / --client-key-file: a PEM private key
 * (PKCS#8, PKCS#1 RSA or SEC1 EC) or a JWK (a single key, or a JWK Set
 * holding exactly one private key). The signing algorithm follows the key:
 * RSA → RS256 (PS256 when the JWK says so, or for an RSA-PSS key), EC P-256 →
 * ES256, Ed25519 → EdDSA. The key id is the JWK's `kid`, else
 * OIDC_CLIENT_KEY_ID, else the key's RFC 7638 JWK thumbprint (SHA-256).
 * Every problem is an InputError (exit 3) naming the file, never its content.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject, type webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { InputError } from '../errors.ts';

export type KeyAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface ClientKey {
  /** The WebCrypto key openid-client's PrivateKeyJwt signs with (not extractable). */
  key: webcrypto.CryptoKey;
  kid: string;
  alg: KeyAlg;
  /** Where it came from, for messages. */
  file: string;
  /** The private parts as text, to register for redaction (the JWK `d`, ... members). */
  secrets: string[];
}

const SUBTLE: Record<KeyAlg, webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
};

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

function bad(file: string, problem: string): InputError {
  return new InputError('HELPER_CLIENT_KEY', `client key file ${file}: ${problem}`, undefined, {
    hint:
      'OIDC_CLIENT_KEY_FILE / --client-key-file takes an unencrypted PEM private key (RSA, EC P-256 or ' +
      'Ed25519) or a private JWK',
  });
}

/** The JWK of a file's text: a JWK, or a JWK Set with exactly one private key. */
function jwkOf(text: string, file: string): JsonWebKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad(file, 'not valid JSON (a JWK) and not a PEM key');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw bad(file, 'the JSON is not a JWK object');
  const o = parsed as { keys?: unknown };
  if (Array.isArray(o.keys)) {
    const priv = o.keys.filter((k) => typeof k === 'object' && k !== null && 'd' in k);
    if (priv.length !== 1)
      throw bad(file, `a JWK Set needs exactly one private key (one with "d"); it holds ${priv.length}`);
    return priv[0] as JsonWebKey;
  }
  const jwk = parsed as JsonWebKey;
  if (typeof jwk.kty !== 'string') throw bad(file, 'the JWK has no "kty"');
  if (!('d' in jwk)) throw bad(file, 'the JWK is a public key (no "d"); helper needs the private key');
  return jwk;
}

function algOf(ko: KeyObject, jwkAlg: string | undefined, file: string): KeyAlg {
  const type = ko.asymmetricKeyType;
  if (type === 'rsa' || type === 'rsa-pss') {
    if ((ko.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw bad(file, `the RSA key has ${ko.asymmetricKeyDetails?.modulusLength} bits; at least 2048 are needed`);
    if (jwkAlg !== undefined && jwkAlg !== 'RS256' && jwkAlg !== 'PS256')
      throw bad(file, `the JWK's "alg" ${JSON.stringify(jwkAlg)} is not supported for RSA (RS256 or PS256)`);
    return type === 'rsa-pss' ? 'PS256' : ((jwkAlg as KeyAlg | undefined) ?? 'RS256');
  }
  if (type === 'ec') {
    const curve = ko.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') throw bad(file, `the EC key's curve ${curve} is not supported (P-256 for ES256)`);
    if (jwkAlg !== undefined && jwkAlg !== 'ES256')
      throw bad(file, `the JWK's "alg" ${JSON.stringify(jwkAlg)} does not fit an EC P-256 key (ES256)`);
    return 'ES256';
  }
  if (type === 'ed25519') {
    if (jwkAlg !== undefined && jwkAlg !== 'EdDSA' && jwkAlg !== 'Ed25519')
      throw bad(file, `the JWK's "alg" ${JSON.stringify(jwkAlg)} does not fit an Ed25519 key (EdDSA)`);
    return 'EdDSA';
  }
  throw bad(file, `a ${type ?? 'symmetric'} key is not supported (RSA, EC P-256 or Ed25519)`);
}

/** Parses the key file's bytes; `kidOverride` is OIDC_CLIENT_KEY_ID (a JWK's own kid wins). */
export async function loadClientKey(bytes: Buffer, file: string, kidOverride?: string | undefined): Promise<ClientKey> {
  const text = bytes.toString('utf8').trim();
  if (!text) throw bad(file, 'the file is empty');
  let ko: KeyObject;
  let jwk: JsonWebKey | undefined;
  if (text.startsWith('{')) {
    jwk = jwkOf(text, file);
    try {
      ko = createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      throw bad(file, `the JWK (kty ${JSON.stringify(jwk.kty)}) is not a usable private key`);
    }
  } else {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
      throw bad(
        file,
        'the PEM key is encrypted; helper needs it unencrypted (keep the file itself protected, mode 0600)',
      );
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      throw bad(
        file,
        /-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY)-----/.test(text)
          ? 'it holds a public key or certificate, not a private key'
          : 'neither a PEM private key nor a JWK',
      );
    }
    try {
      ko = createPrivateKey(text);
    } catch {
      throw bad(file, 'the PEM private key cannot be parsed');
    }
  }
  const alg = algOf(ko, typeof jwk?.alg === 'string' ? jwk.alg : undefined, file);
  const full = (jwk ?? ko.export({ format: 'jwk' })) as Record<string, unknown>;
  const secrets = PRIVATE_MEMBERS.map((m) => full[m]).filter((v): v is string => typeof v === 'string');
  let key: webcrypto.CryptoKey;
  try {
    key = ko.toCryptoKey(SUBTLE[alg], false, ['sign']);
  } catch (err) {
    throw bad(file, `the key cannot sign ${alg} (${(err as Error).message})`);
  }
  let kid = typeof jwk?.kid === 'string' && jwk.kid ? jwk.kid : kidOverride;
  kid ||= await calculateJwkThumbprint(createPublicKey(ko).export({ format: 'jwk' }) as JWK, 'sha256');
  return { key, kid, alg, file, secrets };
}
