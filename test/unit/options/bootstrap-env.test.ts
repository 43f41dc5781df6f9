/** bootstrap-env's options: defaults, flags over the environment, every usage error, frozen, and the OIDC problems
 * listed together. */
import t from 'tap';
import { bootstrapEnvOptions, oidcCredentials } from '../../../src/options/bootstrap-env.ts';
import { RETRIES_DEFAULT } from '../../../src/options/flags.ts';

const base = {
  file: ['binding.json'],
  url: 'https://b.test',
  timeout: '5m',
  'request-timeout': '30s',
  retries: RETRIES_DEFAULT['bootstrap-env'],
  wait: true,
};
const ENV = {
  OIDC_CLIENT_ID: ' ci ',
  OIDC_CLIENT_SECRET: 's',
  OIDC_TOKEN_URL: 'https://idp.test/token',
  OIDC_SCOPE: 'from-env',
};

t.test('defaults: one binding, yaml, stdout, 5 attempts (4 retries), the pinned konnector image', async (t) => {
  const o = bootstrapEnvOptions(base, ENV);
  t.match(o, {
    fleet: false,
    format: 'yaml',
    output: undefined,
    concurrency: 4,
    attempts: 5,
    timeoutMs: 300_000,
    requestTimeoutMs: 30_000,
    wait: true,
    insecure: false,
  });
  t.match(o.konnectorImage, /konnector:v1\.4\.0$/);
  t.same(o.oidc, {
    clientId: 'ci',
    clientSecret: 's',
    clientSecretFile: undefined,
    clientKeyFile: undefined,
    clientKeyId: undefined,
    clientAssertionFile: undefined,
    grant: 'client_credentials',
    tokenUrl: 'https://idp.test/token',
    scope: 'from-env',
    audience: undefined,
    resource: undefined,
  });
  t.ok(Object.isFrozen(o) && Object.isFrozen(o.oidc) && Object.isFrozen(o.files));
  t.equal(
    bootstrapEnvOptions({ ...base, 'oidc-scope': 'flag' }, ENV).oidc.scope,
    'flag',
    'the flag wins over $OIDC_SCOPE',
  );
});

t.test('a fleet: several files or --out-dir; -o is the summary format; --summary deprecated', async (t) => {
  t.match(bootstrapEnvOptions({ ...base, file: ['a.json', 'b.json'], 'out-dir': 'out' }, ENV), {
    fleet: true,
    format: 'text',
    outDir: 'out',
  });
  const o = bootstrapEnvOptions({ ...base, 'out-dir': 'out', summary: 'json' }, ENV);
  t.equal(o.format, 'json');
  t.same(o.deprecations, ['--summary is deprecated: write -o json']);
  const old = bootstrapEnvOptions({ ...base, output: 'all.yaml' }, ENV);
  t.equal(old.output, 'all.yaml', '-o FILE is still the file');
  t.match(old.deprecations[0], /^-o FILE is deprecated/);
});

t.test('usage errors (exit 2), in the order the command line was checked before', async (t) => {
  const cases: Array<[Record<string, unknown>, string | RegExp]> = [
    [{ file: [''] }, '-f needs a binding file (or - for stdin)'],
    [{ url: '' }, '-u/--url is required: the backend URL (or set HELPER_BIND_URL)'],
    [
      { file: ['a.json', 'b.json'] },
      'several binding files make a fleet: pass --out-dir DIR for the per-cluster files',
    ],
    [
      { 'out-dir': 'out', 'apply-to': 'app' },
      '--output-file, --write-kubeconfig and --apply-to are for one binding; a fleet writes its files under --out-dir',
    ],
    [{ 'wait-bindings': '5m' }, '--wait-bindings waits on the App Cluster of --apply-to; pass --apply-to too'],
    [{ context: 'x' }, '--context picks the context of the --apply-to kubeconfig; pass --apply-to too'],
    [{ concurrency: 0 }, '--concurrency must be a whole number from 1 to 256'],
    [{ retries: 21 }, '--retries must be a whole number from 0 to 20'],
    [{ timeout: 'soon' }, /--timeout/],
    [{ output: 'json' }, /^-o json: here the output format is yaml/],
  ];
  for (const [extra, message] of cases)
    t.throws(() => bootstrapEnvOptions({ ...base, ...extra }, ENV), { exitCode: 2, message }, JSON.stringify(extra));
});

t.test('oidcCredentials: every problem at once; the secret file wins and loses its newline', async (t) => {
  const o = bootstrapEnvOptions(base, {}).oidc;
  t.throws(() => oidcCredentials(o, undefined), {
    exitCode: 3,
    code: 'HELPER_ENV',
    message:
      /OIDC_CLIENT_ID is not set[\s\S]*no way of authenticating is set: set one of OIDC_CLIENT_SECRET \(or --client-secret-file \/ HELPER_CLIENT_SECRET_FILE\), OIDC_CLIENT_KEY_FILE \(--client-key-file\) \(private_key_jwt\), OIDC_CLIENT_ASSERTION_FILE \(--client-assertion-file\) \(a federated token\)[\s\S]*OIDC_TOKEN_URL is not set/,
  });
  const f = bootstrapEnvOptions({ ...base, 'client-secret-file': 's.txt' }, ENV).oidc;
  t.match(oidcCredentials(f, { text: 'from-file\n' }), { method: 'secret', clientSecret: 'from-file' });
  t.throws(() => oidcCredentials(f, { error: 'EACCES' }), {
    message: /--client-secret-file s\.txt: cannot read \(EACCES\)/,
  });
  t.throws(() => oidcCredentials({ ...f, clientSecret: '' }, { text: '' }), {
    message: /--client-secret-file s\.txt is empty/,
  });
  t.throws(() => oidcCredentials({ ...o, clientId: 'c', clientSecret: 's', tokenUrl: 'idp.test/token' }, undefined), {
    message:
      /OIDC_TOKEN_URL "idp\.test\/token" is not a URL: the scheme is missing \(did you mean https:\/\/idp\.test\/token\?\)/,
  });
});

t.test(
  'keyless: the key and assertion files and the grant from flags or the environment; audience and resource',
  async (t) => {
    const env = {
      OIDC_CLIENT_ID: 'ci',
      OIDC_TOKEN_URL: 'https://idp.test/token',
      OIDC_CLIENT_KEY_FILE: 'env.pem',
      OIDC_CLIENT_KEY_ID: ' k1 ',
      OIDC_AUDIENCE: 'aud',
      OIDC_RESOURCE: 'urn:r',
    };
    t.match(bootstrapEnvOptions(base, env).oidc, {
      clientKeyFile: 'env.pem',
      clientKeyId: 'k1',
      audience: 'aud',
      resource: 'urn:r',
      grant: 'client_credentials',
    });
    t.match(
      bootstrapEnvOptions({ ...base, 'client-key-file': 'flag.pem', 'oidc-audience': 'a2', 'oidc-resource': 'r2' }, env)
        .oidc,
      { clientKeyFile: 'flag.pem', audience: 'a2', resource: 'r2' },
      'flags win',
    );
    const a = { OIDC_CLIENT_ID: 'ci', OIDC_TOKEN_URL: 'https://idp.test/token', OIDC_CLIENT_ASSERTION_FILE: 'sa.jwt' };
    for (const g of ['jwt-bearer', 'urn:ietf:params:oauth:grant-type:jwt-bearer'])
      t.equal(bootstrapEnvOptions(base, { ...a, OIDC_GRANT_TYPE: g }).oidc.grant, 'jwt_bearer', g);
    t.equal(
      bootstrapEnvOptions({ ...base, 'grant-type': 'client_credentials' }, { ...a, OIDC_GRANT_TYPE: 'jwt-bearer' }).oidc
        .grant,
      'client_credentials',
      'the flag wins',
    );
    t.throws(() => bootstrapEnvOptions(base, { ...a, OIDC_GRANT_TYPE: 'password' }), {
      exitCode: 2,
      message: /^OIDC_GRANT_TYPE "password" is not a grant type helper uses: client_credentials or jwt-bearer/,
    });
    t.match(oidcCredentials(bootstrapEnvOptions(base, env).oidc, undefined), {
      method: 'key',
      keyFile: 'env.pem',
      keyId: 'k1',
      audience: 'aud',
      resource: 'urn:r',
    });
    t.match(oidcCredentials(bootstrapEnvOptions(base, { ...a, OIDC_GRANT_TYPE: 'jwt-bearer' }).oidc, undefined), {
      method: 'assertion',
      assertionFile: 'sa.jwt',
      grant: 'jwt_bearer',
    });
  },
);

t.test(
  'exactly one way of authenticating: two or three name every variable set; none names the three; exit 3',
  async (t) => {
    const env = { OIDC_CLIENT_ID: 'ci', OIDC_TOKEN_URL: 'https://idp.test/token' };
    const judge = (argv: object, e: object) => () =>
      oidcCredentials(bootstrapEnvOptions({ ...base, ...argv }, { ...env, ...e }).oidc, { text: 'x' });
    t.throws(judge({}, { OIDC_CLIENT_SECRET: 's', OIDC_CLIENT_KEY_FILE: 'k.pem' }), {
      exitCode: 3,
      code: 'HELPER_ENV',
      message:
        /more than one way of authenticating is set: OIDC_CLIENT_SECRET, OIDC_CLIENT_KEY_FILE \(--client-key-file\); set exactly one of/,
    });
    t.throws(
      judge({ 'client-secret-file': 's.txt', 'client-assertion-file': 'a.jwt' }, { OIDC_CLIENT_KEY_FILE: 'k.pem' }),
      {
        message:
          /more than one way of authenticating is set: --client-secret-file \(HELPER_CLIENT_SECRET_FILE\), OIDC_CLIENT_KEY_FILE \(--client-key-file\), OIDC_CLIENT_ASSERTION_FILE \(--client-assertion-file\)/,
      },
    );
    t.throws(judge({}, {}), { message: /no way of authenticating is set: set one of OIDC_CLIENT_SECRET/ });
    t.throws(judge({ 'grant-type': 'jwt-bearer' }, { OIDC_CLIENT_KEY_FILE: 'k.pem' }), {
      message:
        /the JWT-bearer grant \(--grant-type \/ OIDC_GRANT_TYPE\) sends an assertion: set OIDC_CLIENT_ASSERTION_FILE/,
    });
    t.throws(judge({ 'grant-type': 'jwt-bearer' }, { OIDC_CLIENT_ASSERTION_FILE: 'a', OIDC_CLIENT_ID: '' }), {
      message: /^cannot request an access token \(OIDC JWT-bearer grant\):/,
    });
  },
);

t.test('an http:// token URL is refused with the other problems, --insecure-skip-tls-verify or not', async (t) => {
  for (const insecure of [false, true]) {
    const o = bootstrapEnvOptions(
      { ...base, 'insecure-skip-tls-verify': insecure },
      { ...ENV, OIDC_TOKEN_URL: 'http://idp.test/token' },
    );
    t.throws(() => oidcCredentials(o.oidc, undefined), {
      exitCode: 3,
      message:
        /OIDC_TOKEN_URL must be an https:\/\/ URL \(got http:\/\/idp\.test\): plain http would send the client's credential in clear \(--insecure-skip-tls-verify does not allow it\)/,
    });
  }
});
