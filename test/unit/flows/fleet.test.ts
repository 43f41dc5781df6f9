/**
 * The fleet flow in process (MockAgent for the token endpoint and the
 * backend, the in-memory Kubernetes factory and files): every file validated
 * first, one token for all, per-cluster files, and a PartialError (exit 9)
 * when some failed, with the summary on stdout either way.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { newAjv } from '../../../src/validate/ajv.ts';

const validateFleet = newAjv().compile(
  JSON.parse(readFileSync(new URL('../../../schemas/fleet.schema.json', import.meta.url), 'utf8')),
);
import { MockAgent } from 'undici';
import { PartialError } from '../../../src/errors.ts';
import { clusterDirName, fleet } from '../../../src/flows/fleet.ts';
import { Journal } from '../../../src/journal.ts';
import { bootstrapEnvOptions } from '../../../src/options/bootstrap-env.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { FakeFiles, fakeKube, NS, PROVIDER_KUBECONFIG } from '../../helpers/flow-fakes.ts';

const ENV = {
  OIDC_CLIENT_ID: 'ci-bot',
  OIDC_CLIENT_SECRET: 'client-secret-not-real',
  OIDC_TOKEN_URL: 'https://idp.test/token',
};
const binding = (id: string) =>
  JSON.stringify({ clusterID: id, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] });
const RESPONSE = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  kubeconfig: Buffer.from(PROVIDER_KUBECONFIG).toString('base64'),
  requests: [
    {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceExportRequest',
      metadata: { name: 'postgresqlinstances.anynines.com' },
      spec: { resources: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] },
    },
  ],
};

function agent(binds: number, failing = 0) {
  const a = new MockAgent();
  a.disableNetConnect();
  a.get('https://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply(200, JSON.stringify({ access_token: 'access-token-not-real', token_type: 'Bearer', expires_in: 3600 }), {
      headers: { 'content-type': 'application/json' },
    });
  const backend = a.get('https://backend.test');
  backend
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(200, JSON.stringify(RESPONSE), { headers: { 'content-type': 'application/json' } })
    .times(binds);
  if (failing)
    backend
      .intercept({ path: '/bind-noninteractive', method: 'POST' })
      .reply(400, JSON.stringify({ message: 'bad binding' }), { headers: { 'content-type': 'application/json' } })
      .times(failing);
  return a;
}

const argv = (extra: Record<string, unknown> = {}) => ({
  file: ['bindings'],
  'out-dir': 'out',
  url: 'https://backend.test',
  timeout: '5m',
  'request-timeout': '5s',
  retries: 0,
  concurrency: 2,
  ...extra,
});

function fleetFiles(): FakeFiles {
  const files = new FakeFiles({
    'bindings/a.json': binding('a'),
    'bindings/b.json': binding('b'),
    'bindings/bad.json': '{"clusterID": 1}',
    'bindings/notes.txt': 'x',
  });
  files.dirs.add('bindings');
  return files;
}

t.test('a fleet with an invalid file: the others bound with one token, files per cluster, exit 9', async (t) => {
  const a = agent(2);
  t.teardown(() => a.close());
  const files = fleetFiles();
  const journal = new Journal();
  const out = await fleet(bootstrapEnvOptions(argv(), ENV), {
    dispatcher: a,
    kube: fakeKube(new MemoryCluster('cp')).bootstrap,
    files,
    journal,
  });
  t.type(out.error, PartialError);
  t.equal(out.error?.exitCode, 9);
  t.equal(out.error?.message, '1 of 3 cluster(s) failed (see the summary); the 2 that succeeded are kept');
  const lines = out.stdout!.split('\n');
  t.match(lines[0], new RegExp(`^ok      a  ${NS}  out/a  \\(bindings/a\\.json\\)$`));
  t.match(lines[1], new RegExp(`^ok      b  ${NS}  out/b  \\(bindings/b\\.json\\)$`));
  t.match(lines[2], /^FAILED  -  bindings\/bad\.json: /);
  t.match(out.stdout, /2 of 3 cluster\(s\) bound, 1 failed, in \d+\.\ds \(1 token request\(s\), concurrency 2\)\n$/);
  t.same([...files.written.keys()].sort(), [
    'out/a/all.yaml',
    'out/a/provider.kfg.yaml',
    'out/b/all.yaml',
    'out/b/provider.kfg.yaml',
  ]);
  t.ok(
    [...files.written.values()].every((f) => f.mode === 0o600),
    'every file 0600',
  );
  t.same(journal.bound.map((b) => b.clusterID).sort(), ['a', 'b']);
  t.same(journal.warnings({ summarised: true }), [], 'the summary lists them; cli.ts does not repeat them');
  t.same(a.pendingInterceptors(), []);
});

t.test('-o json: the same summary as JSON; no failure, no error', async (t) => {
  const a = agent(2);
  t.teardown(() => a.close());
  const files = new FakeFiles({ 'x.json': binding('x'), 'y.json': binding('y') });
  const out = await fleet(bootstrapEnvOptions(argv({ file: ['x.json', 'y.json'], output: 'json' }), ENV), {
    dispatcher: a,
    kube: fakeKube(new MemoryCluster('cp')).bootstrap,
    files,
  });
  t.equal(out.error, undefined);
  const s = JSON.parse(out.stdout!);
  t.match(s, { total: 2, succeeded: 2, failed: 0, tokensFetched: 1, concurrency: 2 });
  t.match(s, { schemaVersion: 1, kind: 'FleetSummary', verdict: 'ok', counts: { ok: 2, failed: 0 } }, 'the envelope');
  t.same(Object.keys(s).slice(0, 5), ['schemaVersion', 'kind', 'verdict', 'counts', 'items']);
  t.ok(validateFleet(s), JSON.stringify(validateFleet.errors));
  t.same(
    s.items.map((c: { clusterID: string; status: string }) => `${c.clusterID} ${c.status}`),
    ['x ok', 'y ok'],
  );
});

t.test('a cluster the backend refuses is FAILED with its message; the rest are kept', async (t) => {
  const a = agent(1, 1);
  t.teardown(() => a.close());
  const files = new FakeFiles({ 'x.json': binding('x'), 'y.json': binding('y') });
  const out = await fleet(bootstrapEnvOptions(argv({ file: ['x.json', 'y.json'], concurrency: 1 }), ENV), {
    dispatcher: a,
    kube: fakeKube(new MemoryCluster('cp')).bootstrap,
    files,
  });
  t.equal(out.error?.exitCode, 9);
  t.match(out.stdout, /^ok      x /);
  t.match(out.stdout, /\nFAILED  y  y\.json: /);
});

t.test('duplicate clusterIDs and stdin are refused', async (t) => {
  const files = new FakeFiles({ 'x.json': binding('x'), 'x2.json': binding('x') });
  const a = agent(1);
  t.teardown(() => a.close());
  const out = await fleet(bootstrapEnvOptions(argv({ file: ['x.json', 'x2.json'] }), ENV), {
    dispatcher: a,
    kube: fakeKube(new MemoryCluster('cp')).bootstrap,
    files,
  });
  // Issue 24 #13: the file is named once.
  t.match(out.stdout, /FAILED  x  x2\.json: clusterID "x" is also in x\.json\n/);
  await t.rejects(fleet(bootstrapEnvOptions(argv({ file: ['-', 'x.json'] }), ENV), { files }), {
    exitCode: 3,
    message: 'a fleet reads binding files, not stdin (-)',
  });
  const empty = new FakeFiles();
  empty.dirs.add('none');
  await t.rejects(fleet(bootstrapEnvOptions(argv({ file: ['none'] }), ENV), { files: empty }), {
    exitCode: 3,
    message: 'directory none holds no *.json binding files',
  });
});

t.test('clusterDirName: a safe ID as is, anything else a stable hash', async (t) => {
  t.equal(clusterDirName('prod-eu-1'), 'prod-eu-1');
  t.match(clusterDirName('../etc'), /^cluster-[0-9a-f]{12}$/);
  t.equal(clusterDirName('../etc'), clusterDirName('../etc'));
});

t.test('claims: each cluster accepts what its own file names; -o json lists the accepted claims', async (t) => {
  const claim = (resource: string) => ({ group: '', resource, version: 'v1', selector: { owner: 'Provider' } });
  const withClaims = structuredClone(RESPONSE) as typeof RESPONSE & {
    requests: Array<{ spec: { resources: Array<Record<string, unknown>> } }>;
  };
  withClaims.requests[0]!.spec.resources[0]!.permissionClaims = [claim('secrets'), claim('serviceaccounts')];
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  a.get('https://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply(200, JSON.stringify({ access_token: 'access-token-not-real', token_type: 'Bearer', expires_in: 3600 }), {
      headers: { 'content-type': 'application/json' },
    });
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(200, JSON.stringify(withClaims), { headers: { 'content-type': 'application/json' } })
    .times(2);
  const files = new FakeFiles({
    'x.json': JSON.stringify({ ...JSON.parse(binding('x')), acceptClaims: ['serviceaccounts'] }),
    'y.json': binding('y'),
  });
  const out = await fleet(
    bootstrapEnvOptions(argv({ file: ['x.json', 'y.json'], concurrency: 1, output: 'json' }), ENV),
    { dispatcher: a, kube: fakeKube(new MemoryCluster('cp')).bootstrap, files },
  );
  t.equal(out.error?.exitCode, 9);
  const s = JSON.parse(out.stdout!) as {
    items: Array<{
      clusterID: string;
      status: string;
      acceptedClaims?: unknown;
      error?: { exitCode: number; message: string };
    }>;
  };
  t.same(s.items[0]!.acceptedClaims, [
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'secrets',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'policy',
    },
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'serviceaccounts',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'acceptClaims',
    },
  ]);
  t.match(s.items[1], {
    clusterID: 'y',
    status: 'failed',
    error: { exitCode: 5, message: /postgresqlinstances\.anynines\.com claims serviceaccounts/ },
  });
  t.notOk('acceptedClaims' in s.items[1]!, 'a failed cluster accepted nothing');
  t.ok(validateFleet(s), JSON.stringify(validateFleet.errors));
  t.match(s, { verdict: 'partial', counts: { ok: 1, failed: 1 } });
  t.same(
    [...files.written.keys()].sort(),
    ['out/x/all.yaml', 'out/x/provider.kfg.yaml'],
    'files only for the cluster that accepted',
  );
});

t.test(
  'a cluster whose export request fails after the bind keeps its provider kubeconfig (0600), named with status ' +
    'and unbind in the summary (issue 24, finding 4)',
  async (t) => {
    const a = agent(1);
    t.teardown(() => a.close());
    const files = new FakeFiles({ 'x.json': binding('x') });
    const failedRequest = 'postgresqlinstances.anynines.com';
    const kube = fakeKube(new MemoryCluster('cp'), undefined, { failedRequest }).bootstrap;
    const out = await fleet(bootstrapEnvOptions(argv({ file: ['x.json'] }), ENV), { dispatcher: a, kube, files });
    t.equal(out.error?.exitCode, 9);
    t.same([...files.written.keys()], ['out/x/provider.kfg.yaml'], 'the provider kubeconfig, no all.yaml');
    t.equal(files.written.get('out/x/provider.kfg.yaml')?.mode, 0o600);
    const lines = out.stdout!.split('\n');
    t.match(lines[0], /^FAILED  x  x\.json: APIServiceExportRequest \S+ Failed/);
    t.equal(
      lines[1],
      '        bound, provider kubeconfig kept in out/x/provider.kfg.yaml (mode 0600): ' +
        '`helper status --kubeconfig out/x/provider.kfg.yaml` shows it, ' +
        '`helper unbind --kubeconfig out/x/provider.kfg.yaml` removes its export requests',
    );
    const opts = bootstrapEnvOptions(argv({ file: ['x.json'], output: 'json' }), ENV);
    const json = await fleet(opts, { dispatcher: agent(1), kube, files });
    const entry = { clusterID: 'x', status: 'failed', error: { exitCode: 8 }, kubeconfig: 'out/x/provider.kfg.yaml' };
    t.match(JSON.parse(json.stdout!).items[0], entry);
  },
);

/** stderr of fn, line by line. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return lines;
}

t.test('issue 24 #10: every line of a cluster names it ([clusterID]); the invalid file is named once', async (t) => {
  const a = agent(1, 1);
  t.teardown(() => a.close());
  const files = fleetFiles();
  let out: Awaited<ReturnType<typeof fleet>> | undefined;
  const lines = await stderrOf(async () => {
    out = await fleet(bootstrapEnvOptions(argv({ concurrency: 2 }), ENV), {
      dispatcher: a,
      kube: fakeKube(new MemoryCluster('cp')).bootstrap,
      files,
      journal: new Journal(),
    });
  });
  const fleetLines = [
    /^warn: 1 of 3 binding file\(s\) are invalid \(bindings\/bad\.json\): they are skipped$/,
    /^binding 2 /,
  ];
  const untagged = lines.filter((l) => !/^\[[ab]\] /.test(l) && !fleetLines.some((re) => re.test(l)));
  t.same(untagged, [], `every other line is tagged: ${JSON.stringify(lines)}`);
  t.ok(lines.some((l) => l.startsWith('[a] ')) && lines.some((l) => l.startsWith('[b] ')), JSON.stringify(lines));
  t.ok(
    lines.some((l) => /^\[[ab]\] error: failed \(bindings\/[ab]\.json\): /.test(l)),
    JSON.stringify(lines),
  );
  t.match(out?.stdout, /\nFAILED  -  bindings\/bad\.json: not a valid binding\n/);
  t.notMatch(out?.stdout, /bad\.json: bindings\/bad\.json/);
});

t.test(
  'issue 24 #10: --fail-fast starts no cluster after the first failure; they are FAILED "not started"',
  async (t) => {
    const a = new MockAgent();
    a.disableNetConnect();
    t.teardown(() => a.close());
    a.get('https://idp.test')
      .intercept({ path: '/token', method: 'POST' })
      .reply(200, JSON.stringify({ access_token: 'access-token-not-real', token_type: 'Bearer', expires_in: 3600 }), {
        headers: { 'content-type': 'application/json' },
      });
    a.get('https://backend.test')
      .intercept({ path: '/bind-noninteractive', method: 'POST' })
      .reply(400, JSON.stringify({ message: 'bad binding' }), { headers: { 'content-type': 'application/json' } });
    const files = new FakeFiles({ 'x.json': binding('x'), 'y.json': binding('y'), 'z.json': binding('z') });
    let out: Awaited<ReturnType<typeof fleet>> | undefined;
    const lines = await stderrOf(async () => {
      out = await fleet(
        bootstrapEnvOptions(argv({ file: ['x.json', 'y.json', 'z.json'], concurrency: 1, 'fail-fast': true }), ENV),
        { dispatcher: a, kube: fakeKube(new MemoryCluster('cp')).bootstrap, files },
      );
    });
    t.equal(out?.error?.exitCode, 9);
    t.match(out?.stdout, /^FAILED  x  x\.json: /);
    t.match(out?.stdout, /\nFAILED  y  y\.json: not started: --fail-fast stopped the fleet after cluster "x" failed\n/);
    t.match(out?.stdout, /\nFAILED  z  z\.json: not started/);
    t.ok(lines.includes('warn: --fail-fast: cluster "x" failed; 2 cluster(s) not started'), JSON.stringify(lines));

    const invalid = new FakeFiles({ 'x.json': binding('x'), 'bad.json': '{}' });
    const none = await fleet(bootstrapEnvOptions(argv({ file: ['bad.json', 'x.json'], 'fail-fast': true }), ENV), {
      dispatcher: a,
      kube: fakeKube(new MemoryCluster('cp')).bootstrap,
      files: invalid,
    });
    t.match(none.stdout, /\nFAILED  x  x\.json: not started: --fail-fast stopped the fleet after bad\.json failed\n/);
    t.throws(() => bootstrapEnvOptions(argv({ file: ['x.json'], 'out-dir': undefined, 'fail-fast': true }), ENV), {
      exitCode: 2,
      message: /--fail-fast is for a fleet/,
    });
  },
);
