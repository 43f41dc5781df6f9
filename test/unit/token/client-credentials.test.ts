/**
 * fetchToken in process, the token endpoint an undici MockAgent (the
 * injected transport): what is sent, what comes back, how failures are
 * named. The real provider (oidc-provider) is exercised by the e2e suite.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import { fetchToken } from '../../../src/token/client-credentials.ts';
import { loadClientKey } from '../../../src/token/client-key.ts';

const SECRET = 's3cr3t-do-not-print';
const creds = { clientId: 'ci-bot', clientSecret: SECRET, tokenUrl: 'https://idp.test/token' };

function agent(t: Test): MockAgent {
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  return a;
}

t.test('plain http is refused before anything is sent, naming the input and what would leak', async (t) => {
  const a = agent(t);
  await t.rejects(
    fetchToken({ ...creds, tokenUrl: 'http://idp.test/token' }, { dispatcher: a, timeoutMs: 1000, attempts: 1 }),
    {
      exitCode: 3,
      code: 'HELPER_TOKEN_URL',
      message:
        'OIDC_TOKEN_URL must be an https:// URL (got http://idp.test); plain http would send the client ' +
        'secret in clear (--insecure-skip-tls-verify does not allow it)',
    },
  );
  t.same(a.pendingInterceptors(), []);
});

t.test('client_secret_basic first: the token and its expiry come back', async (t) => {
  const a = agent(t);
  let auth: string | undefined;
  a.get('https://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply((req) => {
      auth = (req.headers as Record<string, string>).authorization;
      return {
        statusCode: 200,
        data: JSON.stringify({ access_token: 'tok-1', token_type: 'Bearer', expires_in: 300 }),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    });
  const before = Date.now();
  const tok = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1 });
  t.equal(tok.accessToken, 'tok-1');
  t.equal(tok.method, 'client_secret_basic');
  t.ok(tok.expiresAt! >= before + 300_000 && tok.expiresAt! <= Date.now() + 300_000, 'expiry from expires_in');
  // RFC 6749 2.3.1: id and secret form-urlencoded, then base64 as in RFC 7617.
  const [user, pass] = Buffer.from(String(auth).replace(/^Basic /, ''), 'base64')
    .toString('utf8')
    .split(':')
    .map(decodeURIComponent);
  t.same([user, pass], ['ci-bot', SECRET], 'HTTP Basic carries the client ID and secret');
});

t.test('invalid_client on both methods: an auth error (exit 4) that names the client, never the secret', async (t) => {
  const a = agent(t);
  const bodies: string[] = [];
  a.get('https://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply((req) => {
      bodies.push(String(req.body));
      return {
        statusCode: 401,
        data: JSON.stringify({ error: 'invalid_client' }),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    })
    .times(2);
  const err = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1 }).then(
    () => undefined,
    (e: unknown) => e as Error & { exitCode: number },
  );
  t.equal(err?.exitCode, 4);
  t.match(err?.message, /ci-bot/);
  t.notMatch(`${err?.message} ${(err as { hint?: string }).hint ?? ''}`, SECRET);
  t.equal(bodies.length, 2, 'retried once with the credentials in the body');
  t.match(bodies[1], /client_secret=/);
});

t.test('an HTML page is not a token endpoint: said so, not retried', async (t) => {
  const a = agent(t);
  a.get('https://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply(404, '<html>nope</html>', { headers: { 'content-type': 'text/html' } });
  await t.rejects(fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 3, baseDelayMs: 1 }), {
    code: 'HELPER_TOKEN_STATUS',
    message: 'token endpoint idp.test answered HTTP 404 (text/html), not an OAuth token response',
  });
  t.same(a.pendingInterceptors(), []);
});

t.test('503 then 200: retried, honouring the attempts', async (t) => {
  const a = agent(t);
  const pool = a.get('https://idp.test');
  pool.intercept({ path: '/token', method: 'POST' }).reply(503, 'busy');
  pool
    .intercept({ path: '/token', method: 'POST' })
    .reply(200, JSON.stringify({ access_token: 'tok-2', token_type: 'Bearer' }), {
      headers: { 'content-type': 'application/json' },
    });
  const tok = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 2, baseDelayMs: 1, maxDelayMs: 1 });
  t.equal(tok.accessToken, 'tok-2');
  t.equal(tok.expiresAt, undefined);
});

t.test(
  "a token request does not load Node's own copy of undici (its fetch classes): the bundled one serves openid-client",
  async (t) => {
    // In a child process: this test process may have loaded Node's copy already.
    const src = new URL('../../../src/token/client-credentials.ts', import.meta.url).href;
    const script = `
    import { MockAgent } from 'undici';
    import { fetchToken } from ${JSON.stringify(src)};
    const a = new MockAgent(); a.disableNetConnect();
    const body = JSON.stringify({ access_token: 'tok-1', token_type: 'Bearer' });
    const headers = { headers: { 'content-type': 'application/json' } };
    a.get('https://idp.test').intercept({ path: '/token', method: 'POST' }).reply(200, body, headers);
    const client = { clientId: 'c', clientSecret: 's', tokenUrl: 'https://idp.test/token' };
    const tok = await fetchToken(client, { dispatcher: a, timeoutMs: 1000, attempts: 1 });
    await a.close();
    const nodeUndici = process.moduleLoadList.some((m) => m.includes('internal/deps/undici/undici'));
    const h = typeof Headers === 'function' && new Headers({ a: '1' }).get('a');
    process.stdout.write(JSON.stringify({ token: tok.accessToken, nodeUndici, headers: h }));
  `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: new URL('../../..', import.meta.url).pathname,
    });
    t.equal(r.status, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { token: 'tok-1', nodeUndici: false, headers: '1' });
  },
);

/** The form body of every token request the MockAgent answered (status, body). */
function recorder(
  t: Test,
  answers: Array<[number, object]>,
): { a: MockAgent; forms: URLSearchParams[]; headers: Array<Record<string, string>> } {
  const a = agent(t);
  const forms: URLSearchParams[] = [];
  const headers: Array<Record<string, string>> = [];
  for (const [status, body] of answers) {
    a.get('https://idp.test')
      .intercept({ path: '/token', method: 'POST' })
      .reply((req) => {
        forms.push(new URLSearchParams(String(req.body)));
        headers.push(req.headers as Record<string, string>);
        return {
          statusCode: status,
          data: JSON.stringify(body),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      });
  }
  return { a, forms, headers };
}

const OK = { access_token: 'tok-k', token_type: 'Bearer', expires_in: 60 };
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const part = (jwt: string, i: number) =>
  JSON.parse(Buffer.from(jwt.split('.')[i]!, 'base64url').toString()) as Record<string, unknown>;

t.test(
  'private_key_jwt: a fresh signed assertion per request (aud: the token endpoint, kid, no secret), scope, ' +
    'audience and resource sent',
  async (t) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = await loadClientKey(
      Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
      'k.pem',
      'kid-1',
    );
    const { a, forms, headers } = recorder(t, [
      [200, OK],
      [200, OK],
    ]);
    const creds = {
      clientId: 'ci-bot',
      tokenUrl: 'https://idp.test/token',
      key,
      scope: 'bind',
      audience: 'klutch-bind',
      resource: 'urn:klutch',
    };
    const tok = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1 });
    await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1 });
    t.equal(tok.method, 'private_key_jwt');
    const f = forms[0]!;
    t.equal(f.get('grant_type'), 'client_credentials');
    t.equal(f.get('client_id'), 'ci-bot');
    t.equal(f.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    t.same([f.get('scope'), f.get('audience'), f.get('resource')], ['bind', 'klutch-bind', 'urn:klutch']);
    t.equal(headers[0]!.authorization, undefined, 'no HTTP Basic');
    const jwt = f.get('client_assertion')!;
    t.match(part(jwt, 0), { alg: 'ES256', kid: 'kid-1' });
    t.match(part(jwt, 1), { iss: 'ci-bot', sub: 'ci-bot', aud: 'https://idp.test/token' });
    t.not(part(jwt, 1).jti, part(forms[1]!.get('client_assertion')!, 1).jti, 'each request signs a new assertion');
  },
);

t.test('private_key_jwt refused: exit 4 naming the method, the key id and the file, with what to check', async (t) => {
  const key = await loadClientKey(
    Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
    'ci.pem',
    'kid-2',
  );
  const { a, forms } = recorder(t, [
    [401, { error: 'invalid_client', error_description: 'client authentication failed' }],
  ]);
  const err = await fetchToken(
    { clientId: 'ci-bot', tokenUrl: 'https://idp.test/token', key },
    { dispatcher: a, timeoutMs: 1000, attempts: 3 },
  ).then(
    () => undefined,
    (e: unknown) => e as Error & { exitCode: number; hint: string },
  );
  t.equal(err?.exitCode, 4);
  t.equal(
    err?.message,
    'token endpoint idp.test refused client "ci-bot" (private_key_jwt, key id "kid-2" (EdDSA) from ci.pem): ' +
      'HTTP 401 invalid_client (client authentication failed)',
  );
  t.match(err?.hint, /public key of ci\.pem registered for the client/);
  t.equal(forms.length, 1, 'no fallback to another method');
  t.equal(part(forms[0]!.get('client_assertion')!, 0).alg, 'EdDSA', 'an Ed25519 signature is labelled EdDSA');
});

t.test(
  'a federated assertion: as the client assertion, or as the JWT-bearer grant (client ID in the body, no ' +
    'client authentication)',
  async (t) => {
    const jwt =
      `${b64({ alg: 'RS256' })}.` +
      b64({
        iss: 'https://k8s',
        sub: 'system:serviceaccount:ci:deployer',
        aud: 'https://idp.test/token',
        exp: 9999999999,
      }) +
      `.c2ln`;
    const { a, forms } = recorder(t, [
      [200, OK],
      [200, OK],
    ]);
    const base = { clientId: 'ci-bot', tokenUrl: 'https://idp.test/token', audience: 'klutch-bind' };
    t.equal(
      (
        await fetchToken(
          { ...base, assertion: { jwt, file: 'a.jwt', grant: 'client_credentials' } },
          { dispatcher: a, timeoutMs: 1000, attempts: 1 },
        )
      ).method,
      'client_assertion',
    );
    t.equal(
      (
        await fetchToken(
          { ...base, assertion: { jwt, file: 'a.jwt', grant: 'jwt_bearer' } },
          { dispatcher: a, timeoutMs: 1000, attempts: 1 },
        )
      ).method,
      'jwt_bearer',
    );
    t.same(Object.fromEntries(forms[0]!), {
      grant_type: 'client_credentials',
      audience: 'klutch-bind',
      client_id: 'ci-bot',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });
    t.same(Object.fromEntries(forms[1]!), {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      audience: 'klutch-bind',
      assertion: jwt,
      client_id: 'ci-bot',
    });
  },
);

t.test(
  'a refused assertion: exp, nbf and aud named against the clock and the token endpoint; the assertion never ' +
    'in the message; not resent',
  async (t) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = `${b64({ alg: 'RS256' })}.${b64({ aud: 'https://elsewhere/token', exp: now - 120 })}.c2ln`;
    const { a, forms } = recorder(t, [
      [400, { error: 'invalid_grant', error_description: 'The JWT in "assertion" request parameter expired.' }],
    ]);
    const err = await fetchToken(
      {
        clientId: 'ci-bot',
        tokenUrl: 'https://idp.test/token',
        assertion: { jwt, file: 'a.jwt', grant: 'jwt_bearer' },
      },
      { dispatcher: a, timeoutMs: 1000, attempts: 3, baseDelayMs: 1 },
    ).then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode: number },
    );
    t.equal(err?.exitCode, 4);
    t.match(
      err?.message,
      /^token endpoint idp\.test refused client "ci-bot" \(the JWT-bearer grant with the assertion from a\.jwt\): HTTP 400 invalid_grant \(The JWT in "assertion" request parameter expired\.\); the assertion expired: exp \S+Z is 2m before this machine's clock \(\S+Z\); the assertion's aud \["https:\/\/elsewhere\/token"\] does not name the token endpoint "https:\/\/idp\.test\/token"$/,
    );
    t.notOk(err?.message.includes(jwt));
    t.equal(forms.length, 1);
  },
);

t.test(
  'an assertion is retried only when the request cannot have reached the provider (503 after sending: not resent)',
  async (t) => {
    const jwt = `${b64({ alg: 'RS256' })}.${b64({ exp: 9999999999 })}.c2ln`;
    const a = agent(t);
    let n = 0;
    a.get('https://idp.test')
      .intercept({ path: '/token', method: 'POST' })
      .reply(() => {
        n++;
        return { statusCode: 503, data: 'busy' };
      })
      .persist();
    await t.rejects(
      fetchToken(
        {
          clientId: 'c',
          tokenUrl: 'https://idp.test/token',
          assertion: { jwt, file: 'a.jwt', grant: 'client_credentials' },
        },
        { dispatcher: a, timeoutMs: 1000, attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      ),
      { exitCode: 4, message: /HTTP 503/ },
    );
    t.equal(n, 1, 'sent once');
  },
);
