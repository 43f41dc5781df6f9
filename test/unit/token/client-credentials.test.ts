/**
 * fetchToken in process, the token endpoint an undici MockAgent (the
 * injected transport): what is sent, what comes back, how failures are
 * named. The real provider (oidc-provider) is exercised by the e2e suite.
 */
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import { fetchToken } from '../../../src/token/client-credentials.ts';

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
  await t.rejects(fetchToken({ ...creds, tokenUrl: 'http://idp.test/token' }, { dispatcher: a, timeoutMs: 1000, attempts: 1 }), {
    exitCode: 3, code: 'HELPER_TOKEN_URL',
    message: 'OIDC_TOKEN_URL must be an https:// URL (got http://idp.test); plain http would send the client secret in clear (--insecure-skip-tls-verify does not allow it)',
  });
  t.same(a.pendingInterceptors(), []);
});

t.test('client_secret_basic first: the token and its expiry come back', async (t) => {
  const a = agent(t);
  let auth: string | undefined;
  a.get('https://idp.test').intercept({ path: '/token', method: 'POST' }).reply((req) => {
    auth = (req.headers as Record<string, string>).authorization;
    return { statusCode: 200, data: JSON.stringify({ access_token: 'tok-1', token_type: 'Bearer', expires_in: 300 }), responseOptions: { headers: { 'content-type': 'application/json' } } };
  });
  const before = Date.now();
  const tok = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1 });
  t.equal(tok.accessToken, 'tok-1');
  t.equal(tok.method, 'client_secret_basic');
  t.ok(tok.expiresAt! >= before + 300_000 && tok.expiresAt! <= Date.now() + 300_000, 'expiry from expires_in');
  // RFC 6749 2.3.1: id and secret form-urlencoded, then base64 as in RFC 7617.
  const [user, pass] = Buffer.from(String(auth).replace(/^Basic /, ''), 'base64').toString('utf8').split(':').map(decodeURIComponent);
  t.same([user, pass], ['ci-bot', SECRET], 'HTTP Basic carries the client ID and secret');
});

t.test('invalid_client on both methods: an auth error (exit 4) that names the client, never the secret', async (t) => {
  const a = agent(t);
  const bodies: string[] = [];
  a.get('https://idp.test').intercept({ path: '/token', method: 'POST' }).reply((req) => {
    bodies.push(String(req.body));
    return { statusCode: 401, data: JSON.stringify({ error: 'invalid_client' }), responseOptions: { headers: { 'content-type': 'application/json' } } };
  }).times(2);
  const err = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1 }).then(() => undefined, (e: unknown) => e as Error & { exitCode: number });
  t.equal(err?.exitCode, 4);
  t.match(err?.message, /ci-bot/);
  t.notMatch(`${err?.message} ${(err as { hint?: string }).hint ?? ''}`, SECRET);
  t.equal(bodies.length, 2, 'retried once with the credentials in the body');
  t.match(bodies[1], /client_secret=/);
});

t.test('an HTML page is not a token endpoint: said so, not retried', async (t) => {
  const a = agent(t);
  a.get('https://idp.test').intercept({ path: '/token', method: 'POST' }).reply(404, '<html>nope</html>', { headers: { 'content-type': 'text/html' } });
  await t.rejects(fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 3, baseDelayMs: 1 }), {
    code: 'HELPER_TOKEN_STATUS', message: 'token endpoint idp.test answered HTTP 404 (text/html), not an OAuth token response',
  });
  t.same(a.pendingInterceptors(), []);
});

t.test('503 then 200: retried, honouring the attempts', async (t) => {
  const a = agent(t);
  const pool = a.get('https://idp.test');
  pool.intercept({ path: '/token', method: 'POST' }).reply(503, 'busy');
  pool.intercept({ path: '/token', method: 'POST' }).reply(200, JSON.stringify({ access_token: 'tok-2', token_type: 'Bearer' }), { headers: { 'content-type': 'application/json' } });
  const tok = await fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 2, baseDelayMs: 1, maxDelayMs: 1 });
  t.equal(tok.accessToken, 'tok-2');
  t.equal(tok.expiresAt, undefined);
});

t.test('a token request does not load Node\'s own copy of undici (its fetch classes): the bundled one serves openid-client', async (t) => {
  // In a child process: this test process may have loaded Node's copy already.
  const script = `
    import { MockAgent } from 'undici';
    import { fetchToken } from ${JSON.stringify(new URL('../../../src/token/client-credentials.ts', import.meta.url).href)};
    const a = new MockAgent(); a.disableNetConnect();
    a.get('https://idp.test').intercept({ path: '/token', method: 'POST' }).reply(200, JSON.stringify({ access_token: 'tok-1', token_type: 'Bearer' }), { headers: { 'content-type': 'application/json' } });
    const tok = await fetchToken({ clientId: 'c', clientSecret: 's', tokenUrl: 'https://idp.test/token' }, { dispatcher: a, timeoutMs: 1000, attempts: 1 });
    await a.close();
    process.stdout.write(JSON.stringify({ token: tok.accessToken, nodeUndici: process.moduleLoadList.some((m) => m.includes('internal/deps/undici/undici')), headers: typeof Headers === 'function' && new Headers({ a: '1' }).get('a') }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../../..', import.meta.url).pathname });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { token: 'tok-1', nodeUndici: false, headers: '1' });
});
