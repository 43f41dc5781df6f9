/** loadClientKey: PEM and JWK keys of the four algorithms, the kid rules, and every malformed file named (exit 3),
 * never its content. */
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { loadClientKey } from '../../../src/token/client-key.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (k: typeof rsa.privateKey, type: 'pkcs8' | 'pkcs1' | 'sec1' = 'pkcs8') =>
  Buffer.from(k.export({ format: 'pem', type } as never) as string);
const jwk = (k: typeof rsa.privateKey, extra: object = {}) =>
  Buffer.from(JSON.stringify({ ...k.export({ format: 'jwk' }), ...extra }));

t.test('the algorithm follows the key; a JWK may ask for PS256', async (t) => {
  t.equal((await loadClientKey(pem(rsa.privateKey), 'k.pem')).alg, 'RS256');
  t.equal((await loadClientKey(pem(rsa.privateKey, 'pkcs1'), 'k.pem')).alg, 'RS256', 'PKCS#1 RSA PEM');
  t.equal((await loadClientKey(jwk(rsa.privateKey, { alg: 'PS256' }), 'k.json')).alg, 'PS256');
  t.equal((await loadClientKey(pem(ec.privateKey, 'sec1'), 'k.pem')).alg, 'ES256');
  t.equal((await loadClientKey(pem(ed.privateKey), 'k.pem')).alg, 'EdDSA');
  const k = await loadClientKey(pem(ec.privateKey), 'k.pem');
  t.equal(k.key.type, 'private');
  t.notOk(k.key.extractable, 'the CryptoKey cannot be exported again');
  t.same(k.key.usages, ['sign']);
});

t.test("kid: the JWK's own, else OIDC_CLIENT_KEY_ID, else the RFC 7638 thumbprint of the public key", async (t) => {
  t.equal((await loadClientKey(jwk(ec.privateKey, { kid: 'own' }), 'k.json', 'override')).kid, 'own');
  t.equal((await loadClientKey(pem(ec.privateKey), 'k.pem', 'override')).kid, 'override');
  const a = (await loadClientKey(pem(ec.privateKey), 'k.pem')).kid;
  const b = (await loadClientKey(jwk(ec.privateKey), 'k.json')).kid;
  t.match(a, /^[A-Za-z0-9_-]{43}$/);
  t.equal(a, b, 'the same key gives the same thumbprint from PEM and JWK');
  const set = Buffer.from(
    JSON.stringify({
      keys: [
        { ...ec.publicKey.export({ format: 'jwk' }), kid: 'pub' },
        { ...ec.privateKey.export({ format: 'jwk' }), kid: 'priv' },
      ],
    }),
  );
  t.equal((await loadClientKey(set, 'set.json')).kid, 'priv', 'a JWK Set with one private key');
});

t.test('the private parts are returned for redaction', async (t) => {
  const d = (ec.privateKey.export({ format: 'jwk' }) as { d: string }).d;
  t.ok((await loadClientKey(pem(ec.privateKey), 'k.pem')).secrets.includes(d), 'the JWK "d" of a PEM key');
  t.ok((await loadClientKey(jwk(rsa.privateKey), 'k.json')).secrets.length >= 6, 'd, p, q, dp, dq, qi of an RSA JWK');
});

t.test('malformed files: exit 3 naming the file and the problem, never the content', async (t) => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from(''), /client key file k: the file is empty/],
    [Buffer.from('hello'), /client key file k: neither a PEM private key nor a JWK/],
    [
      Buffer.from(rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string),
      /holds a public key or certificate, not a private key/,
    ],
    [
      Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      /the PEM private key cannot be parsed/,
    ],
    [
      Buffer.from(
        rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string,
      ),
      /the PEM key is encrypted/,
    ],
    [Buffer.from('{"kty":'), /not valid JSON/],
    [Buffer.from(JSON.stringify(ec.publicKey.export({ format: 'jwk' }))), /the JWK is a public key \(no "d"\)/],
    [jwk(rsa.privateKey, { alg: 'RS512' }), /"alg" "RS512" is not supported for RSA/],
    [pem(small), /the RSA key has 1024 bits; at least 2048 are needed/],
    [pem(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey), /curve secp384r1 is not supported/],
    [Buffer.from('{"keys":[]}'), /a JWK Set needs exactly one private key/],
  ];
  for (const [bytes, message] of cases) {
    const err = await loadClientKey(bytes, 'k').then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode: number; code: string },
    );
    t.equal(err?.exitCode, 3, String(message));
    t.equal(err?.code, 'HELPER_CLIENT_KEY');
    t.match(err?.message, message);
    t.notMatch(err?.message, /MII|"d":/, 'no key material in the message');
  }
});
