/**
 * The parts of the reference bind backend that fail before any Kubernetes
 * call: routing, token verification and request validation. The control
 * plane URL points at a port nobody listens on.
 */
import t from 'tap';
import { Agent, fetch } from 'undici';
import { startBindBackend } from './bind-backend.ts';
import { startOidcProvider } from './oidc.ts';
import { freePort } from './procs.ts';
import { createCa } from './tls.ts';

const clientId = 'helper-ci';
const clientSecret = 'sandbox-secret-0123456789';

t.test('bind backend without a control plane', async (t) => {
  const ca = await createCa(t.testdir());
  const server = await ca.issue('server', { sans: ['IP:127.0.0.1'], cn: '127.0.0.1' });
  const tls = { cert: server.cert, key: server.key };
  const dispatcher = new Agent({ connect: { ca: ca.caCert } });
  t.teardown(() => dispatcher.close());

  const good = await startOidcProvider({ tls, clients: [{ clientId, clientSecret }], audience: 'klutch-bind' });
  t.teardown(() => good.stop());
  const other = await startOidcProvider({ tls, clients: [{ clientId, clientSecret }], audience: 'someone-else' });
  t.teardown(() => other.stop());

  const unused = await freePort();
  const backend = await startBindBackend({
    tls,
    issuer: good.issuer,
    jwksUrl: good.jwksUrl,
    caPem: ca.caCert,
    audience: 'klutch-bind',
    controlPlane: { server: `https://127.0.0.1:${unused}`, caPem: ca.caCert, token: 'admin-token-not-used' },
  });
  t.teardown(() => backend.stop());
  t.match(backend.url, /^https:\/\/127\.0\.0\.1:\d+\/bind-noninteractive$/);
  t.equal(backend.url, `${backend.baseUrl}/bind-noninteractive`);

  const tokenFrom = async (issuerTokenUrl: string) => {
    const res = await fetch(issuerTokenUrl, {
      method: 'POST',
      dispatcher,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json()) as { access_token: string };
    return body.access_token;
  };
  const goodToken = await tokenFrom(good.tokenUrl);
  const otherToken = await tokenFrom(other.tokenUrl);

  const call = async (init: {
    method?: string;
    path?: string;
    token?: string;
    authorization?: string;
    body?: string;
  }) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.authorization) headers.authorization = init.authorization;
    const res = await fetch(init.path ? `${backend.baseUrl}${init.path}` : backend.url, {
      method: init.method ?? 'POST',
      dispatcher,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text: await res.text(),
      headers: res.headers,
    };
  };
  const valid = JSON.stringify({ clusterID: 'c1', apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] });

  await t.test('401 without a token', async (t) => {
    const r = await call({ body: valid });
    t.equal(r.status, 401);
    t.match(r.type, /^text\/plain/);
    t.match(r.text, /^unauthorized: missing bearer token/);
    t.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  await t.test('401 for a non-bearer authorization', async (t) => {
    const r = await call({ authorization: 'Basic Zm9vOmJhcg==', body: valid });
    t.equal(r.status, 401);
    t.match(r.text, /not a bearer token/);
  });

  await t.test('401 for a garbage token', async (t) => {
    const r = await call({ token: 'not.a.jwt', body: valid });
    t.equal(r.status, 401);
    t.match(r.text, /^unauthorized: /);
    t.notMatch(r.text, 'not.a.jwt');
  });

  await t.test('401 for a token of another issuer (other key, other audience)', async (t) => {
    // Signed by a different key, so signature fails before the claims are looked at.
    const r = await call({ token: otherToken, body: valid });
    t.equal(r.status, 401);
    t.match(r.text, /^unauthorized: token signature verification failed/);
    t.notMatch(r.text, otherToken);
  });

  await t.test('401 audience mismatch from the trusted issuer', async (t) => {
    const wrongAud = await startBindBackend({
      tls,
      issuer: good.issuer,
      jwksUrl: good.jwksUrl,
      caPem: ca.caCert,
      audience: 'kube-bind',
      controlPlane: { server: `https://127.0.0.1:${unused}`, caPem: ca.caCert, token: 'x' },
    });
    t.teardown(() => wrongAud.stop());
    const res = await fetch(wrongAud.url, {
      method: 'POST',
      dispatcher,
      headers: { authorization: `Bearer ${goodToken}` },
      body: valid,
    });
    const text = await res.text();
    t.equal(res.status, 401);
    t.match(text, /^unauthorized: token audience mismatch: expected "kube-bind", got "klutch-bind"/);
    t.notMatch(text, goodToken);
  });

  await t.test('401 issuer mismatch', async (t) => {
    const wrongIss = await startBindBackend({
      tls,
      issuer: 'https://issuer.invalid',
      jwksUrl: good.jwksUrl,
      caPem: ca.caCert,
      audience: 'klutch-bind',
      controlPlane: { server: `https://127.0.0.1:${unused}`, caPem: ca.caCert, token: 'x' },
    });
    t.teardown(() => wrongIss.stop());
    const res = await fetch(wrongIss.url, {
      method: 'POST',
      dispatcher,
      headers: { authorization: `Bearer ${goodToken}` },
      body: valid,
    });
    t.equal(res.status, 401);
    t.match(await res.text(), /issuer mismatch: expected "https:\/\/issuer.invalid"/);
  });

  await t.test(
    'several issuers: each verified by its own keys, the same audience check, an unknown issuer named',
    async (t) => {
      const third = await startOidcProvider({ tls, clients: [{ clientId, clientSecret }], audience: 'klutch-bind' });
      t.teardown(() => third.stop());
      const thirdToken = await tokenFrom(third.tokenUrl);
      const both = await startBindBackend({
        tls,
        issuer: good.issuer,
        jwksUrl: good.jwksUrl,
        moreIssuers: [
          { issuer: third.issuer, jwksUrl: third.jwksUrl },
          { issuer: other.issuer, jwksUrl: other.jwksUrl },
        ],
        caPem: ca.caCert,
        audience: 'klutch-bind',
        controlPlane: { server: `https://127.0.0.1:${unused}`, caPem: ca.caCert, token: 'x' },
      });
      t.teardown(() => both.stop());
      const post = async (token: string) => {
        const res = await fetch(both.url, {
          method: 'POST',
          dispatcher,
          headers: { authorization: `Bearer ${token}` },
          body: valid,
        });
        return { status: res.status, text: await res.text() };
      };
      for (const [name, token] of [
        ['first issuer', goodToken],
        ['second issuer', thirdToken],
      ] as const) {
        const r = await post(token);
        t.equal(r.status, 502, `${name}: past authentication (the control plane is unreachable here)`);
      }
      t.match(
        await post(otherToken),
        { status: 401, text: /^unauthorized: token audience mismatch: expected "klutch-bind", got "someone-else"/ },
        'the audience check is as strict',
      );
      const only = await startBindBackend({
        tls,
        issuer: good.issuer,
        jwksUrl: good.jwksUrl,
        moreIssuers: [{ issuer: third.issuer, jwksUrl: third.jwksUrl }],
        caPem: ca.caCert,
        audience: 'klutch-bind',
        controlPlane: { server: `https://127.0.0.1:${unused}`, caPem: ca.caCert, token: 'x' },
      });
      t.teardown(() => only.stop());
      const res = await fetch(only.url, {
        method: 'POST',
        dispatcher,
        headers: { authorization: `Bearer ${otherToken}` },
        body: valid,
      });
      t.equal(res.status, 401);
      t.match(
        await res.text(),
        /^unauthorized: token issuer mismatch: expected one of \["https:\/\/127\.0\.0\.1:\d+","https:\/\/127\.0\.0\.1:\d+"\], got "https:\/\/127\.0\.0\.1:\d+"/,
      );
    },
  );

  await t.test('400 malformed bodies', async (t) => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not valid JSON/],
      ['[]', /JSON object/],
      ['{"apis":[{"group":"g","resource":"r"}]}', /clusterID/],
      ['{"clusterID":"  ","apis":[{"group":"g","resource":"r"}]}', /clusterID/],
      ['{"clusterID":"c","apis":[]}', /apis must be a non-empty array/],
      ['{"clusterID":"c"}', /apis must be a non-empty array/],
      ['{"clusterID":"c","apis":[{"group":"g"}]}', /apis\[0\]\.resource/],
      ['{"clusterID":"c","apis":[{"group":1,"resource":"r"}]}', /apis\[0\]\.group/],
    ];
    for (const [body, want] of cases) {
      const r = await call({ token: goodToken, body });
      t.equal(r.status, 400, body);
      t.match(r.type, /^text\/plain/);
      t.match(r.text, want, body);
    }
  });

  await t.test('413 for a body over 1 MiB', async (t) => {
    const r = await call({
      token: goodToken,
      body: JSON.stringify({ clusterID: 'c', pad: 'x'.repeat(1 << 20), apis: [] }),
    });
    t.equal(r.status, 413);
  });

  await t.test('405 and 404', async (t) => {
    const get = await call({ method: 'GET', token: goodToken });
    t.equal(get.status, 405);
    t.equal(get.headers.get('allow'), 'POST');
    const other = await call({ path: '/bind', token: goodToken, body: valid });
    t.equal(other.status, 404);
    const root = await call({ method: 'GET', path: '/' });
    t.equal(root.status, 404);
  });

  await t.test('502 when the control plane is unreachable, without secrets', async (t) => {
    const r = await call({ token: goodToken, body: valid });
    t.equal(r.status, 502);
    t.match(r.text, /control plane API unreachable/);
    t.notMatch(r.text, 'admin-token-not-used');
    t.notMatch(r.text, goodToken);
  });

  t.ok(backend.requests >= 15, `requests counted (${backend.requests})`);
});
