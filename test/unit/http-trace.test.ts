/** -vv: one line per HTTP request with method, host, path, status and duration; never the query, headers or body. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { fetch } from 'undici';
import { traceHttp } from '../../src/http-trace.ts';

t.test('a line per request, without query, headers or body', async (t) => {
  const server = createServer((req, res) => {
    res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
    res.end('{"access_token":"secret-body-token-1234"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const lines: string[] = [];
  traceHttp((l) => lines.push(l));
  await (
    await fetch(`http://127.0.0.1:${port}/token?client_secret=query-secret-5678`, {
      method: 'POST',
      headers: { authorization: 'Bearer header-token-9999' },
      body: 'grant_type=client_credentials',
    })
  ).text();
  await (await fetch(`http://127.0.0.1:${port}/missing/x`)).text();
  const ours = lines.filter((l) => l.includes(`127.0.0.1:${port}`));
  t.equal(ours.length, 2, JSON.stringify(lines));
  t.match(ours[0], new RegExp(`^http: POST 127\\.0\\.0\\.1:${port}/token -> 200 in \\d+ms$`));
  t.match(ours[1], new RegExp(`^http: GET 127\\.0\\.0\\.1:${port}/missing/x -> 404 in \\d+ms$`));
  const all = lines.join('\n');
  for (const secret of ['query-secret-5678', 'header-token-9999', 'secret-body-token-1234', 'grant_type'])
    t.notOk(all.includes(secret), `${secret} not traced`);
});

t.test('KubeClient requests are traced too, a watch without its query; no token', async (t) => {
  const { KubeClient } = await import('../../src/kube/client.ts');
  const server = createServer((req, res) => {
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end('{"metadata":{"name":"a"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as AddressInfo).port;
  const lines: string[] = [];
  traceHttp((l) => lines.push(l));
  const c = new KubeClient(
    { server: `http://127.0.0.1:${port}`, insecure: false, auth: { kind: 'token', token: 'kube-token-abcdef123' } },
    { label: 'cluster', attempts: 1 },
  );
  await c.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'a', 'ns');
  const ac = new AbortController();
  const ended = new Promise<void>((resolve) => {
    void c.watch(
      '/api/v1/namespaces/ns/configmaps',
      'a',
      () => {},
      () => resolve(),
      ac.signal,
    );
  });
  await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await ended;
  const ours = lines.filter((l) => l.includes(`127.0.0.1:${port}`));
  t.match(
    ours[0],
    new RegExp(`^http: GET 127\\.0\\.0\\.1:${port}/api/v1/namespaces/ns/configmaps/a -> 200 in \\d+ms$`),
  );
  t.match(
    ours[1],
    new RegExp(`^http: GET 127\\.0\\.0\\.1:${port}/api/v1/namespaces/ns/configmaps -> 200`),
    'the watch, without its query',
  );
  t.notOk(lines.join('\n').includes('kube-token-abcdef123'));
  // Issue 24 #13: helper ending its own watch is no failure.
  await new Promise((r) => setTimeout(r, 20));
  t.notMatch(lines.join('\n'), /failed \((AbortError|UND_ERR_ABORTED)\)/);
  t.match(
    lines.filter((l) => l.includes(`127.0.0.1:${port}`)).at(-1),
    new RegExp(`^http: GET 127\\.0\\.0\\.1:${port}/api/v1/namespaces/ns/configmaps -> closed by helper after \\d+ms$`),
  );
});
