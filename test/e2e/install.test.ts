/**
 * The three ways the README's "Install" section gives, each in a clean temp directory:
 *
 *   executable   the linux-x64 file and SHA256SUMS "downloaded" into an empty directory,
 *                checked with `sha256sum -c --ignore-missing`, made executable, run;
 *   npx          from a checkout: `npx --no --prefix <checkout> helper`, from another
 *                directory (`--no`: npx never fetches a registry package of that name);
 *   npm pack     the tarball `npm pack` makes (its prepare script builds dist/), installed with
 *                `npm install -g --prefix <tmp> --offline` (it needs no dependency), run from
 *                the prefix's bin/ against the sandbox, and under an old Node if there is one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
};
const config = JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as {
  checksums: string;
  targets: Record<string, { output: string }>;
};
// npm and the installed bin/helper run on the pinned Node, first on PATH, as on a user's machine with Node 24.
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const sb = await useSandbox(t);

function clean(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `helper-install-${prefix}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a command as a user's shell would: only PATH and HOME (and what is passed), no tap hooks; its output goes to
 * the secret scan. */
function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, input = '') {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', cmd, ...args], {
    cwd,
    encoding: 'utf8',
    input,
    timeout: 300_000,
    env: { PATH, HOME: cwd, ...env },
  });
  const i = args.indexOf('bootstrap-env');
  record(i >= 0 ? args.slice(i) : args, r, i >= 0 && !args.includes('-o'));
  return r;
}

/** Hands what a user saw to the suite-wide secret scan of test/run.ts, as runCli does (stdout left out where it is the
 * artifact). */
function record(args: string[], r: { stdout: string; stderr: string }, artifact = false): void {
  const file = process.env.HELPER_CLI_CAPTURE;
  if (file)
    appendFileSync(
      file,
      JSON.stringify({ args: args.slice(0, 2), stderr: r.stderr, stdout: artifact ? '' : r.stdout }) + '\n',
      { mode: 0o600 },
    );
}

t.test('the executable: download, checksum, chmod +x, run', async (t) => {
  const dir = clean('exe');
  const file = resolve(repoRoot, config.targets['linux-x64']!.output);
  const name = basename(file);
  copyFileSync(file, join(dir, name));
  chmodSync(join(dir, name), 0o644); // a download is not executable
  copyFileSync(resolve(repoRoot, config.checksums), join(dir, 'SHA256SUMS'));
  const check = sh('sha256sum', ['-c', '--ignore-missing', 'SHA256SUMS'], dir);
  t.equal(check.status, 0, check.stderr);
  t.equal(check.stdout, `${name}: OK\n`);
  chmodSync(join(dir, name), 0o755);
  const v = sh(`./${name}`, ['--version'], dir);
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout, `${pkg.version}\n`);
  const h = sh(`./${name}`, ['bootstrap-env', '--help'], dir);
  t.equal(h.status, 0, h.stderr);
  t.match(h.stdout, /^helper bootstrap-env/);
  // A tampered download fails the check.
  writeFileSync(join(dir, name), 'not the executable');
  const bad = sh('sha256sum', ['-c', '--ignore-missing', 'SHA256SUMS'], dir);
  t.not(bad.status, 0, 'sha256sum -c fails for a changed file');
});

t.test('npx from a checkout, run from another directory', async (t) => {
  const dir = clean('npx');
  const v = sh('npx', ['--no', '--prefix', repoRoot, 'helper', '--version'], dir);
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout, `${pkg.version}\n`);
  writeFileSync(join(dir, 'bad.json'), '{"clusterID": "x"}');
  const bad = sh(
    'npx',
    ['--no', '--prefix', repoRoot, 'helper', 'bootstrap-env', '-f', 'bad.json', '-u', sb.bindUrl],
    dir,
    sb.env,
  );
  t.equal(bad.status, 3, bad.stderr);
  t.match(bad.stderr, /bad\.json is not a valid binding/, 'a relative -f is read from the directory npx was run in');
});

t.test('npm pack, npm install -g into a prefix, run', async (t) => {
  const dir = clean('pack');
  const packed = JSON.parse(
    execFileSync('env', ['-u', 'NODE_OPTIONS', 'npm', 'pack', '--json', '--pack-destination', dir], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as Array<{ filename: string; name: string; files: Array<{ path: string }>; unpackedSize: number }>;
  const p = packed[0]!;
  t.equal(p.name, pkg.name);
  const files = p.files.map((f) => f.path);
  t.ok(
    files.includes('bin/helper') && files.includes('dist/helper.mjs') && files.includes('schemas/binding.schema.json'),
    'bin, the bundle and the schemas are packed',
  );
  const PACKED = new RegExp(
    String.raw`^(bin/helper|dist/helper(-[A-Z0-9]+)?\.mjs|dist/index\.mjs|dist/types/[a-z/.-]+\.d\.ts|` +
      String.raw`schemas/[a-z-]+\.schema\.json|package\.json|README\.md|LICENSE)$`,
  );
  t.same(
    files.filter((f) => !PACKED.test(f)),
    [],
    'nothing else (no executables, sources or tests)',
  );
  t.ok(p.unpackedSize < 10e6, `unpacked ${(p.unpackedSize / 1e6).toFixed(1)} MB`);

  const prefix = join(dir, 'prefix');
  const inst = sh(
    'npm',
    ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(dir, p.filename)],
    dir,
  );
  t.equal(inst.status, 0, `npm install -g: ${inst.stderr}`);
  const bin = join(prefix, 'bin', 'helper');
  t.ok(existsSync(bin), 'the command is helper');
  t.same(readdirSync(join(prefix, 'lib', 'node_modules')), [pkg.name]);
  t.notOk(
    existsSync(join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules')),
    'no dependencies installed: the bundle holds them',
  );

  const work = join(dir, 'work');
  execFileSync('mkdir', [work]);
  const v = sh(bin, ['--version'], work);
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout, `${pkg.version}\n`);

  const clusterID = `install-${randomBytes(4).toString('hex')}`;
  writeFileSync(
    join(work, 'binding.json'),
    JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }),
  );
  const r = sh(
    bin,
    [
      'bootstrap-env',
      '-f',
      'binding.json',
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--no-wait',
      '--write-kubeconfig',
      'provider.kfg.yaml',
    ],
    work,
    sb.env,
  );
  t.equal(r.status, 0, r.stderr);
  const kinds = parseAllDocuments(r.stdout).map((d) => (d.toJS() as { kind?: string }).kind);
  t.equal(kinds[0], 'Namespace');
  t.equal(kinds.at(-1), 'APIServiceBinding', 'all.yaml on stdout');
  t.equal(statSync(join(work, 'provider.kfg.yaml')).mode & 0o777, 0o600);

  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((n) => {
    const got = spawnSync(n, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim();
    if (!got) return false;
    const [major, minor] = got.split('.').map(Number) as [number, number];
    return major < 22 || (major === 22 && minor < 19);
  });
  if (!old) {
    t.comment('no Node.js older than 22.19 here: the old-Node message of the installed package is not checked');
  } else {
    const o = spawnSync('env', ['-u', 'NODE_OPTIONS', old, bin, '--version'], {
      encoding: 'utf8',
      cwd: work,
      env: { PATH: process.env.PATH ?? '' },
    });
    t.equal(o.status, 1, 'an old Node: exit 1');
    t.match(o.stderr, /^error: helper needs Node\.js >= 22\.19, but \S+ is v\d+/);
  }
});
