/**
 * The linux-arm64 single executable (pkg.config.json's targets["linux-arm64"], built by
 * `npm run build:binary`, which `npm test` runs first) runs under qemu user-mode emulation:
 * --version, --help, and an invalid binding with its exit code. `npm test` installs
 * qemu-user-static and the arm64 runtime libraries when they are missing (bin/ensure-qemu.sh).
 * SHA256SUMS beside the executables lists each of them with its current checksum.
 * It runs from a copy in an empty temp directory, so nothing of the checkout can stand in for
 * what must be inside the executable. This test builds nothing itself.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/run-cli.ts';

const config = JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as {
  checksums: string;
  targets: Record<string, { output: string }>;
};
const arm64 = resolve(repoRoot, config.targets['linux-arm64']!.output);
const sums = resolve(repoRoot, config.checksums);
const sysroot = '/usr/aarch64-linux-gnu';
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

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

t.test('SHA256SUMS lists every executable with its checksum', async (t) => {
  t.ok(existsSync(sums), `${config.checksums} exists`);
  const lines = readFileSync(sums, 'utf8').trimEnd().split('\n');
  const listed = new Map(
    lines.map((l) => /^([0-9a-f]{64}) {2}(\S+)$/.exec(l)).map((m) => [m?.[2] ?? '', m?.[1] ?? '']),
  );
  t.same(
    [...listed.keys()].sort(),
    Object.values(config.targets)
      .map((x) => basename(x.output))
      .sort(),
    'one line per target, sha256sum format',
  );
  for (const [name, sum] of listed) {
    const file = join(dirname(sums), name);
    t.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), sum, `${name} matches`);
  }
  const check = spawnSync('sha256sum', ['-c', basename(sums)], { cwd: dirname(sums), encoding: 'utf8' });
  if (check.error) t.comment(`sha256sum not available (${check.error.message}); checked in-process above`);
  else t.equal(check.status, 0, `sha256sum -c: ${check.stdout}${check.stderr}`);
});

t.test(
  'embeds no path of the build machine (regression: the SEA blob named <checkout>/dist/sea/launcher.cjs)',
  async (t) => {
    t.equal(
      readFileSync(arm64).indexOf(repoRoot.replace(/\/$/, '')),
      -1,
      `${config.targets['linux-arm64']!.output} does not contain the checkout's path ${repoRoot}`,
    );
  },
);

t.test('the arm64 executable is an aarch64 ELF', async (t) => {
  const head = readFileSync(arm64).subarray(0, 20);
  t.equal(head.readUInt32BE(0), 0x7f454c46, 'ELF magic');
  t.equal(head.readUInt16LE(18), 0xb7, 'machine AArch64');
});

const qemu = spawnSync('qemu-aarch64-static', ['--version'], { encoding: 'utf8' });
const missing = qemu.error
  ? 'qemu-aarch64-static is not installed'
  : !existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))
    ? `${sysroot} has no arm64 C library`
    : undefined;

t.test('under qemu-aarch64-static: --version, --help, an invalid binding', async (t) => {
  // npm test installs both (bin/ensure-qemu.sh); a missing one is a failure, not a skip.
  if (missing) {
    t.fail(`${missing}: run "bash bin/ensure-qemu.sh" (npm test does)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'helper-arm64-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'helper');
  copyFileSync(arm64, bin);
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync('qemu-aarch64-static', ['-L', sysroot, bin, ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    });
    record(args, r);
    return r;
  };

  const v = run(['--version']);
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout, `${pkg.version}\n`);
  t.equal(v.stderr, '', 'nothing on stderr');

  const help = run(['bootstrap-env', '--help']);
  t.equal(help.status, 0, help.stderr);
  t.match(help.stdout, /--write-kubeconfig/);
  t.match(help.stdout, /Exit codes: 0 ok, 2 usage, 3 input/);

  const arch = run(['--help']);
  t.equal(arch.status, 0, arch.stderr);
  t.match(arch.stdout, /bootstrap-env/);

  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ clusterID: 5 }));
  const bad = run(['bootstrap-env', '-f', 'bad.json', '-u', 'https://127.0.0.1:9'], {
    OIDC_CLIENT_ID: 'c',
    OIDC_CLIENT_SECRET: 's',
    OIDC_TOKEN_URL: 'https://127.0.0.1:9/token',
  });
  t.equal(bad.status, 3, `exit 3 (input), stderr: ${bad.stderr}`);
  t.match(bad.stderr, /bad\.json is not a valid binding/);
  t.match(bad.stderr, /\/clusterID: must be string/, 'the schemas come from inside the executable');
  t.equal(bad.stdout, '');
  t.same(readdirSync(dir).sort(), ['bad.json', 'helper'], 'nothing written');
});
