/** http.ts: the https-only rule, --ca-file reading, host names for messages, the dispatcher, proxies and the response
 * limit. */
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Agent, fetch } from 'undici';
import {
  checkProxyEnv,
  hostOf,
  limitResponses,
  makeDispatcher,
  proxyFor,
  readCaFile,
  readLimited,
  RESPONSE_LIMIT,
  ResponseTooLargeError,
  tlsDetail,
  tlsHint,
  tooLarge,
  withExtraCa,
} from '../../src/http.ts';
import { startConnectProxy } from '../helpers/connect-proxy.ts';
import { createCa } from '../sandbox/tls.ts';

t.test('hostOf: host and port, never the path or query', async (t) => {
  t.equal(hostOf('https://u:p@api.test:6443/apis?x=1'), 'api.test:6443');
  t.equal(hostOf('not a url'), 'not a url');
});

t.test(
  'readCaFile: a PEM file is read; missing or not PEM is an InputError naming it; TLS hints then name it',
  async (t) => {
    t.equal(readCaFile(undefined), undefined);
    const dir = t.testdir({});
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'junk'), 'hello');
    t.throws(() => readCaFile(join(dir, 'missing')), {
      code: 'HELPER_CA_FILE',
      exitCode: 3,
      message: `cannot read --ca-file ${join(dir, 'missing')}: ENOENT`,
    });
    t.throws(() => readCaFile(join(dir, 'junk')), { code: 'HELPER_CA_FILE', message: /holds no PEM certificate/ });
    t.match(readCaFile(pem), /BEGIN CERTIFICATE/);
    t.match(tlsHint('default'), new RegExp(`--ca-file ${pem} was trusted too`));
    t.equal(
      tlsDetail('unable to verify; if the root CA is installed locally, try running Node.js with --use-system-ca'),
      'unable to verify',
    );
  },
);

t.test('makeDispatcher: one dispatcher, closable', async (t) => {
  const d = makeDispatcher({ insecure: true });
  t.type(d.dispatch, 'function');
  await d.close();
});

t.test('withExtraCa: a server signed by the extra CA is verified; without it the same server is refused', async (t) => {
  const dir = t.testdir({});
  const ca = await createCa(dir);
  const leaf = await ca.issue('server', { sans: ['IP:127.0.0.1'] });
  const server = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const connect = (secureContext: SecureContext) =>
    new Promise<string>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, secureContext, rejectUnauthorized: false }, () => {
        resolve(s.authorized ? 'authorized' : String(s.authorizationError));
        s.destroy();
      });
      s.on('error', (e) => resolve(`error: ${e.message}`));
    });
  t.equal(await connect(withExtraCa(ca.caCert)), 'authorized');
  t.match(await connect(createSecureContext()), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
});

t.test("proxyFor: the proxy of a target as Go's ProxyFromEnvironment (kubectl) picks it", async (t) => {
  const P = 'http://proxy.test:3128/';
  const cases: Array<[string, Record<string, string>, string, string | undefined]> = [
    ['nothing set', {}, 'https://api.test', undefined],
    ['HTTPS_PROXY for https', { HTTPS_PROXY: P }, 'https://api.test:6443', P],
    ['HTTPS_PROXY not for http', { HTTPS_PROXY: P }, 'http://api.test', undefined],
    ['HTTP_PROXY for http', { HTTP_PROXY: P }, 'http://api.test', P],
    [
      "no fallback from https to HTTP_PROXY (undici's EnvHttpProxyAgent falls back)",
      { HTTP_PROXY: P },
      'https://api.test',
      undefined,
    ],
    ['upper case wins', { HTTPS_PROXY: P, https_proxy: 'http://lower.test:1/' }, 'https://api.test', P],
    ['an empty upper-case value is unset', { HTTPS_PROXY: '', https_proxy: P }, 'https://api.test', P],
    ['no scheme: http://', { HTTPS_PROXY: 'proxy.test:3128' }, 'https://api.test', P],
    ['an https:// proxy', { HTTPS_PROXY: 'https://proxy.test:8443' }, 'https://api.test', 'https://proxy.test:8443/'],
    ['localhost is never proxied', { HTTPS_PROXY: P }, 'https://localhost:6443', undefined],
    ['nor 127.0.0.0/8', { HTTPS_PROXY: P }, 'https://127.0.0.2:6443', undefined],
    ['nor ::1', { HTTPS_PROXY: P }, 'https://[::1]:6443', undefined],
    ['a name resolving to loopback is', { HTTPS_PROXY: P }, 'https://localhost.test:6443', P],
    ['NO_PROXY *', { HTTPS_PROXY: P, NO_PROXY: '*' }, 'https://api.test', undefined],
    ['NO_PROXY name: itself', { HTTPS_PROXY: P, NO_PROXY: 'a.test,example.com' }, 'https://example.com', undefined],
    ['NO_PROXY name: subdomains', { HTTPS_PROXY: P, NO_PROXY: 'example.com' }, 'https://api.example.com', undefined],
    ['NO_PROXY name: not a longer name', { HTTPS_PROXY: P, NO_PROXY: 'example.com' }, 'https://myexample.com', P],
    ['NO_PROXY .name: subdomains only', { HTTPS_PROXY: P, NO_PROXY: '.example.com' }, 'https://example.com', P],
    ['NO_PROXY *.name: subdomains only', { HTTPS_PROXY: P, NO_PROXY: '*.example.com' }, 'https://example.com', P],
    ['NO_PROXY *.name: a subdomain', { HTTPS_PROXY: P, NO_PROXY: '*.example.com' }, 'https://a.example.com', undefined],
    [
      'NO_PROXY name:port: that port',
      { HTTPS_PROXY: P, NO_PROXY: 'api.test:6443' },
      'https://api.test:6443',
      undefined,
    ],
    ['NO_PROXY name:port: not another', { HTTPS_PROXY: P, NO_PROXY: 'api.test:6443' }, 'https://api.test', P],
    [
      'NO_PROXY name:443 and the default port',
      { HTTPS_PROXY: P, NO_PROXY: 'api.test:443' },
      'https://api.test',
      undefined,
    ],
    ['NO_PROXY CIDR', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, 'https://10.1.2.3:6443', undefined],
    ['NO_PROXY CIDR: outside', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, 'https://11.1.2.3:6443', P],
    ['NO_PROXY CIDR never matches a name', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, 'https://ten.test', P],
    ['NO_PROXY IPv6 CIDR', { HTTPS_PROXY: P, NO_PROXY: 'fd00::/8' }, 'https://[fd12::1]:6443', undefined],
    ['NO_PROXY IP', { HTTPS_PROXY: P, NO_PROXY: '192.168.1.5' }, 'https://192.168.1.5:6443', undefined],
    [
      'NO_PROXY [IPv6]:port',
      { HTTPS_PROXY: P, NO_PROXY: '[2001:db8::1]:6443' },
      'https://[2001:db8::1]:6443',
      undefined,
    ],
    [
      'NO_PROXY a name never matches an IP',
      { HTTPS_PROXY: P, NO_PROXY: '192.168.1.5.nip.io' },
      'https://192.168.1.5',
      P,
    ],
    [
      'NO_PROXY spaces and case',
      { HTTPS_PROXY: P, NO_PROXY: ' x.test , API.Example.COM ' },
      'https://api.example.com',
      undefined,
    ],
    ['no_proxy when NO_PROXY is unset', { HTTPS_PROXY: P, no_proxy: 'api.test' }, 'https://api.test', undefined],
    [
      'a trailing dot is part of the name, as in Go',
      { HTTPS_PROXY: P, NO_PROXY: 'example.com' },
      'https://api.example.com.',
      P,
    ],
  ];
  for (const [name, env, target, want] of cases) t.equal(proxyFor(new URL(target), env)?.href, want, name);
  t.throws(() => proxyFor(new URL('https://api.test'), { HTTPS_PROXY: 'socks5://user:pw@s.test:1080' }), {
    code: 'HELPER_PROXY',
    exitCode: 3,
    message: 'HTTPS_PROXY is a socks5:// proxy; helper reaches servers through http:// and https:// proxies only',
  });
  t.throws(
    () => checkProxyEnv({ http_proxy: 'ftp://f.test' }),
    { message: /^http_proxy is a ftp:\/\/ proxy/ },
    'checked up front, whichever applies',
  );
});

t.test(
  'makeDispatcher: calls go through HTTPS_PROXY as a CONNECT tunnel (TLS to the server still verified); ' +
    'NO_PROXY exempts',
  async (t) => {
    const dir = t.testdir({});
    const ca = await createCa(dir);
    const leaf = await ca.issue('server', { sans: ['DNS:api.proxied.test'] });
    const server = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    // Only the proxy can resolve the name, as in a network where only the proxy reaches the servers.
    const proxy = await startConnectProxy({
      route: (hp) => (hp === `api.proxied.test:${port}` ? { host: '127.0.0.1', port } : undefined),
    });
    t.teardown(() => proxy.close());
    const saved = { ...process.env };
    t.teardown(() => {
      for (const k of ['HTTPS_PROXY', 'NO_PROXY']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });
    for (const k of ['https_proxy', 'no_proxy']) delete process.env[k];
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = 'other.test';
    const url = `https://api.proxied.test:${port}/x`;
    const d = makeDispatcher({ caPem: ca.caCert });
    t.teardown(() => d.close());
    const res = await fetch(url, { dispatcher: d });
    t.equal(await res.text(), '{"ok":true}');
    t.same(proxy.connects, [`api.proxied.test:${port}`], 'one CONNECT, to the server by name');
    process.env.NO_PROXY = 'proxied.test';
    const direct = makeDispatcher({ caPem: ca.caCert });
    t.teardown(() => direct.close());
    const err = await fetch(url, { dispatcher: direct }).catch((e: unknown) => e);
    t.match(
      String((err as Error & { cause?: Error }).cause?.message),
      /ENOTFOUND|EAI_AGAIN/,
      'exempt: straight to the name, which does not resolve here',
    );
    t.equal(proxy.connects.length, 1, 'no CONNECT for the exempt host');
  },
);

/** A loopback HTTP server answering each path as `answers` says; records the request headers. */
async function answering(
  t: Test,
  answers: Record<string, (res: import('node:http').ServerResponse) => void>,
): Promise<{ origin: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(req.headers);
    answers[req.url ?? '']!(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

t.test(
  'limitResponses: a body over the limit fails with ResponseTooLargeError naming host and limit, declared or ' +
    'streamed; compressed answers are not asked for and refused',
  async (t) => {
    const { origin, seen } = await answering(t, {
      '/small': (res) => res.end('x'.repeat(64)),
      '/declared': (res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('x'.repeat(10));
      },
      '/streamed': (res) => {
        res.writeHead(200);
        res.write('x'.repeat(60));
        setTimeout(() => res.end('y'.repeat(60)), 20);
      },
      '/gzip': (res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(Buffer.from([0x1f, 0x8b]));
      },
    });
    const d = new Agent().compose(limitResponses(64));
    t.teardown(() => d.close());
    t.equal(
      await (await fetch(`${origin}/small`, { dispatcher: d })).text(),
      'x'.repeat(64),
      'exactly the limit is fine',
    );
    t.equal(
      seen[0]!['accept-encoding'],
      'identity',
      'fetch\'s "br, gzip, deflate" replaced: a compressed answer could inflate past any limit',
    );
    const declared = await fetch(`${origin}/declared`, { dispatcher: d })
      .then((r) => r.text())
      .catch((e: unknown) => e);
    t.match(tooLarge(declared), {
      host: origin.slice(7),
      limit: 64,
      message: "response body exceeds 64 bytes, helper's limit for one answer (content-length 1000)",
    });
    const streamed = await fetch(`${origin}/streamed`, { dispatcher: d })
      .then((r) => r.text())
      .catch((e: unknown) => e);
    t.ok(tooLarge(streamed) instanceof ResponseTooLargeError, `streamed: ${String(streamed)}`);
    const gz = await fetch(`${origin}/gzip`, { dispatcher: d })
      .then((r) => r.text())
      .catch((e: unknown) => e);
    t.match(
      String((gz as Error).cause ?? gz),
      /answered with a compressed body \(content-encoding gzip\) although helper asked for none/,
    );
  },
);

t.test(
  "makeDispatcher bounds every body at RESPONSE_LIMIT (16 MiB): the token request's too (regression: " +
    'openid-client read whatever came)',
  async (t) => {
    t.equal(RESPONSE_LIMIT, 16 * 1024 * 1024);
    const { origin } = await answering(t, {
      '/huge': (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1 << 20, 0x20);
        let n = 0;
        const more = () => {
          while (n++ < 20)
            if (!res.write(chunk)) {
              res.once('drain', more);
              return;
            }
          res.end();
        };
        more();
      },
    });
    const d = makeDispatcher();
    t.teardown(() => d.close());
    const err = await fetch(`${origin}/huge`, { dispatcher: d })
      .then((r) => r.json())
      .catch((e: unknown) => e);
    t.match(tooLarge(err), {
      limit: RESPONSE_LIMIT,
      message: "response body exceeds 16777216 bytes (16 MiB), helper's limit for one answer",
    });
  },
);

t.test('readLimited: reads up to the limit; over it, the body is destroyed and the error names the host', async (t) => {
  async function* chunks(n: number, size: number) {
    for (let i = 0; i < n; i++) yield Buffer.alloc(size, 0x61);
  }
  t.equal((await readLimited(chunks(4, 16), 'h.test:1', 64)).length, 64);
  const err = await readLimited(chunks(5, 16), 'h.test:1', 64).catch((e: unknown) => e);
  t.match(err, { name: 'ResponseTooLargeError', host: 'h.test:1', limit: 64 });
});

t.test(
  "proxyFor reads the run scope's environment: process.env for the CLI, only the given one in a library call",
  async (t) => {
    const { Logger, runInScope, Secrets } = await import('../../src/log.ts');
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = 'http://process-proxy.test:3128';
    t.teardown(() => {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    });
    const target = new URL('https://api.test');
    t.equal(proxyFor(target)?.host, 'process-proxy.test:3128', 'outside a scope: process.env (the CLI)');
    const scope = (env: Record<string, string>) => ({
      logger: new Logger({ write: () => {} }),
      secrets: new Secrets(),
      env,
    });
    t.equal(
      runInScope(scope({}), () => proxyFor(target)),
      undefined,
      'a library call without env: no proxy',
    );
    t.equal(
      runInScope(scope({ HTTPS_PROXY: 'http://given.test:8080' }), () => proxyFor(target))?.host,
      'given.test:8080',
    );
    t.doesNotThrow(() => runInScope(scope({}), () => checkProxyEnv()), "a bad process.env is not the library's");
  },
);
