/**
 * Every failure class of bootstrap-env, each with its exit code and message,
 * against the sandbox's real servers; faults come from a loopback proxy in
 * front of the real backend. No run may print the client secret or a token,
 * and no failed run prints anything on stdout.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startFaultProxy, type Fault } from '../helpers/faults.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { startOidcProvider } from '../sandbox/oidc.ts';
import { freePort } from '../sandbox/procs.ts';

const sb: TestSandbox = await useSandbox(t);

function bindingFile(
  dir: string,
  content: unknown = {
    clusterID: `err-${randomBytes(4).toString('hex')}`,
    apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
  },
): string {
  const f = join(dir, 'binding.json');
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

function run(args: string[], env: Record<string, string | undefined> = sb.env): Promise<CliResult> {
  return runCli(['bootstrap-env', '--ca-file', sb.caFile, '--no-wait', ...args], { env });
}

function clean(t: Test, r: CliResult, dir?: string): void {
  t.equal(r.stdout, '', 'nothing on stdout');
  t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'no client secret on stderr');
  t.same(jwtsIn(r.stderr), [], 'no token on stderr');
  if (dir)
    t.same(
      readdirSync(dir).filter((f) => f !== 'binding.json'),
      [],
      'no file written',
    );
}

t.test('invalid binding.json: exit 3, every problem with its JSON path, before any network call', async (t) => {
  const cases: Array<[string, unknown, RegExp[]]> = [
    ['not JSON', '{"clusterID": ', [/binding\.json/, /JSON/i]],
    ['empty object', {}, [/clusterID/, /apis/]],
    ['blank clusterID and no apis', { clusterID: '  ', apis: [] }, [/\/clusterID/, /\/apis/]],
    [
      'bad resource and group',
      { clusterID: 'x', apis: [{ group: 'AnyNines.com', resource: 'Postgres_Instances' }] },
      [/\/apis\/0\/group/, /\/apis\/0\/resource/],
    ],
    ['wrong types', { clusterID: 7, apis: 'postgresqlinstances' }, [/\/clusterID/, /\/apis/]],
    [
      'unknown field',
      { clusterID: 'x', apis: [{ group: 'anynines.com', resource: 'backups' }], cluster: 'typo' },
      [/cluster/],
    ],
  ];
  for (const [name, content, patterns] of cases) {
    const dir = t.testdir({});
    // The token URL points at a closed port: reaching it would change the exit code.
    const r = await run(['-f', bindingFile(dir, content), '-u', sb.bindUrl], {
      ...sb.env,
      OIDC_TOKEN_URL: 'https://127.0.0.1:1/token',
    });
    t.equal(r.code, 3, `${name}: exit 3 (${r.stderr})`);
    for (const p of patterns) t.match(r.stderr, p, `${name}: ${p}`);
    clean(t, r);
  }
  const missing = await run(['-f', join(t.testdir({}), 'nope.json'), '-u', sb.bindUrl]);
  t.equal(missing.code, 3);
  t.match(missing.stderr, /cannot read binding file .*nope\.json: no such file/);
});

t.test('missing environment: exit 3 naming every missing variable', async (t) => {
  const dir = t.testdir({});
  const r = await run(['-f', bindingFile(dir), '-u', sb.bindUrl], {});
  t.equal(r.code, 3);
  t.match(r.stderr, /OIDC_CLIENT_ID is not set/);
  t.match(
    r.stderr,
    /no way of authenticating is set: set one of OIDC_CLIENT_SECRET .*OIDC_CLIENT_KEY_FILE .*OIDC_CLIENT_ASSERTION_FILE/,
  );
  t.match(r.stderr, /OIDC_TOKEN_URL is not set/);
  clean(t, r);
});

t.test('usage errors: exit 2', async (t) => {
  const r = await runCli(['bootstrap-env', '-u', sb.bindUrl], { env: sb.env });
  t.equal(r.code, 2);
  t.match(r.stderr, /missing required flag --file: binding\.json/);
  const bad = await runCli(['bootstrap-env', '-f', 'x', '-u', sb.bindUrl, '--timeout', 'soon'], { env: sb.env });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--timeout "soon" is not a duration/);
  const unknown = await runCli(['bootstrap-env', '-f', 'x', '-u', sb.bindUrl, '--bogus'], { env: sb.env });
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^error: unknown flag --bogus\n/, 'reported as an unknown flag (issue 15)');
});

t.test('wrong client secret: exit 4, names the token endpoint, hides the secret', async (t) => {
  const dir = t.testdir({});
  const wrong = `wrong-${randomBytes(12).toString('hex')}`;
  const r = await run(['-f', bindingFile(dir), '-u', sb.bindUrl], { ...sb.env, OIDC_CLIENT_SECRET: wrong });
  t.equal(r.code, 4, r.stderr);
  t.match(
    r.stderr,
    new RegExp(
      `token endpoint ${new URL(sb.env.OIDC_TOKEN_URL).host.replace(/\./g, '\\.')} refused client ` +
        `"helper-ci".*invalid_client`,
    ),
  );
  t.match(r.stderr, /hint: check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
  t.notOk(r.stderr.includes(wrong), 'the wrong secret is not printed either');
  clean(t, r, dir);
});

t.test('token endpoint down: exit 4 after bounded retries', async (t) => {
  const dir = t.testdir({});
  const port = await freePort();
  const r = await run(['-f', bindingFile(dir), '-u', sb.bindUrl, '--retries', '2'], {
    ...sb.env,
    OIDC_TOKEN_URL: `https://127.0.0.1:${port}/token`,
  });
  t.equal(r.code, 4, r.stderr);
  t.match(r.stderr, new RegExp(`cannot reach token endpoint 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  t.equal((r.stderr.match(/retrying in/g) ?? []).length, 2, 'two retries, as asked');
  clean(t, r, dir);
});

t.test('backend answers 401 to a token for another audience: exit 4 with the audience hint', async (t) => {
  const dir = t.testdir({});
  // A second, real OIDC provider whose tokens are meant for another audience.
  const other = await startOidcProvider({
    tls: { cert: readFileSync(sb.serverTls.certFile, 'utf8'), key: readFileSync(sb.serverTls.keyFile, 'utf8') },
    clients: [{ clientId: sb.env.OIDC_CLIENT_ID, clientSecret: sb.env.OIDC_CLIENT_SECRET }],
    audience: 'someone-else',
  });
  t.teardown(() => other.stop());
  const counter = await startFaultProxy({
    target: new URL(sb.bindUrl).origin,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: () => 'forward',
  });
  t.teardown(() => counter.close());
  const r = await run(['-f', bindingFile(dir), '-u', `${counter.url}/bind-noninteractive`], {
    ...sb.env,
    OIDC_TOKEN_URL: other.tokenUrl,
  });
  t.equal(r.code, 4, r.stderr);
  t.match(r.stderr, /backend 127\.0\.0\.1:\d+ rejected the access token: HTTP 401/);
  t.match(r.stderr, /hint: the token's audience \(aud\) must contain the backend's OIDC client ID/);
  t.equal(counter.seen.length, 1, '401 is not retried');
  clean(t, r, dir);
});

t.test('backend 500 then success is retried; 500 forever gives up within the bound', async (t) => {
  const dir = t.testdir({});
  const flaky = await startFaultProxy({
    target: new URL(sb.bindUrl).origin,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: (n): Fault => (n <= 2 ? { status: 503, body: 'try later', headers: { 'retry-after': '1' } } : 'forward'),
  });
  t.teardown(() => flaky.close());
  const ok = await run(['-f', bindingFile(dir), '-u', `${flaky.url}/bind-noninteractive`]);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(flaky.seen.length, 3, 'two 503s, then the real backend');
  t.match(ok.stderr, /HTTP 503; retrying in 1\.0s \(attempt 2 of 5\)/, 'Retry-After honoured');

  const down = await startFaultProxy({
    target: new URL(sb.bindUrl).origin,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: () => ({ status: 500, body: 'internal error' }),
  });
  t.teardown(() => down.close());
  const start = Date.now();
  const r = await run(['-f', bindingFile(dir), '-u', `${down.url}/bind-noninteractive`, '--retries', '3']);
  t.equal(r.code, 5, r.stderr);
  t.equal(down.seen.length, 4, '1 try + 3 retries');
  t.match(r.stderr, /backend 127\.0\.0\.1:\d+ kept failing: HTTP 500: internal error \(gave up after retries\)/);
  t.ok(Date.now() - start < 60_000, 'gave up within the bound');
  clean(t, r);
});

t.test('malformed 200 bodies: exit 5, clear message', async (t) => {
  const dir = t.testdir({});
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cases: Array<[string, Fault, RegExp]> = [
    ['not JSON', { status: 200, body: '<html>', headers: { 'content-type': 'application/json' } }, /not JSON/],
    [
      'wrong content type',
      { status: 200, body: '{}', headers: { 'content-type': 'text/html' } },
      /content type "text\/html"/,
    ],
    [
      'wrong apiVersion',
      {
        status: 200,
        body: JSON.stringify({
          apiVersion: 'kube-bind.io/v1alpha1',
          kind: 'BindingResponse',
          kubeconfig: b64('x'),
          requests: [{}],
        }),
        headers: { 'content-type': 'application/json' },
      },
      /apiVersion/,
    ],
    [
      'zero requests',
      {
        status: 200,
        body: JSON.stringify({
          apiVersion: 'klutch.anynines.com/v1alpha1',
          kind: 'BindingResponse',
          kubeconfig: b64('x'),
          requests: [],
        }),
        headers: { 'content-type': 'application/json' },
      },
      /requests/,
    ],
    [
      'bad base64',
      {
        status: 200,
        body: JSON.stringify({
          apiVersion: 'klutch.anynines.com/v1alpha1',
          kind: 'BindingResponse',
          kubeconfig: 'not base64!',
          requests: [
            {
              apiVersion: 'klutch.anynines.com/v1alpha1',
              kind: 'APIServiceExportRequest',
              spec: { resources: [{ group: 'anynines.com', resource: 'backups' }] },
            },
          ],
        }),
        headers: { 'content-type': 'application/json' },
      },
      /kubeconfig/,
    ],
    [
      'kubeconfig without namespace',
      {
        status: 200,
        body: JSON.stringify({
          apiVersion: 'klutch.anynines.com/v1alpha1',
          kind: 'BindingResponse',
          kubeconfig: b64(
            'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: ' +
              '"https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: abcdefgh}}]\ncontexts: [{name: x, ' +
              'context: {cluster: c, user: u}}]\ncurrent-context: x\n',
          ),
          requests: [
            {
              apiVersion: 'klutch.anynines.com/v1alpha1',
              kind: 'APIServiceExportRequest',
              spec: { resources: [{ group: 'anynines.com', resource: 'backups' }] },
            },
          ],
        }),
        headers: { 'content-type': 'application/json' },
      },
      /has no namespace/,
    ],
  ];
  for (const [name, fault, pattern] of cases) {
    const proxy = await startFaultProxy({
      target: new URL(sb.bindUrl).origin,
      caFile: sb.caFile,
      tls: sb.serverTls,
      script: () => fault,
    });
    const r = await run(['-f', bindingFile(dir), '-u', `${proxy.url}/bind-noninteractive`]);
    await proxy.close();
    t.equal(r.code, 5, `${name}: exit 5 (${r.stderr})`);
    t.match(r.stderr, pattern, name);
    t.equal(proxy.seen.length, 1, `${name}: not retried`);
    clean(t, r);
  }
});

t.test("unknown API: the backend's 400 text is shown, exit 5", async (t) => {
  const dir = t.testdir({});
  const r = await run([
    '-f',
    bindingFile(dir, { clusterID: 'unknown-api', apis: [{ group: 'anynines.com', resource: 'mongodbinstances' }] }),
    '-u',
    sb.bindUrl,
  ]);
  t.equal(r.code, 5, r.stderr);
  t.match(r.stderr, /refused the binding: HTTP 400: .*mongodbinstances/);
  clean(t, r);
});

t.test('TLS is verified: without the sandbox CA the token call fails naming the host', async (t) => {
  const dir = t.testdir({});
  const r = await runCli(['bootstrap-env', '-f', bindingFile(dir), '-u', sb.bindUrl, '--retries', '0'], {
    env: sb.env,
  });
  t.equal(r.code, 4, r.stderr);
  t.match(
    r.stderr,
    /TLS verification of token endpoint 127\.0\.0\.1:\d+ failed: .*(UNABLE_TO_VERIFY|self.signed|local issuer)/i,
  );
  const insecure = await runCli(
    ['bootstrap-env', '-f', bindingFile(dir), '-u', sb.bindUrl, '--insecure-skip-tls-verify', '--no-wait'],
    { env: sb.env },
  );
  t.equal(insecure.code, 0, insecure.stderr);
  t.match(
    insecure.stderr,
    /warn: --insecure-skip-tls-verify: the TLS certificates of the token endpoint 127\.0\.0\.1:\d+, the backend 127\.0\.0\.1:\d+ and the control plane the backend names are NOT verified/,
  );
});

t.test(
  'more backend faults: reset is retried; stall, truncated and oversized bodies end with exit 5 in bound',
  async (t) => {
    const dir = t.testdir({});
    const target = new URL(sb.bindUrl).origin;
    const reset = await startFaultProxy({
      target,
      caFile: sb.caFile,
      tls: sb.serverTls,
      script: (n): Fault => (n === 1 ? 'reset' : 'forward'),
    });
    t.teardown(() => reset.close());
    const ok = await run(['-f', bindingFile(dir), '-u', `${reset.url}/bind-noninteractive`]);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stderr, /backend 127\.0\.0\.1:\d+: .*; retrying in/);

    const stall = await startFaultProxy({ target, caFile: sb.caFile, tls: sb.serverTls, script: () => 'stall' });
    t.teardown(() => stall.close());
    const st = await run([
      '-f',
      bindingFile(dir),
      '-u',
      `${stall.url}/bind-noninteractive`,
      '--request-timeout',
      '1s',
      '--retries',
      '1',
    ]);
    t.equal(st.code, 5, st.stderr);
    t.match(st.stderr, /backend 127\.0\.0\.1:\d+ did not answer in time \(gave up after retries\)/);
    t.equal(stall.seen.length, 2);
    t.ok(st.ms < 20_000, `bounded (${st.ms} ms)`);
    clean(t, st);

    for (const [name, fault, pattern] of [
      [
        'truncated JSON',
        {
          status: 200,
          body: '{"apiVersion":"klutch.anynines.com/v1alpha1","kind":"Bindi',
          headers: { 'content-type': 'application/json' },
        },
        /not JSON/,
      ],
      [
        'oversized body',
        {
          status: 200,
          body: `{"x":"${'a'.repeat(17 * 1024 * 1024)}"}`,
          headers: { 'content-type': 'application/json' },
        },
        /response body exceeds 16777216 bytes/,
      ],
    ] as Array<[string, Fault, RegExp]>) {
      const p = await startFaultProxy({ target, caFile: sb.caFile, tls: sb.serverTls, script: () => fault });
      const r = await run(['-f', bindingFile(dir), '-u', `${p.url}/bind-noninteractive`]);
      await p.close();
      t.equal(r.code, 5, `${name}: ${r.stderr.slice(0, 500)}`);
      t.match(r.stderr, pattern, name);
      clean(t, r);
    }
  },
);

t.test('token endpoint faults: 503 once is retried; 429 forever gives up with exit 4', async (t) => {
  const dir = t.testdir({});
  const target = new URL(sb.env.OIDC_TOKEN_URL).origin;
  const flaky = await startFaultProxy({
    target,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: (n): Fault => (n === 1 ? { status: 503, body: 'busy', headers: { 'retry-after': '1' } } : 'forward'),
  });
  t.teardown(() => flaky.close());
  const ok = await run(['-f', bindingFile(dir), '-u', sb.bindUrl], { ...sb.env, OIDC_TOKEN_URL: `${flaky.url}/token` });
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stderr, /token endpoint 127\.0\.0\.1:\d+: HTTP 503; retrying in 1\.0s/);
  const busy = await startFaultProxy({
    target,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: () => ({ status: 429, body: 'slow down', headers: { 'retry-after': '1' } }),
  });
  t.teardown(() => busy.close());
  const r = await run(['-f', bindingFile(dir), '-u', sb.bindUrl, '--retries', '2'], {
    ...sb.env,
    OIDC_TOKEN_URL: `${busy.url}/token`,
  });
  t.equal(r.code, 4, r.stderr);
  t.equal(busy.seen.length, 3);
  t.match(r.stderr, /token endpoint 127\.0\.0\.1:\d+ kept failing: HTTP 429 \(gave up after retries\)/);
  clean(t, r, dir);
});

t.test(
  'bad --apply-to, -o or --write-kubeconfig: exit 3 before any network call (regression: found only after ' +
    'binding and creating the export requests)',
  async (t) => {
    const dir = t.testdir({ sub: {} });
    // The token endpoint refuses connections: a check made after the token call would end with exit 4.
    const env = { ...sb.env, OIDC_TOKEN_URL: `https://127.0.0.1:${await freePort()}/token` };
    const cases: Array<[string[], RegExp]> = [
      [['--apply-to', join(dir, 'nope.kubeconfig')], /error: cannot read --apply-to \S+nope\.kubeconfig: no such file/],
      // -o FILE (deprecated) still checks the file first; the message names the flag that replaces it.
      [
        ['-o', join(dir, 'missing', 'all.yaml')],
        /error: --output-file \S+all\.yaml: directory \S+missing does not exist/,
      ],
      [['--write-kubeconfig', join(dir, 'sub')], /error: --write-kubeconfig \S+sub: is a directory/],
    ];
    for (const [args, re] of cases) {
      const r = await run(['-f', bindingFile(dir), '-u', sb.bindUrl, ...args], env);
      t.equal(r.code, 3, `${args[0]}: exit 3\n${r.stderr}`);
      t.match(r.stderr, re);
      t.notMatch(r.stderr, /requesting an access token/, 'no network call was started');
      t.equal(r.stdout, '');
    }
  },
);
