/**
 * More faults between bootstrap-env and the token endpoint (the sandbox's
 * oidc-provider) and the reference /bind-noninteractive backend, injected by
 * a loopback proxy in front of the real servers. Completes the matrix of
 * bootstrap-env-errors.test.ts: passing faults are retried (1 + --retries
 * attempts) and the binding succeeds; persistent ones end with exit 4 (token)
 * or 5 (backend), naming the step and the host, within the time bound, with
 * nothing on stdout, no file written and no secret shown.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startFaultProxy, type Fault } from '../helpers/faults.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';

const sb = await useSandbox(t);
const tokenUrl = new URL(sb.env.OIDC_TOKEN_URL!);
const secret = sb.env.OIDC_CLIENT_SECRET!;

interface Run {
  r: CliResult;
  dir: string;
  clusterID: string;
}

/** bootstrap-env with -o and --write-kubeconfig in a fresh directory. */
async function bootstrap(t: Test, opts: { tokenUrl?: string; bindUrl?: string; args?: string[] } = {}): Promise<Run> {
  const dir = t.testdir({});
  const clusterID = `tb-${randomBytes(4).toString('hex')}`;
  const binding = join(dir, 'binding.json');
  writeFileSync(
    binding,
    JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }),
  );
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      binding,
      '-u',
      opts.bindUrl ?? sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--no-wait',
      '-o',
      join(dir, 'all.yaml'),
      '--write-kubeconfig',
      join(dir, 'k.yaml'),
      ...(opts.args ?? []),
    ],
    {
      env: { ...sb.env, ...(opts.tokenUrl ? { OIDC_TOKEN_URL: opts.tokenUrl } : {}) },
    },
  );
  return { r, dir, clusterID };
}

function succeeded(t: Test, run: Run): void {
  t.equal(run.r.code, 0, run.r.stderr);
  t.same(readdirSync(run.dir).sort(), ['all.yaml', 'binding.json', 'k.yaml']);
  noSecrets(t, run.r);
}

function failed(t: Test, run: Run, code: number, message: RegExp): void {
  t.equal(run.r.code, code, run.r.stderr);
  t.match(run.r.stderr, message);
  t.equal(run.r.stdout, '', 'nothing on stdout');
  t.same(readdirSync(run.dir), ['binding.json'], 'no file and no temp file written');
  noSecrets(t, run.r);
}

function noSecrets(t: Test, r: CliResult): void {
  t.notOk(r.stderr.includes(secret), 'no client secret on stderr');
  t.same(jwtsIn(r.stderr), [], 'no token on stderr');
}

async function proxyFor(t: Test, target: string, script: (n: number) => Fault) {
  const proxy = await startFaultProxy({ target, caFile: sb.caFile, tls: sb.serverTls, script: (n) => script(n) });
  t.teardown(() => proxy.close());
  return { proxy, port: new URL(proxy.url).port };
}

/** A proxy in front of the IdP; returns the OIDC_TOKEN_URL that goes through it. */
async function viaIdp(t: Test, script: (n: number) => Fault) {
  const { proxy, port } = await proxyFor(t, tokenUrl.origin, script);
  return { proxy, port, tokenUrl: `${proxy.url}${tokenUrl.pathname}` };
}

/** A proxy in front of the backend; returns the bind URL that goes through it. */
async function viaBackend(t: Test, script: (n: number) => Fault) {
  const { proxy, port } = await proxyFor(t, new URL(sb.bindUrl).origin, script);
  return { proxy, port, bindUrl: `${proxy.url}${new URL(sb.bindUrl).pathname}` };
}

const tokenBody = (s: string): Fault => ({ status: 200, body: s, headers: { 'content-type': 'application/json' } });

t.test('token endpoint: passing faults once are retried, exit 0', async (t) => {
  for (const [name, fault, reason] of [
    ['connection reset', 'reset', /socket|other side closed|ECONNRESET|fetch failed/],
    ['500', { status: 500, body: 'boom' }, /HTTP 500/],
    ['502', { status: 502, body: 'bad gateway' }, /HTTP 502/],
  ] as Array<[string, Fault, RegExp]>) {
    t.test(name, async (t) => {
      const idp = await viaIdp(t, (n) => (n === 1 ? fault : 'forward'));
      const run = await bootstrap(t, { tokenUrl: idp.tokenUrl });
      succeeded(t, run);
      t.equal(idp.proxy.seen.length, 2, '1 try + 1 retry');
      t.match(
        run.r.stderr,
        new RegExp(`token endpoint 127\\.0\\.0\\.1:${idp.port}: .*; retrying in \\d+\\.\\ds \\(attempt 2 of 5\\)`),
      );
      t.match(run.r.stderr.split('\n').find((l) => l.includes('retrying in')) ?? '', reason);
    });
  }
});

t.test('token endpoint: reset forever: exit 4 after 1 + --retries attempts', async (t) => {
  const idp = await viaIdp(t, () => 'reset');
  const run = await bootstrap(t, { tokenUrl: idp.tokenUrl, args: ['--retries', '2'] });
  failed(t, run, 4, new RegExp(`error: cannot reach token endpoint 127\\.0\\.0\\.1:${idp.port}: `));
  t.equal(idp.proxy.seen.length, 3);
});

t.test('token endpoint: 500 forever: exit 4 "kept failing"', async (t) => {
  const idp = await viaIdp(t, () => ({ status: 500, body: 'boom' }));
  const run = await bootstrap(t, { tokenUrl: idp.tokenUrl, args: ['--retries', '1'] });
  failed(
    t,
    run,
    4,
    new RegExp(`error: token endpoint 127\\.0\\.0\\.1:${idp.port} kept failing: HTTP 500 \\(gave up after retries\\)`),
  );
  t.equal(idp.proxy.seen.length, 2);
});

t.test('token endpoint: stall longer than --request-timeout: exit 4 within the bound', async (t) => {
  const idp = await viaIdp(t, () => 'stall');
  const run = await bootstrap(t, { tokenUrl: idp.tokenUrl, args: ['--request-timeout', '1s', '--retries', '1'] });
  failed(
    t,
    run,
    4,
    new RegExp(
      `error: token endpoint 127\\.0\\.0\\.1:${idp.port} did not answer in time \\(gave up after ` +
        `retries\\)\nhint: .*--request-timeout`,
    ),
  );
  t.equal(idp.proxy.seen.length, 2, '1 try + 1 retry');
  t.ok(run.r.ms < 15_000, `bounded (${run.r.ms} ms)`);
});

t.test('token endpoint: malformed 200 answers: exit 4, not retried, the body is not shown', async (t) => {
  for (const [name, fault] of [
    ['truncated JSON', tokenBody('{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl","token_ty')],
    ['an HTML page', { status: 200, body: '<html>proxy login</html>', headers: { 'content-type': 'text/html' } }],
    ['JSON without access_token', tokenBody('{"token_type":"Bearer","expires_in":300}')],
    ['17 MiB of JSON', tokenBody(`{"access_token":"${'a'.repeat(17 * 1024 * 1024)}","token_type":"Bearer"`)],
    // Regression: a whole, valid 17 MiB answer was read and its token sent on to the backend.
    [
      '17 MiB of valid JSON',
      tokenBody(`{"access_token":"${'a'.repeat(17 * 1024 * 1024)}","token_type":"Bearer","expires_in":300}`),
    ],
  ] as Array<[string, Fault]>) {
    t.test(name, async (t) => {
      const idp = await viaIdp(t, () => fault);
      const run = await bootstrap(t, { tokenUrl: idp.tokenUrl });
      failed(
        t,
        run,
        4,
        new RegExp(
          `error: token request to 127\\.0\\.0\\.1:${idp.port} failed: ` +
            `${name.startsWith('17 MiB') ? "response body exceeds 16777216 bytes \\(16 MiB\\), helper's limit for one answer" : ''}`,
        ),
      );
      t.equal(idp.proxy.seen.length, 1, 'not retried: the server answered');
      t.notMatch(run.r.stderr, /eyJhbGciOiJSUzI1NiJ9|proxy login|aaaaaaaaaa/, 'no part of the body is echoed');
      t.ok(run.r.stderr.length < 2000, `a short message (${run.r.stderr.length} characters)`);
    });
  }
});

t.test('backend: 429 with Retry-After and 502, once: retried, exit 0', async (t) => {
  for (const [name, fault, reason] of [
    [
      '429 with Retry-After',
      { status: 429, body: 'slow down', headers: { 'retry-after': '1' } },
      /HTTP 429; retrying in 1\.0s/,
    ],
    ['502', { status: 502, body: 'bad gateway' }, /HTTP 502; retrying in/],
  ] as Array<[string, Fault, RegExp]>) {
    t.test(name, async (t) => {
      const be = await viaBackend(t, (n) => (n === 1 ? fault : 'forward'));
      const run = await bootstrap(t, { bindUrl: be.bindUrl });
      succeeded(t, run);
      t.equal(be.proxy.seen.length, 2);
      t.match(run.r.stderr, reason);
    });
  }
});

t.test('backend: 429 forever and reset forever: exit 5 after 1 + --retries attempts', async (t) => {
  const busy = await viaBackend(t, () => ({ status: 429, body: 'slow down', headers: { 'retry-after': '1' } }));
  const a = await bootstrap(t, { bindUrl: busy.bindUrl, args: ['--retries', '1'] });
  failed(
    t,
    a,
    5,
    new RegExp(
      `error: backend 127\\.0\\.0\\.1:${busy.port} kept failing: HTTP 429: slow down \\(gave up after retries\\)`,
    ),
  );
  t.equal(busy.proxy.seen.length, 2);
  const reset = await viaBackend(t, () => 'reset');
  const b = await bootstrap(t, { bindUrl: reset.bindUrl, args: ['--retries', '1'] });
  failed(t, b, 5, new RegExp(`error: cannot reach backend 127\\.0\\.0\\.1:${reset.port}: `));
  t.equal(reset.proxy.seen.length, 2);
});

t.test('backend: connection refused: exit 5 naming the host', async (t) => {
  const port = await freePort();
  const run = await bootstrap(t, {
    bindUrl: `https://127.0.0.1:${port}/bind-noninteractive`,
    args: ['--retries', '1'],
  });
  failed(t, run, 5, new RegExp(`error: cannot reach backend 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
});

t.test('backend: the answer to a bind that happened is lost: the retry binds the same cluster namespace', async (t) => {
  const be = await viaBackend(t, (n) => (n === 1 ? { lose: 'reset' } : 'forward'));
  const run = await bootstrap(t, { bindUrl: be.bindUrl });
  succeeded(t, run);
  t.equal(be.proxy.seen.length, 2, 'the bind was sent twice');
  const all = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['get', 'namespaces', '-o', 'json']);
  const mine = (
    JSON.parse(all.stdout) as { items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }> }
  ).items.filter((n) => Object.values(n.metadata.annotations ?? {}).some((v) => v.endsWith(`#${run.clusterID}`)));
  t.equal(mine.length, 1, `one cluster namespace for ${run.clusterID}: ${mine.map((n) => n.metadata.name).join(', ')}`);
});

t.test(
  'backend: terminal escapes in its error body are shown escaped (regression: they reached the terminal)',
  async (t) => {
    const be = await viaBackend(t, () => ({
      status: 400,
      body: 'bad binding \x1b]0;pwned\x07\x1b[2J done',
      headers: { 'content-type': 'text/plain' },
    }));
    const run = await bootstrap(t, { bindUrl: be.bindUrl });
    failed(
      t,
      run,
      5,
      new RegExp(
        `error: backend 127\\.0\\.0\\.1:${be.port} refused the binding: HTTP 400: bad binding ` +
          `\\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J done`,
      ),
    );
    t.notMatch(run.r.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no control character on stderr');
  },
);
