/**
 * The values file's secret references: env: and file: (relative to the
 * values file), resolved and registered for redaction, every unresolvable
 * one reported at once, and the cookie keys' shape.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { initValues } from '../../../src/control-plane/init.ts';
import { checkCookieKey, isRef, resolveRef, resolveSecrets } from '../../../src/control-plane/secrets.ts';
import { parseValues, settingsOf } from '../../../src/control-plane/values.ts';
import type { InputError } from '../../../src/errors.ts';
import { redact } from '../../../src/log.ts';
import { MINIMAL_VALUES as minimal } from '../../helpers/control-plane-fixtures.ts';

t.test('secret references: env and file (relative to the values file), never a value in a message', async (t) => {
  const dir = t.testdir({});
  writeFileSync(join(dir, 'bm-user'), 'backup-user\n');
  writeFileSync(join(dir, 'bm-pass'), 'backup-pass-123456\r\n');
  const s = settingsOf(parseValues(minimal, 'v'));
  const r = resolveSecrets(s, {
    env: { OIDC_SECRET: 'oidc-secret-value', SB_PASSWORD: 'sb-pass-value' },
    baseDir: dir,
  });
  t.equal(r.oidcClientSecret, 'oidc-secret-value');
  t.same(r.endpoints.postgresql, {
    serviceBroker: { username: 'admin', password: 'sb-pass-value' },
    backupManager: { username: 'backup-user', password: 'backup-pass-123456' },
  });
  t.equal(
    redact('x sb-pass-value y backup-pass-123456'),
    'x [REDACTED] y [REDACTED]',
    'resolved secrets are redacted from logs',
  );
  t.throws(() => resolveSecrets(s, { env: { OIDC_SECRET: 'x' }, baseDir: dir }), {
    code: 'HELPER_VALUES_SECRET',
    exitCode: 3,
    message: '/dataServices/postgresql/serviceBroker/password: environment variable SB_PASSWORD is not set',
  });
  t.equal(
    redact('/dataServices/postgresql/serviceBroker/password: environment variable SB_PASSWORD is not set'),
    '/dataServices/postgresql/serviceBroker/password: environment variable SB_PASSWORD is not set',
    'regression: the redaction swallowed the word "environment" after "password:"',
  );
  t.throws(() => resolveRef('env:EMPTY', '/oidc/clientSecret', { env: { EMPTY: ' ' }, baseDir: dir }), {
    message: '/oidc/clientSecret: environment variable EMPTY is empty',
  });
  t.throws(() => resolveRef('file:nope', '/f', { env: {}, baseDir: dir }), {
    message: `/f: cannot read ${join(dir, 'nope')}: ENOENT`,
  });
  t.equal(resolveRef('plain-user', '/u', { env: {}, baseDir: dir }), 'plain-user', 'a literal stays as it is');
});

t.test('cookie keys from the values file must be base64 of 16, 24 or 32 bytes', async (t) => {
  const withKeys = minimal.replace(
    'backend:\n  host: bind.example.com\n',
    'backend:\n  host: bind.example.com\n  cookieKeys: { signingKey: env:SK, encryptionKey: env:EK }\n',
  );
  const s = settingsOf(parseValues(withKeys, 'v'));
  const env = { OIDC_SECRET: 'o', SB_PASSWORD: 'p', SK: Buffer.alloc(32, 1).toString('base64'), EK: 'not base64!' };
  const dir = t.testdir({});
  writeFileSync(join(dir, 'bm-user'), 'u');
  writeFileSync(join(dir, 'bm-pass'), 'p');
  t.throws(() => resolveSecrets(s, { env, baseDir: dir }), {
    message:
      '/backend/cookieKeys/encryptionKey: not base64 of 16, 24 or 32 bytes (generate one with: openssl rand ' +
      '-base64 32)',
  });
  const ok = resolveSecrets(s, { env: { ...env, EK: Buffer.alloc(32, 2).toString('base64') }, baseDir: dir });
  t.equal(ok.cookieKeys?.signingKey, env.SK);
});

t.test('every unresolvable reference is reported at once, in one exit-3 error', async (t) => {
  const text = initValues({ dataServices: ['postgresql', 'mariadb'] });
  const s = settingsOf(parseValues(text, 'init'));
  const dir = t.testdir({});
  const err = t.throws(() =>
    resolveSecrets(s, { env: { POSTGRESQL_SERVICE_BROKER_USERNAME: 'u' }, baseDir: dir }),
  ) as InputError;
  t.equal(err.code, 'HELPER_VALUES_SECRET');
  t.equal(err.exitCode, 3);
  t.equal(
    err.problems.length,
    8,
    'all 8 unset variables (2 services x 2 endpoints x user/password, one set, plus the OIDC secret)',
  );
  t.match(err.message, /^8 references of the values file cannot be resolved\n/);
  for (const v of [
    'POSTGRESQL_SERVICE_BROKER_PASSWORD',
    'POSTGRESQL_BACKUP_MANAGER_USERNAME',
    'MARIADB_BACKUP_MANAGER_PASSWORD',
    'BACKEND_OIDC_CLIENT_SECRET',
  ])
    t.match(err.message, new RegExp(`environment variable ${v} is not set`));
  t.notMatch(err.message, /POSTGRESQL_SERVICE_BROKER_USERNAME is not set/, 'the one that is set is not reported');
  t.notMatch(err.message, /REDACTED/);
});

t.test('isRef: env: with a variable name, file: with any path; anything else is a literal', async (t) => {
  t.same(['env:A_1', 'file:x', 'file:/abs/p', 'env:1A', 'env:A-B', 'envA', 'ENV:A', 'file:'].map(isRef), [
    true,
    true,
    true,
    false,
    false,
    false,
    false,
    false,
  ]);
  t.equal(
    resolveRef('env:1A', '/u', { env: { '1A': 'v' }, baseDir: '.' }),
    'env:1A',
    'not a reference: taken literally',
  );
});

t.test(
  'a public value (the CA) is read verbatim and not redacted; a secret file loses its trailing newlines',
  async (t) => {
    const dir = t.testdir({ 'ca.pem': 'PEM-not-secret-123\n', key: 'secret-from-file-456\n\n' });
    t.equal(
      resolveRef('file:ca.pem', '/backend/caCertificate', { env: {}, baseDir: dir }, { secret: false }),
      'PEM-not-secret-123\n',
    );
    t.equal(redact('PEM-not-secret-123'), 'PEM-not-secret-123');
    t.equal(resolveRef('file:key', '/k', { env: {}, baseDir: dir }), 'secret-from-file-456');
    t.equal(redact('secret-from-file-456'), '[REDACTED]');
  },
);

t.test('checkCookieKey: base64 of 16, 24 or 32 bytes, trimmed', async (t) => {
  for (const n of [16, 24, 32])
    t.equal(checkCookieKey(` ${Buffer.alloc(n, 7).toString('base64')}\n`, '/k'), Buffer.alloc(n, 7).toString('base64'));
  for (const bad of [Buffer.alloc(31).toString('base64'), 'not base64!', ''])
    t.throws(() => checkCookieKey(bad, '/k'), {
      code: 'HELPER_VALUES_SECRET',
      message: /^\/k: not base64 of 16, 24 or 32 bytes/,
    });
});
