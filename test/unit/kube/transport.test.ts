/**
 * The transport alone: callApi's bounds and the run's signal, the one HTTP
 * exchange (sendRequest: a Status object's reason and message, Retry-After,
 * no body taken on trust), the retry classification, the proxy of a
 * connection. The API server is an undici MockAgent (fault injection).
 */
import t from 'tap';
import { MockAgent } from 'undici';
import { ClusterError } from '../../../src/errors.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import type { Connection } from '../../../src/kube/kubeconfig.ts';
import { callApi, HttpStatusError, retryDecision, sendRequest } from '../../../src/kube/transport.ts';

const SERVER = 'https://api.test:6443';
const conn: Connection = {
  server: SERVER,
  insecure: false,
  auth: { kind: 'token', token: 'transport-token-not-real' },
};
const json = { 'content-type': 'application/json' };

t.test("callApi: the run's signal ends a call at once with its reason, and aborts the request", async (t) => {
  const ac = new AbortController();
  const reason = new Error('interrupted');
  let requestSignal: AbortSignal | undefined;
  setTimeout(() => ac.abort(reason), 10);
  const err = await callApi(
    { server: 's', action: 'a' },
    { requestTimeoutMs: 60_000, attempts: 4, signal: ac.signal },
    (s) => {
      requestSignal = s;
      return new Promise<never>(() => {});
    },
  ).catch((e: unknown) => e);
  t.equal(err, reason);
  t.equal(requestSignal?.aborted, true);
});

t.test(
  'callApi: a stalled call ends after its bound with HELPER_CLUSTER_TIMEOUT naming server and action',
  async (t) => {
    const err = await callApi(
      { server: 'control plane x:1', action: 'get a', short: 'get' },
      { requestTimeoutMs: 50, attempts: 1 },
      () => new Promise<never>(() => {}),
    ).catch((e: unknown) => e);
    t.match(err, { code: 'HELPER_CLUSTER_TIMEOUT', message: 'control plane x:1 did not answer get within 0s' });
  },
);

t.test(
  'sendRequest: the JSON of a 2xx; a Status answer is HttpStatusError with its reason, message and ' +
    'Retry-After; a non-JSON 2xx is refused',
  async (t) => {
    const a = new MockAgent();
    a.disableNetConnect();
    t.teardown(() => a.close());
    const pool = a.get(SERVER);
    pool
      .intercept({ path: '/api/v1/namespaces/n/configmaps/a?x=1', method: 'GET' })
      .reply(200, { metadata: { name: 'a' } }, { headers: json });
    pool
      .intercept({ path: '/api/v1/namespaces/n/configmaps/b', method: 'GET' })
      .reply(
        429,
        { kind: 'Status', reason: 'TooManyRequests', message: 'slow down' },
        { headers: { ...json, 'retry-after': '2' } },
      );
    pool
      .intercept({ path: '/api/v1/namespaces/n/configmaps/c', method: 'GET' })
      .reply(200, '<html>proxy</html>', { headers: { 'content-type': 'text/html' } });
    const policy = { requestTimeoutMs: 1000, attempts: 1, dispatcher: a };
    t.same(
      await sendRequest(conn, policy, {
        method: 'GET',
        path: '/api/v1/namespaces/n/configmaps/a',
        query: { x: '1', y: undefined },
      }),
      { metadata: { name: 'a' } },
    );
    const e = await sendRequest(conn, policy, { method: 'GET', path: '/api/v1/namespaces/n/configmaps/b' }).catch(
      (x: unknown) => x,
    );
    t.ok(e instanceof HttpStatusError);
    t.match(e, { status: 429, reason: 'TooManyRequests', message: 'slow down', retryAfterMs: 2000 });
    await t.rejects(sendRequest(conn, policy, { method: 'GET', path: '/api/v1/namespaces/n/configmaps/c' }), {
      name: 'SyntaxError',
      message: 'the answer is not JSON (content-type text/html)',
    });
  },
);

t.test('retryDecision: passing failures are retried, refusals and foreign errors are final', async (t) => {
  t.match(retryDecision(new ClusterError('HELPER_CLUSTER_STATUS', 'x', { status: 503 })), {
    retry: true,
    reason: 'HTTP 503',
  });
  t.match(retryDecision(new ClusterError('HELPER_CLUSTER_FORBIDDEN', 'x', { status: 403 })), { retry: false });
  t.match(retryDecision(new ClusterError('HELPER_CLUSTER_UNREACHABLE', 'x')), {
    retry: true,
    reason: 'connection failed',
  });
  t.match(retryDecision(new ClusterError('HELPER_CLUSTER_TLS', 'x')), { retry: false });
  t.match(retryDecision(new Error('x')), { retry: false });
});

t.test(
  "proxyOf: the kubeconfig's proxy-url wins over the environment; else HTTPS_PROXY with NO_PROXY, as kubectl",
  async (t) => {
    const { proxyOf } = await import('../../../src/kube/transport.ts');
    const saved = { ...process.env };
    t.teardown(() => {
      for (const k of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });
    for (const k of ['https_proxy', 'no_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[k];
    process.env.HTTPS_PROXY = 'http://env-proxy.test:3128';
    process.env.NO_PROXY = 'api.test';
    t.equal(
      proxyOf({ ...conn, proxyUrl: 'http://kfg-proxy.test:8080' })?.href,
      'http://kfg-proxy.test:8080/',
      'proxy-url, whatever NO_PROXY says',
    );
    t.equal(proxyOf(conn), undefined, 'NO_PROXY exempts api.test');
    t.equal(proxyOf({ ...conn, server: 'https://other.test:6443' })?.href, 'http://env-proxy.test:3128/');
    t.equal(proxyOf({ ...conn, server: 'https://127.0.0.1:6443' }), undefined, 'loopback is never proxied');
    process.env.HTTPS_PROXY = 'socks5://s.test:1080';
    t.throws(() => new KubeClient({ ...conn, server: 'https://other.test:6443' }, { label: 'control plane' }), {
      code: 'HELPER_PROXY',
      exitCode: 3,
      message: 'HTTPS_PROXY is a socks5:// proxy; helper reaches servers through http:// and https:// proxies only',
    });
  },
);
