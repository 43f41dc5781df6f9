/**
 * The backend's cookie keys: derived from a seed (the same seed, the same
 * keys), random, or read back from a cookie-config Secret (the cluster's or
 * a previous render's); every key registered for redaction.
 */
import t from 'tap';
import {
  COOKIE_SECRET,
  keysFromManifest,
  keysFromSecret,
  keysFromSeed,
  randomKeys,
} from '../../../src/control-plane/keys.ts';
import { toYaml } from '../../../src/render/to-yaml.ts';
import { redact } from '../../../src/log.ts';
import { rendered } from '../../helpers/control-plane-fixtures.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const is32 = (k: string) => Buffer.from(k, 'base64').length === 32 && Buffer.from(k, 'base64').toString('base64') === k;

t.test('a seed gives the same two keys every time; another seed, other keys; each base64 of 32 bytes', async (t) => {
  const a = keysFromSeed('seed one, long enough');
  t.same(keysFromSeed('seed one, long enough'), a);
  t.not(a.signingKey, a.encryptionKey, 'signing and encryption keys are unrelated');
  t.not(keysFromSeed('seed two, long enough').signingKey, a.signingKey);
  t.ok(is32(a.signingKey) && is32(a.encryptionKey));
  t.equal(redact(`keys ${a.signingKey} ${a.encryptionKey}`), 'keys [REDACTED] [REDACTED]');
});

t.test('random keys differ per call and are registered for redaction', async (t) => {
  const a = randomKeys();
  const b = randomKeys();
  t.not(a.signingKey, b.signingKey);
  t.ok(is32(a.signingKey) && is32(a.encryptionKey));
  t.equal(redact(a.encryptionKey), '[REDACTED]');
});

t.test(
  'keysFromSecret: data (base64) or stringData; undefined when a key is missing; a malformed key is named',
  async (t) => {
    const k = keysFromSeed('secret seed, long enough');
    t.same(
      keysFromSecret(
        { data: { 'signing-key': b64(k.signingKey), 'encryption-key': b64(k.encryptionKey) } },
        'Secret x',
      ),
      k,
    );
    t.same(
      keysFromSecret({ stringData: { 'signing-key': k.signingKey, 'encryption-key': k.encryptionKey } }, 'Secret x'),
      k,
    );
    t.equal(keysFromSecret({ data: { 'signing-key': b64(k.signingKey) } }, 'Secret x'), undefined);
    t.equal(keysFromSecret(undefined, 'Secret x'), undefined);
    t.throws(
      () =>
        keysFromSecret(
          { stringData: { 'signing-key': 'short', 'encryption-key': k.encryptionKey } },
          'Secret bind/cookie-config in the cluster',
        ),
      {
        code: 'HELPER_VALUES_SECRET',
        message: /^Secret bind\/cookie-config in the cluster signing-key: not base64 of 16, 24 or 32 bytes/,
      },
    );
  },
);

t.test('keysFromManifest: the keys of a previous render, found by namespace and name', async (t) => {
  const objects = rendered();
  const text = toYaml(objects);
  const cookie = objects.find((o) => o.metadata.name === COOKIE_SECRET)!;
  const data = cookie.data as Record<string, string>;
  t.same(keysFromManifest(text, 'cp.yaml', 'bind'), {
    signingKey: Buffer.from(data['signing-key']!, 'base64').toString(),
    encryptionKey: Buffer.from(data['encryption-key']!, 'base64').toString(),
  });
  t.throws(() => keysFromManifest(text, 'cp.yaml', 'other'), {
    code: 'HELPER_PREVIOUS',
    message:
      '--previous cp.yaml holds no Secret other/cookie-config (is it the output of helper control-plane render?)',
  });
  t.throws(() => keysFromManifest('a: [\n', 'bad.yaml', 'bind'), {
    code: 'HELPER_PREVIOUS',
    message: '--previous bad.yaml is not valid YAML',
  });
  t.throws(
    () =>
      keysFromManifest(
        'apiVersion: v1\nkind: Secret\nmetadata: { name: cookie-config, namespace: bind }\ndata: {}\n',
        'p.yaml',
        'bind',
      ),
    { message: '--previous p.yaml: Secret bind/cookie-config lacks signing-key or encryption-key' },
  );
});
