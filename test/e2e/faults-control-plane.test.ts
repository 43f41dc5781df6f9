/**
 * Faults between helper and the control-plane API server, injected by a
 * loopback proxy in front of the real kube-apiserver (the provider
 * kubeconfig's server is pointed at the proxy; TLS stays verified with the
 * sandbox CA). Passing faults are retried (3 retries by default) and the run
 * succeeds; persistent ones end with exit 6, naming the step and the host.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startFaultProxy, type Fault } from '../helpers/faults.ts';
import { peakRss, runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';

const sb = await useSandbox(t);
const dir = t.testdir({});

// A binding with an APIServiceNamespace whose status Klutch's example-backend has set.
const binding = join(dir, 'binding.json');
writeFileSync(
  binding,
  JSON.stringify({
    clusterID: `fault-${randomBytes(4).toString('hex')}`,
    apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
  }),
);
const kfg = join(dir, 'k.yaml');
const b = await runCli(
  ['bootstrap-env', '-f', binding, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait', '--write-kubeconfig', kfg],
  { env: sb.env },
);
if (b.code !== 0) throw new Error(b.stderr);
const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
await kubectl(
  sb.bin,
  kfg,
  ['create', '-f', '-'],
  JSON.stringify({
    apiVersion: 'klutch.anynines.com/v1alpha1',
    kind: 'APIServiceNamespace',
    metadata: { name: 'team-f' },
    spec: {},
  }),
);
const st = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
  'wait',
  'apiservicenamespaces.klutch.anynines.com/team-f',
  '-n',
  ns,
  `--for=jsonpath={.status.namespace}=${ns}-team-f`,
  '--timeout=60s',
]);
if (st.code !== 0) throw new Error(st.stderr);

/** The creates of the APIServiceNamespace (create-ns then also POSTs its SelfSubjectAccessReviews). */
const creates = (p: { seen: Array<{ method: string; path: string }> }) =>
  p.seen.filter((s) => s.method === 'POST' && s.path.split('?')[0]!.endsWith('/apiservicenamespaces')).length;

async function viaProxy(
  t: Test,
  script: (n: number, method: string) => Fault,
): Promise<{ kubeconfig: string; proxy: Awaited<ReturnType<typeof startFaultProxy>> }> {
  const proxy = await startFaultProxy({
    target: sb.controlPlane.server,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: (n, req) => script(n, req.method ?? ''),
  });
  t.teardown(() => proxy.close());
  const f = join(dir, `via-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(f, readFileSync(kfg, 'utf8').replace(/server: .*/, `server: ${proxy.url}`), { mode: 0o600 });
  return { kubeconfig: f, proxy };
}

const passing: Array<[string, Fault]> = [
  ['connection reset', 'reset'],
  ['503 with Retry-After', { status: 503, body: 'unavailable', headers: { 'retry-after': '1' } }],
  [
    '429 with Retry-After',
    {
      status: 429,
      body:
        '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many ' +
        'requests","reason":"TooManyRequests","code":429}',
      headers: { 'retry-after': '1', 'content-type': 'application/json' },
    },
  ],
  ['500', { status: 500, body: 'boom' }],
  ['502', { status: 502, body: 'bad gateway' }],
  [
    'truncated 201 body',
    {
      status: 201,
      body: '{"apiVersion":"klutch.anynines.com/v1alpha1","kind":"APISer',
      headers: { 'content-type': 'application/json' },
    },
  ],
  [
    'wrong content type (regression: an HTML 201 from a proxy was taken as the created object)',
    { status: 201, body: '<html>proxy login</html>', headers: { 'content-type': 'text/html' } },
  ],
];

for (const [name, fault] of passing) {
  t.test(`create-ns: ${name} once, then the real server: retried, exit 0`, async (t) => {
    // The first create (create-ns first reads the ClusterBinding, to see whether a konnector is connected).
    let posts = 0;
    const { kubeconfig, proxy } = await viaProxy(t, (_n, m) => (m === 'POST' && ++posts === 1 ? fault : 'forward'));
    const r = await runCli([
      'create-ns',
      '--kubeconfig',
      kubeconfig,
      '--ca-file',
      sb.caFile,
      '-n',
      'team-f',
      '--timeout',
      '20s',
    ]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, `${ns}-team-f\n`);
    t.match(
      r.stderr,
      /control plane 127\.0\.0\.1:\d+: create apiservicenamespaces: .*; retrying in \d+\.\ds \(attempt 2 of 4\)/,
    );
    t.ok(proxy.seen.length >= 2);
  });
}

t.test('create-ns: 503 forever: exit 6 after 1 try + 3 retries, naming step and host', async (t) => {
  const { kubeconfig, proxy } = await viaProxy(t, () => ({ status: 503, body: 'unavailable' }));
  const r = await runCli(['create-ns', '--kubeconfig', kubeconfig, '--ca-file', sb.caFile, '-n', 'team-f']);
  t.equal(r.code, 6, r.stderr);
  t.equal(creates(proxy), 4, '4 creates');
  t.match(
    r.stderr,
    /control plane 127\.0\.0\.1:\d+ failed to create apiservicenamespaces "team-f" in namespace "cluster-\S+": HTTP 503/,
  );
});

t.test(
  'create-ns: stall longer than the request timeout: exit 6 within the bound (regression: the process stayed ' +
    'alive on the stalled socket)',
  async (t) => {
    const { kubeconfig, proxy } = await viaProxy(t, () => 'stall');
    const r = await runCli([
      'create-ns',
      '--kubeconfig',
      kubeconfig,
      '--ca-file',
      sb.caFile,
      '-n',
      'team-f',
      '--request-timeout',
      '1s',
      '--retries',
      '1',
    ]);
    t.equal(r.code, 6, r.stderr);
    t.equal(creates(proxy), 2, '1 try + 1 retry');
    t.match(r.stderr, /control plane 127\.0\.0\.1:\d+ did not answer create apiservicenamespaces within 1s/);
    t.ok(r.ms < 15_000, `bounded (${r.ms} ms)`);
  },
);

t.test('create-ns: connection refused: exit 6', async (t) => {
  const port = await freePort();
  const f = join(dir, 'refused.yaml');
  writeFileSync(f, readFileSync(kfg, 'utf8').replace(/server: .*/, `server: https://127.0.0.1:${port}`), {
    mode: 0o600,
  });
  const r = await runCli(['create-ns', '--kubeconfig', f, '--ca-file', sb.caFile, '-n', 'team-f', '--retries', '2']);
  t.equal(r.code, 6, r.stderr);
  t.equal((r.stderr.match(/retrying in/g) ?? []).length, 2);
  t.match(r.stderr, new RegExp(`cannot reach control plane 127\\.0\\.0\\.1:${port} to create apiservicenamespaces`));
});

t.test(
  'apply (shared by --apply-to and control-plane apply): 503 once is retried; 503 forever ends with exit 6 ' +
    'naming the object and host',
  async (t) => {
    const manifest = join(dir, 'cm.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fault-${randomBytes(3).toString('hex')}\n  ` +
        `namespace: default\ndata:\n  a: b\n`,
    );
    const app = readFileSync(sb.app.kubeconfig, 'utf8');
    const proxied = async (script: (n: number, method: string) => Fault) => {
      const proxy = await startFaultProxy({
        target: sb.app.server,
        caFile: sb.caFile,
        tls: sb.serverTls,
        script: (n, req) => script(n, req.method ?? ''),
      });
      t.teardown(() => proxy.close());
      const f = join(dir, `app-${randomBytes(3).toString('hex')}.yaml`);
      writeFileSync(f, app.replace(/server: .*/, `server: ${proxy.url}`), { mode: 0o600 });
      return { f, proxy };
    };
    let patches = 0;
    const once = await proxied((_n, m) =>
      m === 'PATCH' && ++patches === 1 ? { status: 503, body: 'x', headers: { 'retry-after': '1' } } : 'forward',
    );
    const ok = await runCli(['apply', '-f', manifest, '--kubeconfig', once.f]);
    t.equal(ok.code, 0, ok.stderr);
    t.match(
      ok.stderr,
      /cluster 127\.0\.0\.1:\d+: apply ConfigMap default\/fault-\w+: HTTP 503; retrying in 1\.0s \(attempt 2 of 4\)/,
    );
    const always = await proxied((_n, m) => (m === 'PATCH' ? { status: 503, body: 'down' } : 'forward'));
    const r = await runCli(['apply', '-f', manifest, '--kubeconfig', always.f]);
    t.equal(r.code, 6, r.stderr);
    t.match(r.stderr, /cluster 127\.0\.0\.1:\d+ failed to apply ConfigMap default\/fault-\w+: HTTP 503/);
    t.equal(always.proxy.seen.filter((s) => s.method === 'PATCH').length, 4);
  },
);

t.test('create-ns: 429 forever: exit 6 after 1 try + 3 retries, naming HTTP 429', async (t) => {
  const status429 = {
    status: 429,
    body:
      '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many ' +
      'requests","reason":"TooManyRequests","code":429}',
    headers: { 'retry-after': '1', 'content-type': 'application/json' },
  };
  const { kubeconfig, proxy } = await viaProxy(t, (_n, m) => (m === 'POST' ? status429 : 'forward'));
  const r = await runCli(['create-ns', '--kubeconfig', kubeconfig, '--ca-file', sb.caFile, '-n', 'team-f']);
  t.equal(r.code, 6, r.stderr);
  t.equal(r.stdout, '');
  t.equal(creates(proxy), 4, '4 creates');
  t.equal((r.stderr.match(/HTTP 429; retrying in 1\.0s/g) ?? []).length, 3, 'Retry-After honoured on each retry');
  t.match(
    r.stderr,
    /error: control plane 127\.0\.0\.1:\d+ failed to create apiservicenamespaces "team-f" in namespace "cluster-\S+": HTTP 429 TooManyRequests: too many requests/,
  );
});

// 17 MiB of JSON-ish junk (an array that never closes), as application/json.
const huge = Buffer.from(
  `[${'{"junk":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},'.repeat(Math.ceil((17 << 20) / 58))}`,
);
const hugeAnswer: Fault = { status: 201, body: huge, headers: { 'content-type': 'application/json' } };

t.test(
  'create-ns: 201 with a 17 MiB application/json junk body once: a malformed answer, retried, exit 0',
  async (t) => {
    let posts = 0;
    const { kubeconfig, proxy } = await viaProxy(t, (_n, m) =>
      m === 'POST' && ++posts === 1 ? hugeAnswer : 'forward',
    );
    const r = await runCli([
      'create-ns',
      '--kubeconfig',
      kubeconfig,
      '--ca-file',
      sb.caFile,
      '-n',
      'team-f',
      '--timeout',
      '20s',
    ]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, `${ns}-team-f\n`);
    t.match(
      r.stderr,
      /control plane 127\.0\.0\.1:\d+: create apiservicenamespaces: malformed answer; retrying in \d+\.\ds \(attempt 2 of 4\)/,
    );
    t.equal(creates(proxy), 2, '1 try + 1 retry');
  },
);

t.test(
  'create-ns: 201 with a 17 MiB junk body forever: exit 6 after 1 + 3 attempts, bounded in time and memory',
  async (t) => {
    const { kubeconfig, proxy } = await viaProxy(t, (_n, m) => (m === 'POST' ? hugeAnswer : 'forward'));
    const rss = peakRss();
    const r = await runCli(['create-ns', '--kubeconfig', kubeconfig, '--ca-file', sb.caFile, '-n', 'team-f'], {
      onSpawn: rss.onSpawn,
    });
    t.equal(r.code, 6, r.stderr);
    t.equal(r.stdout, '');
    t.equal(creates(proxy), 4, '4 creates');
    // Regression: the whole body was read, whatever its size; now the read stops at the limit.
    t.match(
      r.stderr,
      /error: control plane 127\.0\.0\.1:\d+ answered create apiservicenamespaces "team-f" in namespace "cluster-\S+" with a body over 16 MiB \(16777216 bytes\), helper's limit for one Kubernetes answer/,
    );
    t.ok(r.stderr.length < 4000, `the junk is not echoed (${r.stderr.length} characters of stderr)`);
    t.ok(r.ms < 30_000, `bounded in time (${r.ms} ms)`);
    t.ok(rss.kib() > 0 && rss.kib() < 512 * 1024, `bounded in memory: peak RSS ${Math.round(rss.kib() / 1024)} MiB`);
  },
);

t.test(
  "create-ns: terminal escapes in a server's error are shown escaped on stderr (regression: they reached the " +
    'terminal: retitled it, cleared it)',
  async (t) => {
    const hostile = 'denied \x1b]0;pwned\x07\x1b[2J\rerror: all fine';
    const status = {
      status: 403,
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: hostile,
        reason: 'Forbidden',
        code: 403,
      }),
      headers: { 'content-type': 'application/json' },
    };
    const { kubeconfig } = await viaProxy(t, (_n, m) => (m === 'POST' ? status : 'forward'));
    for (const format of ['text', 'json']) {
      const r = await runCli([
        'create-ns',
        '--kubeconfig',
        kubeconfig,
        '--ca-file',
        sb.caFile,
        '-n',
        'team-f',
        '--log-format',
        format,
      ]);
      t.equal(r.code, 6, r.stderr);
      t.notMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, `${format}: no control character on stderr`);
      if (format === 'text')
        t.match(
          r.stderr,
          'refused to create apiservicenamespaces "team-f" in namespace "' +
            ns +
            '" (403 Forbidden): denied \\x1b]0;pwned\\x07\\x1b[2J\\rerror: all fine\n',
          'the text, visibly escaped, on its line',
        );
      else
        t.match(
          (JSON.parse(r.stderr.split('\n').find((l) => l.includes('"level":"error"'))!) as { msg: string }).msg,
          'denied \\x1b]0;pwned\\x07\\x1b[2J\\rerror: all fine',
          'JSON: the same visible escapes',
        );
    }
  },
);
