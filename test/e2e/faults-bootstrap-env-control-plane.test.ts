/**
 * Faults between bootstrap-env and the control-plane API server (step 5: the
 * APIServiceExportRequests in the cluster namespace, and the wait for them).
 *
 * A second instance of the real reference backend runs beside the sandbox's
 * own, with the same OIDC provider and control plane; only the server URL it
 * writes into returned kubeconfigs (externalAddress) is a loopback fault
 * proxy in front of the real control-plane kube-apiserver. So the token and
 * bind calls reach the real servers, and every control-plane call of helper
 * goes through the proxy (TLS stays verified with the sandbox CA).
 *
 * Control-plane calls in bootstrap-env are retried `--retries` times (default
 * 4: 1 + 4 = 5 attempts per call), the same count as the token and bind
 * calls. A failed run exits 6 (7 when the wait runs out), prints nothing on
 * stdout, writes no -o (nor a temp file), and says what is already done on
 * the control plane; the --write-kubeconfig file, written (0600) as soon as
 * the bind succeeded, is named with the unbind command that removes it
 * (issue 24, finding 4).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/faults.ts';
import { jwtsIn, peakRss, runCli, type CliOptions, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';
import { startBindBackend } from '../sandbox/bind-backend.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';
import { TEMPLATE_GROUP } from '../sandbox/sandbox.ts';

const sb = await useSandbox(t);
if (!sb.controlPlane.token || !sb.oidc.jwksUrl)
  throw new Error('this sandbox predates SandboxInfo.controlPlane.token / oidc.jwksUrl; restart it');
const tls = { cert: readFileSync(sb.serverTls.certFile, 'utf8'), key: readFileSync(sb.serverTls.keyFile, 'utf8') };
const caPem = readFileSync(sb.caFile, 'utf8');
const PLURAL = 'apiserviceexportrequests';
const REQUEST = 'postgresqlinstances.anynines.com';

/** Another reference backend, configured as the sandbox's, whose kubeconfigs point at `externalAddress`. */
async function backendFor(t: Test, externalAddress: string): Promise<string> {
  const backend = await startBindBackend({
    tls,
    issuer: sb.oidc.issuer,
    jwksUrl: sb.oidc.jwksUrl,
    caPem,
    audience: sb.oidc.audience,
    controlPlane: { server: sb.controlPlane.server, caPem, token: sb.controlPlane.token },
    externalAddress,
    templateGroup: TEMPLATE_GROUP,
  });
  t.teardown(() => backend.stop());
  return backend.url;
}

const isCreate = (req: IncomingMessage) =>
  req.method === 'POST' && new URL(req.url ?? '/', 'https://x').pathname.endsWith(`/${PLURAL}`);
const isRead = (req: IncomingMessage) => req.method === 'GET' && (req.url ?? '').includes(`/${PLURAL}`);

/** A fault proxy in front of the control plane and a backend handing it out; `script` gets the n-th request. */
async function viaProxy(
  t: Test,
  script: (n: number, req: IncomingMessage) => Fault,
): Promise<{ proxy: FaultProxy; bindUrl: string; port: string }> {
  const proxy = await startFaultProxy({ target: sb.controlPlane.server, caFile: sb.caFile, tls: sb.serverTls, script });
  t.teardown(() => proxy.close());
  return { proxy, bindUrl: await backendFor(t, proxy.url), port: new URL(proxy.url).port };
}

/** Faults for the k-th create of an export request (1-based); every other request is forwarded. */
function onCreate(fault: (k: number) => Fault): (n: number, req: IncomingMessage) => Fault {
  let k = 0;
  return (_n, req) => (isCreate(req) ? fault(++k) : 'forward');
}

const creates = (p: FaultProxy) =>
  p.seen.filter((s) => s.method === 'POST' && s.path.split('?')[0]!.endsWith(`/${PLURAL}`)).length;

interface Run {
  r: CliResult;
  /** Date.now() when the process had ended. */
  ended: number;
  dir: string;
  clusterID: string;
  out: string;
  kfg: string;
}

/** bootstrap-env with -o and --write-kubeconfig into a fresh directory, one unique clusterID. */
async function bootstrap(t: Test, bindUrl: string, args: string[], opts: CliOptions = {}): Promise<Run> {
  const dir = t.testdir({});
  const clusterID = `cpf-${randomBytes(4).toString('hex')}`;
  writeFileSync(
    join(dir, 'binding.json'),
    JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }),
  );
  const out = join(dir, 'all.yaml');
  const kfg = join(dir, 'provider.kfg.yaml');
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      join(dir, 'binding.json'),
      '-u',
      bindUrl,
      '--ca-file',
      sb.caFile,
      '-o',
      out,
      '--write-kubeconfig',
      kfg,
      ...args,
    ],
    { ...opts, env: sb.env },
  );
  return { r, ended: Date.now(), dir, clusterID, out, kfg };
}

/** The cluster namespace the reference backend made for a clusterID (read with the admin kubeconfig). */
async function namespaceOf(clusterID: string): Promise<string> {
  const r = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['get', 'namespaces', '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  const items = (
    JSON.parse(r.stdout) as { items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }> }
  ).items;
  const found = items.filter((n) =>
    n.metadata.annotations?.['example-backend.klutch.anynines.com/identity']?.endsWith(`#${clusterID}`),
  );
  if (found.length !== 1) throw new Error(`expected one cluster namespace for ${clusterID}, found ${found.length}`);
  return found[0]!.metadata.name;
}

async function exportRequests(ns: string): Promise<string[]> {
  const r = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    `${PLURAL}.klutch.anynines.com`,
    '-n',
    ns,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.split(/\s+/).filter(Boolean);
}

/** stderr for an assertion message, with the secrets masked in case helper printed one (noSecrets then fails). */
function shown(r: CliResult): string {
  return r.stderr
    .replaceAll(sb.env.OIDC_CLIENT_SECRET, '<client secret>')
    .replaceAll(sb.controlPlane.token, '<admin token>')
    .replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '<jwt>');
}

function noSecrets(t: Test, r: CliResult): void {
  t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'client secret not on stderr');
  t.same(jwtsIn(r.stderr), [], 'no token on stderr');
  t.notOk(r.stderr.includes(sb.controlPlane.token), 'admin token not on stderr');
}

/** A success: exit 0, both files (0600), exactly one export request in the cluster namespace. */
async function succeeded(t: Test, run: Run): Promise<string> {
  const { r } = run;
  t.equal(r.code, 0, shown(r));
  t.equal(r.stdout, '', 'all.yaml went to -o, nothing on stdout');
  t.same(readdirSync(run.dir).sort(), ['all.yaml', 'binding.json', 'provider.kfg.yaml'], 'both files, no temp file');
  t.equal(statSync(run.out).mode & 0o777, 0o600);
  const ns = await namespaceOf(run.clusterID);
  t.same(await exportRequests(ns), [REQUEST], 'exactly one export request on the control plane');
  noSecrets(t, r);
  return ns;
}

/**
 * A failure: the exit code, nothing on stdout, no all.yaml, the provider kubeconfig (written as soon as the bind
 * succeeded) named with its clean-up command, and the line saying what exists on the control plane.
 */
async function failed(t: Test, run: Run, code: number, opts: { requestCreated: boolean }): Promise<string> {
  const { r } = run;
  t.equal(r.code, code, shown(r));
  t.equal(r.stdout, '', 'nothing on stdout');
  t.same(readdirSync(run.dir).sort(), ['binding.json', 'provider.kfg.yaml'], 'no -o, no temp file; the kubeconfig');
  t.equal(statSync(run.kfg).mode & 0o777, 0o600, 'the provider kubeconfig is 0600');
  t.match(r.stderr, `\`helper unbind --kubeconfig ${run.kfg}\` removes its export requests`, 'with its clean-up');
  const ns = await namespaceOf(run.clusterID);
  const made = opts.requestCreated ? `; APIServiceExportRequest\\(s\\) ${ns}/${REQUEST.replace(/\./g, '\\.')}` : '';
  t.match(
    r.stderr,
    new RegExp(
      `already done on the control plane: bound "${run.clusterID}" → namespace ${ns} \\(backend ` +
        `127\\.0\\.0\\.1:\\d+\\)${made}; re-running the same command is safe`,
    ),
    'names the cluster namespace (and the export request when it exists)',
  );
  noSecrets(t, r);
  return ns;
}

const retryLine = (port: string, verb: string, reason: string, of: number) =>
  new RegExp(
    `control plane 127\\.0\\.0\\.1:${port}: ${verb} ${PLURAL}: ${reason}; retrying in \\d+\\.\\ds \\(attempt ` +
      `2 of ${of}\\)`,
  );
const target = (ns: string) => `${PLURAL} "${REQUEST.replace(/\./g, '\\.')}" in namespace "${ns}"`;

const status429 = {
  status: 429,
  body:
    '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many ' +
    'requests","reason":"TooManyRequests","code":429}',
  headers: { 'retry-after': '1', 'content-type': 'application/json' },
};

// 17 MiB of JSON-ish junk (an array that never closes), as application/json.
const huge = Buffer.from(
  `[${'{"junk":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},'.repeat(Math.ceil((17 << 20) / 58))}`,
);

/** The first create of the export request meets `fault`, the rest reach the real server: one retry, exit 0. */
async function faultOnceOnCreate(t: Test, fault: Fault, reason: string) {
  const { proxy, bindUrl, port } = await viaProxy(
    t,
    onCreate((k) => (k === 1 ? fault : 'forward')),
  );
  const run = await bootstrap(t, bindUrl, ['--no-wait']);
  const ns = await succeeded(t, run);
  t.equal(creates(proxy), 2, '1 try + 1 retry');
  t.match(
    run.r.stderr,
    retryLine(port, 'create', reason, 5),
    'names the step, the host and the attempt (of 1 + --retries 4)',
  );
  return { run, ns };
}

t.test('passing faults on the create, once: retried, exit 0', async (t) => {
  const cases: Array<[string, Fault, string]> = [
    ['connection reset', 'reset', 'connection failed'],
    ['429 with Retry-After', status429, 'HTTP 429'],
    ['500', { status: 500, body: 'boom' }, 'HTTP 500'],
    ['502', { status: 502, body: 'bad gateway' }, 'HTTP 502'],
    ['503', { status: 503, body: 'unavailable' }, 'HTTP 503'],
  ];
  for (const [name, fault, reason] of cases) {
    t.test(name, async (t) => {
      const { run, ns } = await faultOnceOnCreate(t, fault, reason);
      if (fault === status429) t.match(run.r.stderr, /retrying in 1\.0s/, 'Retry-After honoured');
      t.match(run.r.stderr, new RegExp(`APIServiceExportRequest ${ns}/${REQUEST.replace(/\./g, '\\.')} created`));
    });
  }
});

t.test(
  'the answer to a create that landed is lost (reset, truncated 201, HTML 201, 17 MiB 200): retried, ' +
    'AlreadyExists counts as success',
  async (t) => {
    const cases: Array<[string, Fault, string]> = [
      ['connection reset after the create', { lose: 'reset' }, 'connection failed'],
      [
        'truncated 201 body',
        {
          lose: {
            status: 201,
            body: '{"apiVersion":"klutch.anynines.com/v1alpha1","kind":"APISer',
            headers: { 'content-type': 'application/json' },
          },
        },
        'malformed answer',
      ],
      [
        '201 with a text/html body',
        { lose: { status: 201, body: '<html>proxy login</html>', headers: { 'content-type': 'text/html' } } },
        'malformed answer',
      ],
      [
        '200 with a 17 MiB application/json body',
        { lose: { status: 200, body: huge, headers: { 'content-type': 'application/json' } } },
        'malformed answer',
      ],
    ];
    for (const [name, fault, reason] of cases) {
      t.test(name, async (t) => {
        const { run, ns } = await faultOnceOnCreate(t, fault, reason);
        t.match(
          run.r.stderr,
          new RegExp(`APIServiceExportRequest ${ns}/${REQUEST.replace(/\./g, '\\.')} reused`),
          'the retry found the object the lost create made',
        );
      });
    }
  },
);

t.test('429 forever: exit 6 after 1 + --retries attempts, naming step, namespace, host and HTTP 429', async (t) => {
  const { proxy, bindUrl, port } = await viaProxy(
    t,
    onCreate(() => status429),
  );
  const run = await bootstrap(t, bindUrl, ['--no-wait', '--retries', '2']);
  const ns = await failed(t, run, 6, { requestCreated: false });
  t.equal(creates(proxy), 3, '1 try + 2 retries');
  t.match(
    run.r.stderr,
    new RegExp(
      `error: control plane 127\\.0\\.0\\.1:${port} failed to create ${target(ns)}: HTTP 429 ` +
        `TooManyRequests: too many requests`,
    ),
  );
  t.equal((run.r.stderr.match(/retrying in 1\.0s/g) ?? []).length, 2, 'Retry-After honoured on each retry');
});

t.test('503 forever: exit 6 after 1 + 4 attempts (the default --retries)', async (t) => {
  const { proxy, bindUrl, port } = await viaProxy(
    t,
    onCreate(() => ({ status: 503, body: 'unavailable' })),
  );
  const run = await bootstrap(t, bindUrl, ['--no-wait']);
  const ns = await failed(t, run, 6, { requestCreated: false });
  t.equal(creates(proxy), 5, '1 try + 4 retries');
  t.match(run.r.stderr, /\(attempt 5 of 5\)/);
  t.match(
    run.r.stderr,
    new RegExp(`error: control plane 127\\.0\\.0\\.1:${port} failed to create ${target(ns)}: HTTP 503: unavailable`),
  );
});

t.test(
  'the create landed but every answer is lost: exit 6; the request exists, and re-running reuses it',
  async (t) => {
    const { proxy, bindUrl, port } = await viaProxy(
      t,
      onCreate(() => ({ lose: { status: 503, body: 'unavailable' } })),
    );
    const run = await bootstrap(t, bindUrl, ['--no-wait', '--retries', '1']);
    // helper cannot know its lost create landed: the line names the namespace, not the request.
    const ns = await failed(t, run, 6, { requestCreated: false });
    t.equal(creates(proxy), 2, '1 try + 1 retry (the retry met AlreadyExists on the server, and lost that answer too)');
    t.match(
      run.r.stderr,
      new RegExp(`error: control plane 127\\.0\\.0\\.1:${port} failed to create ${target(ns)}: HTTP 503`),
    );
    t.same(await exportRequests(ns), [REQUEST], 'the request exists on the control plane');
    // The same clusterID through the sandbox's own backend (same identity, so the same namespace), without faults.
    writeFileSync(
      join(run.dir, 'binding.json'),
      JSON.stringify({ clusterID: run.clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }),
    );
    const again = await runCli(
      [
        'bootstrap-env',
        '-f',
        join(run.dir, 'binding.json'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '-o',
        run.out,
        '--write-kubeconfig',
        run.kfg,
        '--no-wait',
      ],
      { env: sb.env },
    );
    await succeeded(t, { ...run, r: again, ended: Date.now() });
    t.match(again.stderr, new RegExp(`APIServiceExportRequest ${ns}/${REQUEST.replace(/\./g, '\\.')} reused`));
  },
);

t.test('17 MiB application/json junk forever: exit 6, bounded in time and memory', async (t) => {
  const { proxy, bindUrl, port } = await viaProxy(
    t,
    onCreate(() => ({ status: 200, body: huge, headers: { 'content-type': 'application/json' } })),
  );
  const rss = peakRss();
  const run = await bootstrap(t, bindUrl, ['--no-wait', '--retries', '2'], { onSpawn: rss.onSpawn });
  const ns = await failed(t, run, 6, { requestCreated: false });
  t.equal(creates(proxy), 3, '1 try + 2 retries');
  t.match(
    run.r.stderr,
    new RegExp(
      `error: control plane 127\\.0\\.0\\.1:${port} answered create ${target(ns)} with a body over 16 MiB ` +
        `\\(16777216 bytes\\), helper's limit for one Kubernetes answer`,
    ),
  );
  t.ok(run.r.stderr.length < 4000, `the junk is not echoed (${run.r.stderr.length} characters of stderr)`);
  t.ok(run.r.ms < 30_000, `bounded (${run.r.ms} ms)`);
  t.ok(rss.kib() > 0 && rss.kib() < 512 * 1024, `bounded in memory: peak RSS ${Math.round(rss.kib() / 1024)} MiB`);
});

t.test('stall longer than --request-timeout: exit 6 within (1 + retries) × timeout + backoff', async (t) => {
  const { proxy, bindUrl, port } = await viaProxy(
    t,
    onCreate(() => 'stall'),
  );
  const run = await bootstrap(t, bindUrl, ['--no-wait', '--request-timeout', '2s', '--retries', '1']);
  await failed(t, run, 6, { requestCreated: false });
  t.equal(creates(proxy), 2, '1 try + 1 retry');
  t.match(run.r.stderr, retryLine(port, 'create', 'no answer in time', 2));
  t.match(
    run.r.stderr,
    new RegExp(`error: control plane 127\\.0\\.0\\.1:${port} did not answer create ${PLURAL} within 2s`),
  );
  t.ok(run.r.ms < 15_000, `bounded (${run.r.ms} ms)`);
});

t.test('connection refused: exit 6 "cannot reach control plane"', async (t) => {
  const port = String(await freePort());
  const bindUrl = await backendFor(t, `https://127.0.0.1:${port}`);
  const run = await bootstrap(t, bindUrl, ['--no-wait', '--retries', '2']);
  const ns = await failed(t, run, 6, { requestCreated: false });
  t.equal((run.r.stderr.match(/retrying in/g) ?? []).length, 2, '2 retries');
  t.match(
    run.r.stderr,
    new RegExp(`error: cannot reach control plane 127\\.0\\.0\\.1:${port} to create ${target(ns)}: .*ECONNREFUSED`),
  );
});

t.test('faults during the export-request wait (--timeout 5s)', async (t) => {
  /**
   * Klutch's example-backend turns the request Succeeded at once; what helper
   * sees of it is up to the fault proxy. Notes when the wait began, to time it.
   */
  const watchWait = (): { onStderr: CliOptions['onStderr']; began: () => number } => {
    let began = 0;
    return {
      began: () => began,
      onStderr: (text) => {
        const m = /APIServiceExportRequest (\S+)\/\S+ created/.exec(text);
        if (began || !m) return;
        began = Date.now();
      },
    };
  };
  /** ms from the create to the end of the process (the wait, plus writing the files on success). */
  const waited = (run: Run, w: { began: () => number }) => run.ended - w.began();

  t.test(
    'watch and GETs answer 503 for a while: the wait keeps reading (one attempt per read; the wait is the ' +
      'retry) and succeeds',
    async (t) => {
      let reads = 0;
      const { proxy, bindUrl, port } = await viaProxy(t, (_n, req) =>
        isRead(req) && ++reads <= 4 ? { status: 503, body: 'unavailable' } : 'forward',
      );
      const w = watchWait();
      const run = await bootstrap(t, bindUrl, ['--timeout', '5s'], { onStderr: w.onStderr });
      await succeeded(t, run);
      t.match(
        run.r.stderr,
        new RegExp(
          `waiting for APIServiceExportRequest ${REQUEST.replace(/\./g, '\\.')}: error: control plane ` +
            `127\\.0\\.0\\.1:${port} failed to get apiserviceexportrequests .*: HTTP 503: unavailable`,
        ),
        'the failing reads are shown',
      );
      t.notMatch(
        run.r.stderr,
        /get apiserviceexportrequests: HTTP 503; retrying/,
        'a read inside the wait is not retried on its own',
      );
      t.ok(proxy.seen.filter((s) => s.method === 'GET').length > 4, 'the reads went on after the 503s');
      t.match(run.r.stderr, /all 1 APIServiceExportRequest\(s\) Succeeded/);
      t.ok(waited(run, w) < 5_000, `succeeded within --timeout (${waited(run, w)} ms after the create)`);
    },
  );

  // The wait ends at --timeout; a read under way then gets a short grace (src/kube/wait.ts), so on time means within 5
  // s + 3.5 s.
  const onTime = 8_500;

  t.test('watch and GETs answer 503 forever: exit 7 when --timeout runs out', async (t) => {
    const { bindUrl, port } = await viaProxy(t, (_n, req) =>
      isRead(req) ? { status: 503, body: 'unavailable' } : 'forward',
    );
    const w = watchWait();
    const run = await bootstrap(t, bindUrl, ['--timeout', '5s'], { onStderr: w.onStderr });
    const ns = await failed(t, run, 7, { requestCreated: true });
    t.match(
      run.r.stderr,
      new RegExp(
        `error: timed out after 5s waiting for APIServiceExportRequest ${ns}/${REQUEST.replace(/\./g, '\\.')}` +
          ` to become Succeeded; last seen: error: control plane 127\\.0\\.0\\.1:${port} failed to get ` +
          `${target(ns)}: HTTP 503: unavailable`,
      ),
    );
    t.ok(waited(run, w) < onTime, `ended on time (${waited(run, w)} ms after the create)`);
  });

  t.test('the same with --retries 0: no retries anywhere, the same timeout', async (t) => {
    const { bindUrl, port } = await viaProxy(t, (_n, req) =>
      isRead(req) ? { status: 503, body: 'unavailable' } : 'forward',
    );
    const w = watchWait();
    const run = await bootstrap(t, bindUrl, ['--timeout', '5s', '--retries', '0'], { onStderr: w.onStderr });
    const ns = await failed(t, run, 7, { requestCreated: true });
    t.notMatch(run.r.stderr, /retrying in/);
    t.match(
      run.r.stderr,
      new RegExp(
        `error: timed out after 5s waiting for APIServiceExportRequest ${ns}/${REQUEST.replace(/\./g, '\\.')}` +
          ` to become Succeeded; last seen: error: control plane 127\\.0\\.0\\.1:${port} failed to get ` +
          `${target(ns)}: HTTP 503: unavailable`,
      ),
    );
    t.ok(waited(run, w) < onTime, `ended on time (${waited(run, w)} ms after the create)`);
  });

  // Regression: waitUntil awaited the watch request before its first read, so a
  // watch that got no answer held the wait for the Watch's own 30 s connect
  // timeout, past --timeout (and a watch that failed at once was taken as alive).

  t.test(
    'watch and GETs stall: exit 7 when --timeout runs out (regression: a stalled watch held the wait 30 s ' +
      'past --timeout)',
    async (t) => {
      const { bindUrl } = await viaProxy(t, (_n, req) => (isRead(req) ? 'stall' : 'forward'));
      const w = watchWait();
      const run = await bootstrap(t, bindUrl, ['--timeout', '5s', '--request-timeout', '2s'], { onStderr: w.onStderr });
      const ns = await failed(t, run, 7, { requestCreated: true });
      t.match(
        run.r.stderr,
        new RegExp(
          `error: timed out after \\d+s waiting for APIServiceExportRequest ${ns}/` +
            `${REQUEST.replace(/\./g, '\\.')} to become Succeeded`,
        ),
      );
      t.ok(waited(run, w) < onTime, `ended on time (${waited(run, w)} ms after the create)`);
    },
  );

  t.test(
    'only the watch stalls: the reads decide, exit 0 (regression: the stalled watch held the wait 30 s)',
    async (t) => {
      const { bindUrl } = await viaProxy(t, (_n, req) =>
        isRead(req) && (req.url ?? '').includes('watch=') ? 'stall' : 'forward',
      );
      const w = watchWait();
      const run = await bootstrap(t, bindUrl, ['--timeout', '5s'], { onStderr: w.onStderr });
      t.equal(
        run.r.code,
        0,
        `exit 0 (${
          shown(run.r)
            .split('\n')
            .find((l) => l.startsWith('error:')) ?? 'no error'
        })`,
      );
      t.ok(waited(run, w) < onTime, `succeeded on time (${waited(run, w)} ms after the create)`);
      noSecrets(t, run.r);
    },
  );
});
