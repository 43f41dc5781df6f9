/**
 * The library as a consumer gets it (issue 22's "done when"): `npm pack` of the repository, installed
 * offline from the npm cache into a fresh directory outside the repository (with typescript and
 * @types/node, nothing else), test/e2e/library-program/program.ts type-checked there with
 * `tsc --strict --noEmit` (and a deliberate type error shown to fail), then run with Node against the
 * sandbox: bind an App Cluster (a fresh one), apply its manifests, read its status, unbind it. Its
 * stderr is empty without a logger; with one, the logger gets the lines (redacted).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { jwtsIn, repoRoot } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

const dir = mkdtempSync(join(tmpdir(), 'helper-library-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync('env', ['-u', 'NODE_OPTIONS', cmd, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 600_000,
    env: { PATH, HOME: process.env.HOME ?? dir, ...env },
  });
}

const packed = JSON.parse(
  execFileSync('env', ['-u', 'NODE_OPTIONS', 'npm', 'pack', '--json', '--pack-destination', dir], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  }),
) as Array<{ filename: string; name: string; files: Array<{ path: string }> }>;
const tarball = join(dir, packed[0]!.filename);
const work = join(dir, 'consumer');
execFileSync('mkdir', [work]);
writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
for (const f of ['program.ts', 'type-error.ts', 'tsconfig.json'])
  copyFileSync(join(repoRoot, 'test/e2e/library-program', f), join(work, f));

t.test('the tarball holds the library and its types', async (t) => {
  const files = packed[0]!.files.map((f) => f.path);
  t.ok(files.includes('dist/index.mjs'), 'dist/index.mjs');
  t.ok(files.includes('dist/types/index.d.ts'), 'dist/types/index.d.ts');
  t.notOk(
    files.some((f) => f.startsWith('src/') || f.startsWith('test/')),
    'no sources or tests',
  );
});

t.test('installs offline outside the repository; tsc --strict passes, a type error fails', async (t) => {
  t.notOk(work.startsWith(repoRoot), 'the consumer is outside the repository');
  // npm ci caches tarballs, not the registry's package documents: the compiler and Node's types are packed from
  // the repository's node_modules (typescript, @types/node and its undici-types), so the install needs no network.
  const tools = ['typescript', '@types/node', 'undici-types'].map((p) => {
    const out = execFileSync(
      'env',
      ['-u', 'NODE_OPTIONS', 'npm', 'pack', '--json', '--pack-destination', dir, join(repoRoot, 'node_modules', p)],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return join(dir, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
  });
  const inst = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball, ...tools], work);
  t.equal(inst.status, 0, `npm install: ${inst.stderr}`);
  t.ok(existsSync(join(work, 'node_modules', 'klutch-bind-helper', 'dist', 'index.mjs')));
  t.notOk(existsSync(join(work, 'node_modules', 'undici')), 'no runtime dependency installed: the bundle holds them');
  const ok = sh(join(work, 'node_modules/.bin/tsc'), ['--strict', '--noEmit', '-p', 'tsconfig.json'], work);
  t.equal(ok.status, 0, `tsc: ${ok.stdout}${ok.stderr}`);
  writeFileSync(
    join(work, 'tsconfig.bad.json'),
    JSON.stringify({ extends: './tsconfig.json', files: ['type-error.ts'] }),
  );
  const bad = sh(join(work, 'node_modules/.bin/tsc'), ['--strict', '--noEmit', '-p', 'tsconfig.bad.json'], work);
  t.equal(ok.stdout, '', 'program.ts: no error');
  t.not(bad.status, 0, 'the deliberate type error fails');
  t.match(bad.stdout, /type-error\.ts\(4,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  t.match(bad.stdout, /type-error\.ts\(5,\d+\): error TS2339: Property 'phase' does not exist on type 'StatusReport'/);
});

function runProgram(app: { kubeconfig: string }, logger: boolean) {
  const clusterID = `library-${randomBytes(4).toString('hex')}`;
  const cfg = {
    url: sb.bindUrl,
    caFile: sb.caFile,
    tokenUrl: sb.env.OIDC_TOKEN_URL,
    clientId: sb.env.OIDC_CLIENT_ID,
    clientSecret: sb.env.OIDC_CLIENT_SECRET,
    clusterID,
    appKubeconfig: app.kubeconfig,
  };
  const r = sh(process.execPath, ['program.ts'], work, {
    LIB_CONFIG: JSON.stringify(cfg),
    ...(logger ? { LIB_LOGGER: '1' } : {}),
  });
  // What the program printed goes to the suite-wide secret scan of test/run.ts, as runCli's runs do.
  const file = process.env.HELPER_CLI_CAPTURE;
  if (file)
    appendFileSync(
      file,
      JSON.stringify({ args: ['library', 'program.ts'], stderr: r.stderr, stdout: r.stdout }) + '\n',
      { mode: 0o600 },
    );
  return { ...r, out: JSON.parse(r.stdout || '{}') as Record<string, any>, clusterID };
}

t.test('the program binds, applies, reads the status, unbinds; stderr empty without a logger', async (t) => {
  const app = await extraCluster(t, sb, 'lib');
  const r = runProgram(app, false);
  t.equal(r.status, 0, `exit 0: ${r.stdout} ${r.stderr}`);
  t.equal(r.stderr, '', 'nothing on stderr: no logger was passed');
  const o = r.out;
  t.match(o.clusterNamespace, /\S/, 'the cluster namespace');
  t.equal(o.kinds[0], 'Namespace', 'the manifests as objects');
  t.ok(o.kinds.includes('APIServiceBinding'));
  t.match(o.yamlStartsWith, /^(---\n)?apiVersion: v1\n/, 'and as YAML');
  t.ok(
    o.exportRequests.length >= 1 && o.exportRequests.every((x: string) => x.endsWith(':Succeeded')),
    `export requests Succeeded: ${o.exportRequests}`,
  );
  t.equal(o.applied, o.kinds.length, 'every object applied');
  t.ok(['ok', 'degraded', 'missing', 'unknown'].includes(o.verdict), `a typed verdict: ${o.verdict}`);
  t.ok(o.items.length > 0, 'the report has items');
  t.ok(o.unbindActions > 0, 'the unbind report lists what it did');
  t.equal(o.logLines, 0);
  // On the control plane: the binding's export requests are gone (unbind deleted them).
  const left = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-n',
    o.clusterNamespace,
    '-o',
    'name',
  ]);
  t.equal(left.stdout.trim(), '', `the export requests are gone (${left.stderr.trim()})`);
});

t.test('with a logger the program gets the lines (redacted), still nothing on stderr', async (t) => {
  const app = await extraCluster(t, sb, 'liblog');
  const r = runProgram(app, true);
  t.equal(r.status, 0, `exit 0: ${r.stdout} ${r.stderr}`);
  t.equal(r.stderr, '', 'nothing on stderr: the lines went to the logger');
  t.ok(r.out.logLines > 3, `the logger got ${r.out.logLines} lines`);
  t.match(r.out.firstLogLine, /binding cluster|access token/);
  t.equal(r.out.logHasSecret, false, 'no client secret in the lines');
  t.same(jwtsIn(r.stdout), [], 'no token in what the program printed');
});
