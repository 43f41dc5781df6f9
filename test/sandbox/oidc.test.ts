import t, { type Test } from 'tap';
import { Agent, fetch } from 'undici';
import { startOidcProvider } from './oidc.ts';
import { createCa } from './tls.ts';

const clientId = 'helper-ci';
const clientSecret = 'sandbox-secret-0123456789';
const audience = 'klutch-bind';

function payloadOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

t.test('client_credentials over HTTPS with the sandbox CA', async (t) => {
  const ca = await createCa(t.testdir());
  const server = await ca.issue('server', { sans: ['IP:127.0.0.1', 'DNS:localhost'], cn: '127.0.0.1' });
  const oidc = await startOidcProvider({
    tls: { cert: server.cert, key: server.key },
    clients: [{ clientId, clientSecret }],
    audience,
    scopes: ['klutch/bind'],
    tokenTtlSeconds: 600,
  });
  t.teardown(() => oidc.stop());
  const dispatcher = new Agent({ connect: { ca: ca.caCert } });
  t.teardown(() => dispatcher.close());
  t.match(oidc.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(oidc.tokenUrl, `${oidc.issuer}/token`);
  t.equal(oidc.jwksUrl, `${oidc.issuer}/jwks`);

  const token = async (init: { headers?: Record<string, string>; body: URLSearchParams }) => {
    const res = await fetch(oidc.tokenUrl, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...init.headers },
      body: init.body.toString(),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  const checkToken = (t: Test, body: Record<string, unknown>) => {
    t.equal(body.token_type, 'Bearer');
    t.type(body.access_token, 'string');
    t.equal(body.expires_in, 600);
    const jwt = body.access_token as string;
    t.equal(headerOf(jwt).alg, 'RS256');
    const p = payloadOf(jwt);
    t.equal(p.iss, oidc.issuer);
    t.equal(p.aud, audience);
    t.equal(p.sub, clientId);
    t.equal(p.client_id, clientId);
    const now = Math.floor(Date.now() / 1000);
    t.ok(typeof p.exp === 'number' && p.exp > now + 500 && p.exp <= now + 601, 'exp is about ttl from now');
    return p;
  };

  await t.test('client_secret_basic', async (t) => {
    const r = await token({
      headers: { authorization: basic(clientId, clientSecret) },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    t.equal(r.status, 200);
    const p = checkToken(t, r.body);
    t.notOk(p.scope, 'no scope requested, none granted');
  });

  await t.test('client_secret_post with scope', async (t) => {
    const r = await token({
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'klutch/bind',
      }),
    });
    t.equal(r.status, 200);
    const p = checkToken(t, r.body);
    t.equal(p.scope, 'klutch/bind');
  });

  await t.test('JWKS is served and holds the signing key', async (t) => {
    const res = await fetch(oidc.jwksUrl, { dispatcher });
    t.equal(res.status, 200);
    const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> };
    t.equal(jwks.keys.length, 1);
    t.equal(jwks.keys[0]?.kty, 'RSA');
    t.notOk(jwks.keys[0]?.d, 'no private part');
  });

  await t.test('wrong secret -> 401 invalid_client (Basic and post)', async (t) => {
    const b = await token({
      headers: { authorization: basic(clientId, 'wrong') },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    t.equal(b.status, 401);
    t.equal(b.body.error, 'invalid_client');
    const p = await token({
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong' }),
    });
    t.equal(p.status, 401);
    t.equal(p.body.error, 'invalid_client');
    const u = await token({
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: clientSecret }),
    });
    t.equal(u.status, 401);
    t.equal(u.body.error, 'invalid_client');
  });
});

t.test('strictBasicOnly and strictPostOnly', async (t) => {
  const ca = await createCa(t.testdir());
  const server = await ca.issue('server', { sans: ['IP:127.0.0.1'], cn: '127.0.0.1' });
  const dispatcher = new Agent({ connect: { ca: ca.caCert } });
  t.teardown(() => dispatcher.close());
  const post = (url: string, headers: Record<string, string>, body: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
    });

  const strictBasic = await startOidcProvider({
    tls: server,
    clients: [{ clientId, clientSecret }],
    audience,
    strictBasicOnly: true,
  });
  t.teardown(() => strictBasic.stop());
  let res = await post(
    strictBasic.tokenUrl,
    {},
    { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
  );
  t.equal(res.status, 401);
  t.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  res = await post(
    strictBasic.tokenUrl,
    { authorization: basic(clientId, clientSecret) },
    { grant_type: 'client_credentials' },
  );
  t.equal(res.status, 200);
  t.equal(payloadOf(((await res.json()) as { access_token: string }).access_token).aud, audience);
  t.equal(strictBasic.tokenRequests, 2);

  const strictPost = await startOidcProvider({
    tls: server,
    clients: [{ clientId, clientSecret }],
    audience,
    strictPostOnly: true,
  });
  t.teardown(() => strictPost.stop());
  res = await post(
    strictPost.tokenUrl,
    { authorization: basic(clientId, clientSecret) },
    { grant_type: 'client_credentials' },
  );
  t.equal(res.status, 401);
  t.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  res = await post(
    strictPost.tokenUrl,
    {},
    { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
  );
  t.equal(res.status, 200);
  await res.arrayBuffer();
});

t.test(
  'a private_key_jwt client (no secret): a signed assertion gets a JWT for the backend; a replayed one or ' +
    'another key is invalid_client',
  async (t) => {
    const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
    const ca = await createCa(t.testdir());
    const server = await ca.issue('server', { sans: ['IP:127.0.0.1'], cn: '127.0.0.1' });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const oidc = await startOidcProvider({
      tls: { cert: server.cert, key: server.key },
      clients: [
        {
          clientId: 'keyless',
          jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
        },
      ],
      audience,
    });
    t.teardown(() => oidc.stop());
    const dispatcher = new Agent({ connect: { ca: ca.caCert } });
    t.teardown(() => dispatcher.close());
    const assertion = (key = privateKey, jti = crypto.randomUUID()) =>
      new SignJWT({ jti })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('keyless')
        .setSubject('keyless')
        .setAudience(oidc.tokenUrl)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key);
    const request = async (jwt: string) => {
      const res = await fetch(oidc.tokenUrl, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'keyless',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: jwt,
        }).toString(),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const jwt = await assertion();
    const ok = await request(jwt);
    t.equal(ok.status, 200);
    t.match(payloadOf(String(ok.body.access_token)), { aud: audience, client_id: 'keyless' });
    t.match(await request(jwt), { status: 401, body: { error: 'invalid_client' } }, 'a replayed assertion is refused');
    t.match(
      await request(await assertion((await generateKeyPair('ES256')).privateKey)),
      { status: 401, body: { error: 'invalid_client' } },
      'another key is refused',
    );
  },
);
