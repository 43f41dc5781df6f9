/**
 * The single executable (pkg.config.json's output, built by `npm run build:binary`, which
 * `npm test` runs first) binds end to end on the sandbox. It runs from a copy in an empty
 * temp directory, so nothing of the checkout (schemas/, package.json, node_modules) can
 * stand in for what must be inside the executable. This test builds nothing itself.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../sandbox/cluster.ts';
import { jwtsIn, repoRoot, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox, type TestSandbox } from '../helpers/sandbox.ts';

const config = JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as { output: string };
const built = resolve(repoRoot, config.output);

if (!existsSync(built)) {
  t.fail(`${config.output} does not exist: build it with "npm run build:binary" (npm test does that before running the tests)`);
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
  const sb: TestSandbox = await useSandbox(t);
  const run = (args: string[], opts: Parameters<typeof runCli>[1] = {}): Promise<CliResult> => runCli(args, { cwd: dir, ...opts });

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
    writeFileSync(join(dir, 'binding.json'), JSON.stringify({ clusterID, apis: apis.map((resource) => ({ group: 'anynines.com', resource })) }));
    const kfg = join(dir, 'provider.kfg.yaml');
    // Klutch's example-backend in the sandbox turns the requests Succeeded.
    let clusterNs: string | undefined;
    const r = await run(['bootstrap-env', '-f', 'binding.json', '-u', sb.bindUrl, '--ca-file', sb.caFile, '--write-kubeconfig', kfg, '--timeout', '60s'], {
      env: sb.env,
      onStderr: (text) => { clusterNs ??= /bound to cluster namespace (\S+)/.exec(text)?.[1]; },
    });
    t.match(r.stderr, /all 2 APIServiceExportRequest\(s\) Succeeded/, 'helper waited until the example-backend reported Succeeded');
    t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
    t.same(jwtsIn(r.stderr), [], 'no token on stderr');
    t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'client secret not on stderr');

    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null).filter((d) => d !== null);
    const kinds = docs.map((d) => d.kind);
    t.equal(kinds[0], 'Namespace');
    t.same(kinds.slice(1, 6), Array(5).fill('CustomResourceDefinition'), 'the five klutch CRDs right after the namespace');
    t.same(docs.filter((d) => d.kind === 'APIServiceBinding').map((d) => d.metadata?.name).sort(), apis.map((a) => `${a}.anynines.com`));
    t.ok(kinds.lastIndexOf('APIServiceBinding') === kinds.length - 1 && kinds.indexOf('APIServiceBinding') > kinds.indexOf('Deployment'), 'APIServiceBindings come last');

    t.equal(statSync(kfg).mode & 0o777, 0o600, 'kubeconfig mode 0600');
    const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))?.[1];
    t.ok(ns, 'the kubeconfig names the cluster namespace');
    t.equal(ns, clusterNs, 'the namespace helper reported');
    const ers = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['get', 'apiserviceexportrequests.klutch.anynines.com', '-n', ns!, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}']);
    t.same(ers.stdout.split('\n').filter(Boolean).sort(), apis.map((a) => `${a}.anynines.com=Succeeded`));
  });
}
