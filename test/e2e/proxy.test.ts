/**
 * HTTPS_PROXY / NO_PROXY apply to every call, as kubectl applies them: the
 * token request and the bind POST, and every cluster call (create-ns, status,
 * apply, control-plane). A real CONNECT proxy on loopback (test/helpers/
 * connect-proxy.ts) is the only way to the servers' name
 * `proxied.sandbox.test` (the sandbox certificate names it; nothing else
 * resolves it), and its log of CONNECTs is the evidence of which calls went
 * through it. Loopback addresses are never proxied (Go's rule, kubectl's too:
 * checked with the sandbox's kubectl), NO_PROXY exempts a host, and a
 * kubeconfig's own proxy-url wins over the environment.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.ts';
import { cpEnv } from '../helpers/control-plane.ts';
import { runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const NAME = 'proxied.sandbox.test';
const sb = await useSandbox(t);
const dir = t.testdir({});

/** The proxy: `proxied.sandbox.test:PORT` is tunnelled to 127.0.0.1:PORT, any other name is refused. */
const proxy: ConnectProxy = await startConnectProxy({
  route: (hp) => (hp.startsWith(`${NAME}:`) ? { host: '127.0.0.1', port: Number(hp.split(':')[1]) } : undefined),
});
t.teardown(() => proxy.close());

/** A URL of the sandbox with its host replaced by the proxied name. */
const named = (url: string): string => url.replace(/^https:\/\/127\.0\.0\.1:/, `https://${NAME}:`);
const portOf = (url: string): string => new URL(url).port;
/** A kubeconfig with every server reached by the proxied name. */
function namedKubeconfig(file: string, extra = ''): string {
  const out = join(dir, `named-${randomBytes(3).toString('hex')}.yaml`);
  const text = readFileSync(file, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:/g, `server: https://${NAME}:`);
  writeFileSync(out, extra ? text.replace(/(\n\s+)server: (\S+)/, `$1server: $2$1${extra}`) : text, { mode: 0o600 });
  return out;
}
/** The CONNECTs seen since `from`. */
const since = (from: number) => proxy.connects.slice(from);
const env = (extra: Record<string, string> = {}) => ({ ...sb.env, HTTPS_PROXY: proxy.url, ...extra });

const binding = join(dir, 'binding.json');
writeFileSync(
  binding,
  JSON.stringify({
    clusterID: `proxy-${randomBytes(4).toString('hex')}`,
    apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
  }),
);
const kfg = join(dir, 'provider.kfg.yaml');

t.test('bootstrap-env: the token request and the bind POST go through HTTPS_PROXY', async (t) => {
  const from = proxy.connects.length;
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      binding,
      '-u',
      named(sb.bindUrl),
      '--ca-file',
      sb.caFile,
      '--no-wait',
      '--write-kubeconfig',
      kfg,
    ],
    {
      env: env({ OIDC_TOKEN_URL: named(sb.oidc.tokenUrl) }),
    },
  );
  t.equal(r.code, 0, r.stderr);
  t.same(
    since(from),
    [`${NAME}:${portOf(sb.oidc.tokenUrl)}`, `${NAME}:${portOf(sb.bindUrl)}`],
    'one CONNECT to the token endpoint, one to the backend (the control plane of the answer is on loopback: direct)',
  );
});

t.test('create-ns, status, apply and control-plane check go through HTTPS_PROXY', async (t) => {
  const provider = namedKubeconfig(kfg);
  const app = namedKubeconfig(sb.app.kubeconfig);
  const cp = namedKubeconfig(sb.controlPlane.kubeconfig);
  const cpHost = `${NAME}:${portOf(sb.controlPlane.server)}`;
  const appHost = `${NAME}:${portOf(sb.app.server)}`;

  let from = proxy.connects.length;
  const ns = await runCli(['create-ns', '--kubeconfig', provider, '-n', 'team-p', '--timeout', '60s'], { env: env() });
  t.equal(ns.code, 0, ns.stderr);
  t.match(ns.stdout, /-team-p\n$/);
  t.ok(
    since(from).length >= 1 && since(from).every((c) => c === cpHost),
    `create-ns: CONNECTs to the control plane only (${since(from).join(', ')})`,
  );

  from = proxy.connects.length;
  const st = await runCli(['status', '--kubeconfig', provider, '--app-kubeconfig', app, '-o', 'json'], { env: env() });
  t.ok(
    Array.isArray((JSON.parse(st.stdout) as { items: unknown[] }).items),
    `status reported (exit ${st.code}): ${st.stderr}`,
  );
  t.ok(
    since(from).includes(cpHost) && since(from).includes(appHost),
    `status: CONNECTs to the control plane and the App Cluster (${since(from).join(', ')})`,
  );

  from = proxy.connects.length;
  const manifest = join(dir, 'cm.yaml');
  writeFileSync(
    manifest,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: proxied-${randomBytes(3).toString('hex')}\n  ` +
      `namespace: default\ndata:\n  a: b\n`,
  );
  const ap = await runCli(['apply', '-f', manifest, '--kubeconfig', app], { env: env() });
  t.equal(ap.code, 0, ap.stderr);
  t.match(ap.stdout + ap.stderr, /created/);
  t.ok(
    since(from).length >= 1 && since(from).every((c) => c === appHost),
    `apply: CONNECTs to the App Cluster (${since(from).join(', ')})`,
  );

  from = proxy.connects.length;
  const check = await runCli(['control-plane', 'check', '--kubeconfig', cp, '-o', 'json'], {
    env: { ...cpEnv, HTTPS_PROXY: proxy.url },
  });
  t.ok(
    Array.isArray((JSON.parse(check.stdout) as { items: unknown[] }).items),
    `control-plane check reported (exit ${check.code}; this sandbox is not a full control plane): ${check.stderr}`,
  );
  t.notMatch(check.stderr, /cannot reach/);
  t.ok(
    since(from).length >= 1 && since(from).every((c) => c === cpHost),
    `control-plane: CONNECTs to the control plane (${since(from).join(', ')})`,
  );
});

t.test(
  'NO_PROXY exempts a host (then it is reached directly: here its name does not resolve); * exempts all',
  async (t) => {
    const provider = namedKubeconfig(kfg);
    for (const noProxy of [NAME, `.sandbox.test`, `${NAME}:${portOf(sb.controlPlane.server)}`, '*']) {
      const from = proxy.connects.length;
      const r = await runCli(['create-ns', '--kubeconfig', provider, '-n', 'team-p', '--retries', '0'], {
        env: env({ NO_PROXY: noProxy }),
      });
      t.equal(r.code, 6, `NO_PROXY=${noProxy}: ${r.stderr}`);
      t.match(
        r.stderr,
        new RegExp(`cannot reach control plane ${NAME.replace(/\./g, '\\.')}:\\d+ to .*(ENOTFOUND|EAI_AGAIN)`),
        'a direct connection to the name',
      );
      t.same(since(from), [], `NO_PROXY=${noProxy}: no CONNECT`);
    }
    // A port that is not the server's does not exempt it.
    const from = proxy.connects.length;
    const r = await runCli(['create-ns', '--kubeconfig', provider, '-n', 'team-p'], {
      env: env({ NO_PROXY: `${NAME}:1` }),
    });
    t.equal(r.code, 0, r.stderr);
    t.ok(since(from).length >= 1, 'NO_PROXY with another port: still through the proxy');
  },
);

t.test("loopback servers are never proxied, by helper as by kubectl (Go's ProxyFromEnvironment)", async (t) => {
  const from = proxy.connects.length;
  const r = await runCli(['create-ns', '--kubeconfig', kfg, '-n', 'team-p'], { env: env() });
  t.equal(r.code, 0, r.stderr);
  const k = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      sb.bin.kubectl,
      [`--kubeconfig=${kfg}`, 'get', 'apiservicenamespaces.klutch.anynines.com', 'team-p'],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, HTTPS_PROXY: proxy.url } },
      (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr }),
    );
  });
  t.equal(k.code, 0, k.stderr);
  t.same(since(from), [], 'neither CONNECTed for 127.0.0.1');
  // And both take the proxy for the name.
  const viaName = namedKubeconfig(kfg);
  const k2 = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      sb.bin.kubectl,
      [`--kubeconfig=${viaName}`, 'get', 'apiservicenamespaces.klutch.anynines.com', 'team-p'],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, HTTPS_PROXY: proxy.url } },
      (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr }),
    );
  });
  t.equal(k2.code, 0, k2.stderr);
  t.ok(since(from).length >= 1, 'kubectl CONNECTs for the name as helper does');
});

t.test("a user kubeconfig's proxy-url wins over HTTPS_PROXY and NO_PROXY, as in kubectl", async (t) => {
  const provider = namedKubeconfig(kfg, `proxy-url: ${proxy.url}`);
  const from = proxy.connects.length;
  const r = await runCli(['create-ns', '--kubeconfig', provider, '-n', 'team-p', '--retries', '0'], {
    env: env({ HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '*' }),
  });
  t.equal(r.code, 0, r.stderr);
  t.ok(since(from).length >= 1, "through the kubeconfig's proxy");
});

t.test('a proxy variable helper cannot use: exit 3 naming the variable, nothing sent', async (t) => {
  const from = proxy.connects.length;
  const r = await runCli(['create-ns', '--kubeconfig', namedKubeconfig(kfg), '-n', 'team-p'], {
    env: env({ HTTPS_PROXY: 'socks5://user:secret-pw@127.0.0.1:1080' }),
  });
  t.equal(r.code, 3, r.stderr);
  t.match(
    r.stderr,
    /error: HTTPS_PROXY is a socks5:\/\/ proxy; helper reaches servers through http:\/\/ and https:\/\/ proxies only/,
  );
  t.notMatch(r.stderr, /secret-pw/, "the proxy's credentials are not shown");
  t.same(since(from), []);
});
