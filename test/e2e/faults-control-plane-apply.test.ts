/**
 * Faults and interruptions between `helper control-plane apply` and the
 * Control Plane Cluster's API server, injected by a loopback proxy in front
 * of a real kube-apiserver (a fresh cluster on the sandbox's etcd, with the
 * stand-in CRDs of Crossplane, cert-manager and the provider packages; TLS
 * stays verified with the sandbox CA). Passing faults are retried (3
 * retries by default, --retries) and the apply succeeds; persistent ones end
 * with exit 6 naming the step and the host, after 1 + retries attempts, and
 * with a line saying which objects had already been applied.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { cpEnv, installStandIns, valuesFile } from '../helpers/control-plane.ts';
import { startFaultProxy, type Fault } from '../helpers/faults.ts';
import { runCli, type CliOptions, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';

const sb = await useSandbox(t);
const dir = t.testdir({});
const cp = await extraCluster(t, sb, 'cpfaults');
await installStandIns(sb, cp);
const values = (await valuesFile(dir)).file;
const OBJECTS = 34;
const allStderr: string[] = [];

/** A kubeconfig for the cluster whose server is a fault proxy running `script` (n counts requests of that method). */
async function viaProxy(t: Test, script: (n: number, method: string, path: string) => Fault) {
  const counts = new Map<string, number>();
  const proxy = await startFaultProxy({
    target: cp.server,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: (_n, req) => {
      const m = req.method ?? '';
      counts.set(m, (counts.get(m) ?? 0) + 1);
      return script(counts.get(m)!, m, req.url ?? '');
    },
  });
  t.teardown(() => proxy.close());
  const kubeconfig = join(dir, `via-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(kubeconfig, readFileSync(cp.kubeconfig, 'utf8').replace(/server: .*/, `server: ${proxy.url}`), {
    mode: 0o600,
  });
  const patches = () => proxy.seen.filter((s) => s.method === 'PATCH');
  return { kubeconfig, proxy, patches };
}

async function apply(kubeconfig: string, extra: string[] = [], opts: CliOptions = {}): Promise<CliResult> {
  const r = await runCli(['control-plane', 'apply', '-f', values, '--kubeconfig', kubeconfig, ...extra], {
    ...opts,
    env: cpEnv,
  });
  allStderr.push(r.stderr);
  return r;
}

const applied = (stderr: string) => (stderr.match(/^applied /gm) ?? []).length;

t.test('the first apply, without faults, applies all objects', async (t) => {
  const r = await apply(cp.kubeconfig);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, new RegExp(`${OBJECTS} object\\(s\\) applied; cookie keys: random`));
});

const passing: Array<[string, Fault]> = [
  ['connection reset', 'reset'],
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
  ['503 with Retry-After', { status: 503, body: 'unavailable', headers: { 'retry-after': '1' } }],
  [
    '200 with a truncated body',
    {
      status: 200,
      body: '{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomRes',
      headers: { 'content-type': 'application/json' },
    },
  ],
  [
    '200 with an HTML page (wrong content type)',
    { status: 200, body: '<html>proxy login</html>', headers: { 'content-type': 'text/html' } },
  ],
  [
    '200 with a 17 MiB body',
    {
      status: 200,
      body: `{"items":"${'x'.repeat(17 * 1024 * 1024)}"}`,
      headers: { 'content-type': 'application/json' },
    },
  ],
];

for (const [name, fault] of passing) {
  t.test(`${name} on the first server-side apply, then the real server: retried, exit 0`, async (t) => {
    const { kubeconfig, patches } = await viaProxy(t, (n, m) => (m === 'PATCH' && n === 1 ? fault : 'forward'));
    const r = await apply(kubeconfig);
    t.equal(r.code, 0, r.stderr);
    t.match(
      r.stderr,
      /control plane 127\.0\.0\.1:\d+: apply CustomResourceDefinition \S+: (HTTP \d+|connection failed|malformed answer); retrying in \d+\.\ds \(attempt 2 of 4\)/,
    );
    t.equal(applied(r.stderr), OBJECTS);
    t.equal(patches().length, OBJECTS + 1, 'one PATCH per object, plus the retried one');
    t.equal(r.stdout, '');
  });
}

t.test('503 once on a pre-flight read: retried, exit 0', async (t) => {
  const { kubeconfig } = await viaProxy(t, (n, m) =>
    m === 'GET' && n === 1 ? { status: 503, body: 'x', headers: { 'retry-after': '1' } } : 'forward',
  );
  const r = await apply(kubeconfig);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /control plane 127\.0\.0\.1:\d+: read \S+ \S+: HTTP 503; retrying in 1\.0s \(attempt 2 of 4\)/);
});

t.test(
  '503 forever from the 4th object on: exit 6 after 1 + 3 attempts, naming the object and host, and what was applied',
  async (t) => {
    const { kubeconfig, patches } = await viaProxy(t, (n, m) =>
      m === 'PATCH' && n > 3 ? { status: 503, body: 'down' } : 'forward',
    );
    const r = await apply(kubeconfig);
    t.equal(r.code, 6, r.stderr);
    t.equal(patches().length, 3 + 4, '3 objects, then 4 attempts on the 4th');
    t.match(r.stderr, /error: control plane 127\.0\.0\.1:\d+ failed to apply \S+ \S+: HTTP 503: down/);
    t.match(
      r.stderr,
      new RegExp(
        `already applied to control plane 127\\.0\\.0\\.1:\\d+: 3 of ${OBJECTS} object\\(s\\) ` +
          `\\(CustomResourceDefinition [^,]+, CustomResourceDefinition [^,]+, CustomResourceDefinition ` +
          `[^,)]+\\); the other ${OBJECTS - 3} were not; re-running the same command is safe`,
      ),
    );
    t.equal(r.stdout, '');
  },
);

t.test('429 forever on the pre-flight reads: exit 6 after 1 + 3 attempts, nothing applied', async (t) => {
  const { kubeconfig, proxy, patches } = await viaProxy(t, (_n, m) =>
    m === 'GET' ? { status: 429, body: 'slow down' } : 'forward',
  );
  const r = await apply(kubeconfig);
  t.equal(r.code, 6, r.stderr);
  t.equal(proxy.seen.length, 4);
  t.equal(patches().length, 0);
  t.match(r.stderr, /error: control plane 127\.0\.0\.1:\d+ failed to read \S+ \S+: HTTP 429: slow down/);
  t.notMatch(r.stderr, /already applied/, 'nothing was applied, so no such line');
});

t.test(
  'stall longer than --request-timeout: exit 6 within the bound (regression: a stalled server-side apply ' +
    'hung control-plane apply forever)',
  async (t) => {
    const { kubeconfig, patches } = await viaProxy(t, (n, m) => (m === 'PATCH' && n > 2 ? 'stall' : 'forward'));
    const r = await apply(kubeconfig, ['--request-timeout', '1s', '--retries', '1']);
    t.equal(r.code, 6, r.stderr);
    t.equal(patches().length, 2 + 2, '2 objects, then 1 try + 1 retry on the 3rd');
    t.match(
      r.stderr,
      /error: control plane 127\.0\.0\.1:\d+ did not answer apply CustomResourceDefinition \S+ within 1s/,
    );
    t.match(r.stderr, /already applied to control plane 127\.0\.0\.1:\d+: 2 of 34 object\(s\)/);
    t.ok(r.ms < 20_000, `bounded (${r.ms} ms)`);
  },
);

t.test(
  'stall of the reads while waiting for CRDs: the wait ends at --timeout with exit 7 saying what it last saw',
  async (t) => {
    // Every PATCH passes; reads of CRDs after the applies stall (the pre-flight reads come first and pass).
    let patched = false;
    const { kubeconfig } = await viaProxy(t, (_n, m, path) => {
      if (m === 'PATCH') patched = true;
      return patched && m === 'GET' && path.includes('/customresourcedefinitions/') ? 'stall' : 'forward';
    });
    const r = await apply(kubeconfig, ['--timeout', '3s', '--request-timeout', '30s']);
    t.equal(r.code, 7, r.stderr);
    t.match(
      r.stderr,
      /timed out after \d+s waiting for CustomResourceDefinition \S+ to be Established \(the last read got no answer\)/,
    );
    t.ok(r.ms < 15_000, `bounded by --timeout plus a 2 s grace for the last read (${r.ms} ms)`);
  },
);

t.test('connection refused: exit 6 naming the host, after the retries', async (t) => {
  const port = await freePort();
  const kubeconfig = join(dir, 'refused.yaml');
  writeFileSync(
    kubeconfig,
    readFileSync(cp.kubeconfig, 'utf8').replace(/server: .*/, `server: https://127.0.0.1:${port}`),
    { mode: 0o600 },
  );
  const r = await apply(kubeconfig, ['--retries', '2']);
  t.equal(r.code, 6, r.stderr);
  t.equal((r.stderr.match(/connection failed; retrying in/g) ?? []).length, 2);
  t.match(
    r.stderr,
    new RegExp(`error: cannot reach control plane 127\\.0\\.0\\.1:${port} to read \\S+ \\S+: connect ECONNREFUSED`),
  );
});

t.test('--retries is checked: exit 2', async (t) => {
  for (const bad of ['-1', '21', '1.5']) {
    const r = await apply(cp.kubeconfig, ['--retries', bad]);
    t.equal(r.code, 2, bad);
    t.match(r.stderr, /--retries must be a whole number from 0 to 20/);
  }
});

/** Sends `signal` once stderr matches `when`. */
function interruptWhen(when: (stderr: string) => boolean, signal: NodeJS.Signals): CliOptions['onStderr'] {
  let sent = false;
  return (text, child) => {
    if (!sent && when(text)) {
      sent = true;
      child.kill(signal);
    }
  };
}

t.test('SIGINT during the apply: exit 130, and a line naming the objects already applied', async (t) => {
  const { kubeconfig } = await viaProxy(t, (n, m) => (m === 'PATCH' && n === 6 ? 'stall' : 'forward'));
  const before = readdirSync(dir).sort();
  const r = await apply(kubeconfig, [], { onStderr: interruptWhen((s) => applied(s) === 5, 'SIGINT') });
  t.equal(r.code, 130, r.stderr);
  t.match(r.stderr, /interrupted by SIGINT/);
  t.match(
    r.stderr,
    new RegExp(
      `already applied to control plane 127\\.0\\.0\\.1:\\d+: 5 of ${OBJECTS} object\\(s\\) \\([^)]+\\); the ` +
        `other ${OBJECTS - 5} were not; re-running the same command is safe and applies the rest`,
    ),
  );
  t.equal(r.stdout, '');
  t.ok(r.ms < 20_000, `ended promptly (${r.ms} ms)`);
  t.same(readdirSync(dir).sort(), before, 'no file written');
});

t.test('SIGTERM during the pre-flight: exit 143, nothing applied and no such line', async (t) => {
  let child: ChildProcess | undefined;
  // The first read stalls; the signal comes once the proxy holds it.
  const { kubeconfig, patches } = await viaProxy(t, (n) => {
    if (n === 1) setTimeout(() => child?.kill('SIGTERM'), 200);
    return 'stall';
  });
  const r = await apply(kubeconfig, [], {
    onSpawn: (c) => {
      child = c;
    },
  });
  t.equal(r.code, 143, r.stderr);
  t.match(r.stderr, /interrupted by SIGTERM/);
  t.notMatch(r.stderr, /already applied/);
  t.equal(patches().length, 0);
});

t.test('after all of the above, the cluster converges: a second direct apply changes nothing', async (t) => {
  const rv = async () =>
    (
      await kubectl(sb.bin, cp.kubeconfig, [
        'get',
        'crd,namespace,secret,configmap,deployment,clusterrole',
        '-A',
        '-o',
        'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\\n"}{end}',
      ])
    ).stdout;
  // The first one changes the backend Deployment's --external-address back: it
  // defaults to the kubeconfig's server, which was a proxy.
  const first = await apply(cp.kubeconfig);
  t.equal(first.code, 0, first.stderr);
  const before = await rv();
  const r = await apply(cp.kubeconfig);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /cookie keys: cluster/, 'the cookie keys survived the faults');
  t.equal(await rv(), before, 'same resourceVersions');
});

t.test('no credential reached stderr in any run of this file', async (t) => {
  const stderr = allStderr.join('\n');
  for (const [name, value] of Object.entries(cpEnv)) t.notOk(stderr.includes(value), `${name} not in stderr`);
});
