/**
 * The answer must match the question (issue 20, finding 3), against the
 * sandbox's real backend, control plane and App Cluster: a loopback proxy
 * tampers with the real backend's BindingResponse (an unrequested API, a
 * missing or doubled one, a permission claim outside the default policy).
 * Each is refused with exit 5 naming what is wrong, and nothing is created:
 * no APIServiceExportRequest in the cluster namespace, no file, nothing
 * applied. A claim the user accepts in binding.json (acceptClaims) is bound,
 * marked Accepted in all.yaml and listed on stderr (and in a fleet's JSON).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import { startFaultProxy, type FaultProxy } from '../helpers/faults.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox, type TestSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';

const sb: TestSandbox = await useSandbox(t);

type Claim = Record<string, unknown> & { resource: string };
type Resource = { group?: string; resource: string; permissionClaims?: Claim[] };
type Request = { metadata?: { name?: string }; spec: { resources: Resource[] } };
type Answer = { kubeconfig: string; requests: Request[] };

const PG = { group: 'anynines.com', resource: 'postgresqlinstances' };
const SB = { group: 'anynines.com', resource: 'servicebindings' };
const unique = () => `answer-${randomBytes(4).toString('hex')}`;

/** A proxy in front of the real backend that changes every 200 answer with `change`; namespaces lists the cluster
 * namespaces of the answers. */
async function tampering(t: Test, change: (a: Answer) => void): Promise<FaultProxy & { namespaces: string[] }> {
  const namespaces: string[] = [];
  const proxy = await startFaultProxy({
    target: new URL(sb.bindUrl).origin,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: () => ({
      rewrite: (body) => {
        let a: Answer;
        try {
          a = JSON.parse(body.toString('utf8')) as Answer;
        } catch {
          return body; // an error text: passed on
        }
        namespaces.push(/namespace: (\S+)/.exec(Buffer.from(a.kubeconfig, 'base64').toString('utf8'))![1]!);
        change(a);
        return JSON.stringify(a);
      },
    }),
  });
  t.teardown(() => proxy.close());
  return Object.assign(proxy, { namespaces });
}

function bindingFile(dir: string, content: Record<string, unknown>, name = 'binding.json'): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(content));
  return f;
}

function bootstrap(args: string[]): Promise<CliResult> {
  return runCli(['bootstrap-env', '--ca-file', sb.caFile, ...args], { env: sb.env });
}

async function exportRequests(ns: string): Promise<string> {
  const r = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-n',
    ns,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** A refused answer: exit 5, the message, nothing printed, written, created on the control plane or applied. */
async function refused(
  t: Test,
  r: CliResult,
  proxy: { namespaces: string[] },
  dir: string,
  message: RegExp,
): Promise<void> {
  t.equal(r.code, 5, `exit 5\n${r.stderr}`);
  t.match(r.stderr, message);
  t.equal(r.stdout, '', 'nothing on stdout');
  t.same(jwtsIn(r.stderr), [], 'no token on stderr');
  t.same(
    readdirSync(dir).filter((f) => !f.endsWith('.json')),
    [],
    'no file written',
  );
  t.equal(proxy.namespaces.length, 1, 'the backend answered once');
  t.equal(await exportRequests(proxy.namespaces[0]!), '', `no APIServiceExportRequest in ${proxy.namespaces[0]}`);
  t.notMatch(r.stderr, /applying all\.yaml/, 'nothing applied');
}

const outputs = (dir: string) => [
  '--output-file',
  join(dir, 'all.yaml'),
  '--write-kubeconfig',
  join(dir, 'provider.kfg.yaml'),
];

t.test('an API binding.json did not ask for: exit 5 naming it, nothing created', async (t) => {
  const dir = t.testdir({});
  const proxy = await tampering(t, (a) => {
    a.requests.push({
      ...structuredClone(a.requests[0]!),
      metadata: { name: 'certificates.cert-manager.io' },
      spec: { resources: [{ group: 'cert-manager.io', resource: 'certificates' }] },
    });
  });
  const r = await bootstrap([
    '-f',
    bindingFile(dir, { clusterID: unique(), apis: [PG] }),
    '-u',
    `${proxy.url}/bind-noninteractive`,
    ...outputs(dir),
    '--apply-to',
    sb.app.kubeconfig,
  ]);
  await refused(t, r, proxy, dir, /certificates\.cert-manager\.io.*binding\.json did not ask for/);
  const bound = await kubectl(sb.bin, sb.app.kubeconfig, [
    'get',
    'apiservicebindings',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  t.notMatch(bound.stdout, /certificates\.cert-manager\.io/, 'no APIServiceBinding for it on the App Cluster');
});

t.test('an API asked for but not answered, or answered twice: exit 5 naming it, nothing created', async (t) => {
  const dir = t.testdir({});
  const missing = await tampering(t, (a) => {
    a.requests = a.requests.filter((q) => q.spec.resources[0]!.resource !== 'servicebindings');
  });
  const r = await bootstrap([
    '-f',
    bindingFile(dir, { clusterID: unique(), apis: [PG, SB] }),
    '-u',
    `${missing.url}/bind-noninteractive`,
    ...outputs(dir),
  ]);
  await refused(
    t,
    r,
    missing,
    dir,
    /servicebindings\.anynines\.com.*binding\.json asked for.*not in the backend's answer|backend's answer lacks servicebindings\.anynines\.com/,
  );

  const twice = await tampering(t, (a) => {
    a.requests.push({ ...structuredClone(a.requests[0]!), metadata: { name: 'another-name' } });
  });
  const r2 = await bootstrap([
    '-f',
    bindingFile(dir, { clusterID: unique(), apis: [PG] }),
    '-u',
    `${twice.url}/bind-noninteractive`,
    ...outputs(dir),
  ]);
  await refused(t, r2, twice, dir, /postgresqlinstances\.anynines\.com.*more than once/);
});

const replaceAll: Claim = {
  group: '',
  resource: 'secrets',
  version: 'v1',
  selector: { owner: 'Provider' },
  create: { replaceExisting: true },
};
const serviceAccounts: Claim = {
  group: '',
  resource: 'serviceaccounts',
  version: 'v1',
  selector: { owner: 'Provider' },
};
const addClaim = (claim: Claim) => (a: Answer) => {
  for (const q of a.requests)
    for (const res of q.spec.resources)
      res.permissionClaims = [...(res.permissionClaims ?? []), structuredClone(claim)];
};

t.test('a permission claim outside the default policy: exit 5 naming it, nothing created', async (t) => {
  const dir = t.testdir({});
  for (const [what, claim, message] of [
    [
      'all secrets, replacing existing ones',
      replaceAll,
      /postgresqlinstances\.anynines\.com claims secrets with create\.replaceExisting/,
    ],
    ['serviceaccounts', serviceAccounts, /postgresqlinstances\.anynines\.com claims serviceaccounts/],
  ] as const) {
    const proxy = await tampering(t, addClaim(claim));
    const r = await bootstrap([
      '-f',
      bindingFile(dir, { clusterID: unique(), apis: [PG] }),
      '-u',
      `${proxy.url}/bind-noninteractive`,
      ...outputs(dir),
    ]);
    await refused(t, r, proxy, dir, message);
    t.match(r.stderr, /acceptClaims/, `${what}: the hint names acceptClaims`);
  }
});

t.test('the same claims accepted in binding.json: bound, Accepted in all.yaml, listed on stderr', async (t) => {
  const dir = t.testdir({});
  const proxy = await tampering(t, (a) => {
    addClaim(serviceAccounts)(a);
    addClaim(replaceAll)(a);
  });
  const r = await bootstrap([
    '-f',
    bindingFile(dir, { clusterID: unique(), apis: [PG], acceptClaims: ['serviceaccounts', 'secrets'] }),
    '-u',
    `${proxy.url}/bind-noninteractive`,
    ...outputs(dir),
    '--timeout',
    '2m',
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /all 1 APIServiceExportRequest\(s\) Succeeded/, 'the export request Succeeded');
  t.equal(await exportRequests(proxy.namespaces[0]!), 'postgresqlinstances.anynines.com');
  const docs = parseAllDocuments(readFileSync(join(dir, 'all.yaml'), 'utf8')).map(
    (d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { permissionClaims?: Claim[] } },
  );
  const binding = docs.find(
    (d) => d.kind === 'APIServiceBinding' && d.metadata.name === 'postgresqlinstances.anynines.com',
  )!;
  const claims = binding.spec.permissionClaims ?? [];
  t.same(
    claims.map(
      (c) =>
        `${c.resource}:${c.state}` +
        `${(c.create as { replaceExisting?: boolean } | undefined)?.replaceExisting ? ':replaceExisting' : ''}`,
    ),
    ['secrets:Accepted', 'configmaps:Accepted', 'serviceaccounts:Accepted', 'secrets:Accepted:replaceExisting'],
    'every claim Accepted, as the backend sent it',
  );
  const line = r.stderr
    .split('\n')
    .find((l) => l.includes('APIServiceBinding postgresqlinstances.anynines.com accepts'));
  t.ok(line, 'one stderr line for the binding');
  t.match(
    line,
    /secrets \(owner Provider\), configmaps \(owner Provider\), serviceaccounts \(owner Provider; accepted by acceptClaims\), secrets \(owner Provider, create\.replaceExisting; accepted by acceptClaims\)/,
  );
});

t.test("a normal binding: the real export templates' claims pass the default policy and are listed", async (t) => {
  const dir = t.testdir({});
  const r = await bootstrap([
    '-f',
    bindingFile(dir, { clusterID: unique(), apis: [PG, SB] }),
    '-u',
    sb.bindUrl,
    ...outputs(dir),
    '--no-wait',
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stderr,
    /^cluster "answer-\w+": APIServiceBinding postgresqlinstances\.anynines\.com accepts claims secrets \(owner Provider\), configmaps \(owner Provider\)$/m,
  );
  t.match(
    r.stderr,
    /APIServiceBinding servicebindings\.anynines\.com accepts claims secrets \(owner Provider\), configmaps \(owner Provider\)$/m,
  );
});

t.test('a fleet: acceptClaims per cluster; the accepted claims in the JSON summary', async (t) => {
  const dir = t.testdir({ bindings: {} });
  const accepting = unique();
  const strict = unique();
  bindingFile(join(dir, 'bindings'), { clusterID: accepting, apis: [PG], acceptClaims: ['serviceaccounts'] }, 'a.json');
  bindingFile(join(dir, 'bindings'), { clusterID: strict, apis: [PG] }, 'b.json');
  const proxy = await tampering(t, addClaim(serviceAccounts));
  const out = join(dir, 'out');
  const r = await bootstrap([
    '-f',
    join(dir, 'bindings'),
    '-u',
    `${proxy.url}/bind-noninteractive`,
    '--out-dir',
    out,
    '--no-wait',
    '-o',
    'json',
  ]);
  t.equal(r.code, 9, r.stderr);
  const summary = JSON.parse(r.stdout) as {
    items: Array<{
      clusterID: string;
      status: string;
      error?: { exitCode: number; message: string };
      acceptedClaims?: unknown[];
    }>;
  };
  const ok = summary.items.find((c) => c.clusterID === accepting)!;
  const failed = summary.items.find((c) => c.clusterID === strict)!;
  t.equal(ok.status, 'ok');
  t.same(ok.acceptedClaims, [
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
      resource: 'configmaps',
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
  t.equal(failed.status, 'failed');
  t.equal(failed.error?.exitCode, 5);
  t.match(failed.error?.message, /claims serviceaccounts/);
  t.same(readdirSync(out), [accepting], 'files only for the accepted cluster');
});
