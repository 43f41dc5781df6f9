/**
 * postBinding in process, the backend an undici MockAgent (the injected
 * transport): the request sent, which answers are retried and how each
 * failure is named. No answer or error may carry the access token. The real
 * example-backend is exercised by the e2e suite.
 */
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import { parseBindingResponse } from '../../../src/backend/binding-response.ts';
import { postBinding, type PostOptions } from '../../../src/backend/post-binding.ts';
import { ExitCode } from '../../../src/errors.ts';
import { log } from '../../../src/log.ts';

const TOKEN = 'tok-abcdefgh12345678-do-not-print';
const url = new URL('https://backend.test/bind-noninteractive');
const body = Buffer.from('{"clusterID":"c-1","apis":[{"group":"anynines.com","resource":"postgresqlinstances"}]}\n');
const json = { headers: { 'content-type': 'application/json' } };

// The retry notes (log.warn) are not what is checked here.
log.level = 'error';

function agent(t: Test): MockAgent {
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  return a;
}

const options = (a: MockAgent, more: Partial<PostOptions> = {}): PostOptions => ({
  dispatcher: a,
  timeoutMs: 5000,
  attempts: 3,
  baseDelayMs: 0,
  maxDelayMs: 0,
  ...more,
});

/** The error postBinding rejects with; fails the test when it resolves. */
async function failure(
  t: Test,
  p: Promise<unknown>,
): Promise<Error & { code?: string; exitCode?: number; hint?: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('expected postBinding to fail');
  t.notMatch(`${err.message} ${(err as { hint?: string }).hint ?? ''}`, TOKEN, 'the token is not in the error');
  return err;
}

t.test(
  'the request: POST of the exact bytes with the bearer token, JSON both ways; the 200 body comes back parsed',
  async (t) => {
    const a = agent(t);
    let seen: { method: string; path: string; headers: Record<string, string>; body: Buffer } | undefined;
    a.get('https://backend.test')
      .intercept({ path: '/bind-noninteractive', method: 'POST' })
      .reply((req) => {
        seen = {
          method: req.method,
          path: req.path,
          headers: req.headers as Record<string, string>,
          body: Buffer.from(req.body as Uint8Array),
        };
        return { statusCode: 200, data: JSON.stringify({ kind: 'BindingResponse', n: 1 }), responseOptions: json };
      });
    t.same(await postBinding(url, body, TOKEN, options(a)), { kind: 'BindingResponse', n: 1 });
    t.equal(seen?.method, 'POST');
    t.equal(seen?.path, '/bind-noninteractive');
    t.equal(seen?.headers.authorization, `Bearer ${TOKEN}`);
    t.equal(seen?.headers['content-type'], 'application/json');
    t.equal(seen?.headers.accept, 'application/json');
    t.ok(seen?.body.equals(body), 'binding.json as read, byte for byte');
  },
);

t.test(
  '401 and 403: an auth error (exit 4) with the audience hint, not retried, the echoed token redacted',
  async (t) => {
    for (const status of [401, 403]) {
      const a = agent(t);
      a.get('https://backend.test')
        .intercept({ path: '/bind-noninteractive', method: 'POST' })
        .reply(status, `invalid token: Bearer ${TOKEN}`);
      const err = await failure(t, postBinding(url, body, TOKEN, options(a)));
      t.equal(err.code, 'HELPER_BACKEND_UNAUTHORIZED');
      t.equal(err.exitCode, ExitCode.auth);
      t.equal(
        err.message,
        `backend backend.test rejected the access token: HTTP ${status}: invalid token: Bearer [REDACTED]`,
      );
      t.match(err.hint, /audience \(aud\) must contain the backend's OIDC client ID/);
      t.same(a.pendingInterceptors(), [], 'one request');
    }
  },
);

t.test('5xx is retried up to the attempts, then named with the last status and body', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(503, '  busy,\n try later ')
    .times(3);
  const err = await failure(t, postBinding(url, body, TOKEN, options(a)));
  t.equal(err.code, 'HELPER_BACKEND_UNAVAILABLE');
  t.equal(err.exitCode, ExitCode.backend);
  t.equal(err.message, 'backend backend.test kept failing: HTTP 503: busy, try later (gave up after retries)');
  t.same(a.pendingInterceptors(), [], 'three requests');
});

t.test('500 then 200: the retry succeeds', async (t) => {
  const a = agent(t);
  const pool = a.get('https://backend.test');
  pool.intercept({ path: '/bind-noninteractive', method: 'POST' }).reply(500, 'oops');
  pool.intercept({ path: '/bind-noninteractive', method: 'POST' }).reply(200, '{"ok":true}', json);
  t.same(await postBinding(url, body, TOKEN, options(a, { attempts: 2 })), { ok: true });
});

t.test('429 honours Retry-After: 0 retries at once where the backoff would pass the deadline', async (t) => {
  const a = agent(t);
  const pool = a.get('https://backend.test');
  pool
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(429, 'slow down', { headers: { 'retry-after': '0' } });
  pool.intercept({ path: '/bind-noninteractive', method: 'POST' }).reply(200, '{"ok":1}', json);
  // Without Retry-After the next attempt would wait 30-60 s, past the deadline, and postBinding would give up.
  t.same(
    await postBinding(url, body, TOKEN, options(a, { baseDelayMs: 60_000, maxDelayMs: 60_000, deadlineMs: 10_000 })),
    { ok: 1 },
  );
});

t.test('429 whose Retry-After is past the deadline: no retry, said so', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(429, '', { headers: { 'retry-after': '120' } });
  const err = await failure(t, postBinding(url, body, TOKEN, options(a, { maxDelayMs: 600_000, deadlineMs: 10_000 })));
  t.equal(err.code, 'HELPER_BACKEND_UNAVAILABLE');
  t.equal(err.message, 'backend backend.test kept failing: HTTP 429 (gave up after retries)');
  t.same(a.pendingInterceptors(), [], 'one request');
});

t.test('404 and 405: refused, not retried, with the path that was POSTed', async (t) => {
  for (const status of [404, 405]) {
    const a = agent(t);
    a.get('https://backend.test')
      .intercept({ path: '/bind-noninteractive', method: 'POST' })
      .reply(status, '<html><body>Not Found</body></html>', { headers: { 'content-type': 'text/html' } });
    const err = await failure(t, postBinding(url, body, TOKEN, options(a)));
    t.equal(err.code, 'HELPER_BACKEND_STATUS');
    t.equal(err.exitCode, ExitCode.backend);
    t.equal(
      err.message,
      `backend backend.test refused the binding: HTTP ${status}: <html><body>Not Found</body></html>`,
    );
    t.match(err.hint, /^helper POSTed to \/bind-noninteractive \(it appends/);
  }
});

t.test('a redirect is not followed (the token would go along): refused as its status', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(302, '', { headers: { location: 'https://elsewhere.test/' } });
  const err = await failure(t, postBinding(url, body, TOKEN, options(a)));
  t.equal(err.code, 'HELPER_BACKEND_STATUS');
  t.equal(err.message, 'backend backend.test refused the binding: HTTP 302');
  t.equal(err.hint, undefined);
});

t.test(
  'a 2xx that is not a BindingResponse: other statuses, content types, bodies and shapes each named',
  async (t) => {
    const cases: Array<{ status: number; data: string; type?: string; code: string; message: string | RegExp }> = [
      {
        status: 201,
        data: '{}',
        type: 'application/json',
        code: 'HELPER_BACKEND_STATUS',
        message: 'backend backend.test refused the binding: HTTP 201: {}',
      },
      {
        status: 200,
        data: '<html>login</html>',
        type: 'text/html; charset=utf-8',
        code: 'HELPER_BACKEND_CONTENT_TYPE',
        message:
          'backend backend.test answered 200 with content type "text/html; charset=utf-8", expected application/json',
      },
      {
        status: 200,
        data: '{}',
        code: 'HELPER_BACKEND_CONTENT_TYPE',
        message: 'backend backend.test answered 200 with content type "(none)", expected application/json',
      },
      {
        status: 200,
        data: '{"kind":',
        type: 'application/json',
        code: 'HELPER_BACKEND_RESPONSE_JSON',
        message: /^backend backend\.test answered 200 with a body that is not JSON \(.+; 8 bytes\)$/,
      },
    ];
    for (const c of cases) {
      const a = agent(t);
      a.get('https://backend.test')
        .intercept({ path: '/bind-noninteractive', method: 'POST' })
        .reply(c.status, c.data, c.type ? { headers: { 'content-type': c.type } } : {});
      const err = await failure(t, postBinding(url, body, TOKEN, options(a)));
      t.equal(err.code, c.code, `${c.status} ${c.type ?? ''}`);
      t.match(err.message, c.message);
      t.same(a.pendingInterceptors(), [], 'not retried');
    }
    // JSON of the wrong shape is postBinding's success and parseBindingResponse's refusal.
    const a = agent(t);
    a.get('https://backend.test')
      .intercept({ path: '/bind-noninteractive', method: 'POST' })
      .reply(200, '{"status":"ok"}', json);
    const parsed = await postBinding(url, body, TOKEN, options(a));
    t.throws(() => parseBindingResponse(parsed), {
      code: 'HELPER_BACKEND_RESPONSE_INVALID',
      message: /is not a valid BindingResponse\n {2}- \/: must have required property 'apiVersion'/,
    });
  },
);

t.test('a body over the limit is refused, not retried', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(200, JSON.stringify({ pad: 'x'.repeat(100) }), json);
  const err = await failure(t, postBinding(url, body, TOKEN, options(a, { maxBodyBytes: 64 })));
  t.equal(err.code, 'HELPER_BACKEND_RESPONSE_SIZE');
  t.equal(err.message, "backend backend.test: response body exceeds 64 bytes, helper's limit for one answer");
});

t.test('network errors are retried, then named with their cause', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .replyWithError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }))
    .times(2);
  const err = await failure(t, postBinding(url, body, TOKEN, options(a, { attempts: 2 })));
  t.equal(err.code, 'HELPER_BACKEND_UNREACHABLE');
  t.equal(err.exitCode, ExitCode.backend);
  t.match(err.message, /^cannot reach backend backend\.test: .*ECONNREFUSED.* \(gave up after retries\)$/);
  t.same(a.pendingInterceptors(), [], 'two requests');
});

t.test('a TLS verification failure is named with the --ca-file hint, not retried', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .replyWithError(
      Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
    );
  const err = await failure(t, postBinding(url, body, TOKEN, options(a)));
  t.equal(err.code, 'HELPER_BACKEND_TLS');
  t.match(err.message, /^TLS verification of backend backend\.test failed: /);
  t.match(err.hint, /--ca-file/);
  t.same(a.pendingInterceptors(), [], 'one request');
});

t.test('no answer within the timeout: named as a timeout of this backend', async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(200, '{}', json)
    .delay(2000);
  const err = await failure(t, postBinding(url, body, TOKEN, options(a, { timeoutMs: 20, attempts: 1 })));
  t.equal(err.code, 'HELPER_BACKEND_TIMEOUT');
  t.equal(err.exitCode, ExitCode.backend);
  t.equal(err.message, 'backend backend.test did not answer in time (gave up after retries)');
});

t.test("the caller's abort ends it with the caller's reason, not a backend error", async (t) => {
  const a = agent(t);
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(503, 'busy')
    .persist();
  const ctl = new AbortController();
  const reason = new Error('interrupted by the test');
  ctl.abort(reason);
  t.equal(await failure(t, postBinding(url, body, TOKEN, options(a, { signal: ctl.signal }))), reason);
});
