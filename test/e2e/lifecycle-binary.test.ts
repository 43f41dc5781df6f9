/**
 * status and unbind in the single executable (pkg.config.json's output,
 * built by `npm run build:binary`, which `npm test` runs first), run from a
 * copy in an empty directory: --help with examples, the exit codes, and a
 * status and an unbind against a binding on the sandbox's example-backend.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const built = resolve(
  repoRoot,
  (JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as { output: string }).output,
);

if (!existsSync(built)) {
  t.fail(`${built} does not exist: build it with "npm run build:binary" (npm test does that before running the tests)`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'helper-lifecycle-binary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'helper');
  copyFileSync(built, exe);
  const run = (args: string[], env?: Record<string, string>) =>
    runCli(args, { exe, cwd: dir, ...(env ? { env } : {}) });
  const sb = await useSandbox(t);

  t.test('--help of both verbs, with examples and exit codes', async (t) => {
    const root = await run(['--help']);
    t.equal(root.code, 0, root.stderr);
    t.match(root.stdout, /helper status +Report the health of a binding/);
    t.match(root.stdout, /helper unbind +Take a binding apart/);
    const s = await run(['status', '--help']);
    t.equal(s.code, 0, s.stderr);
    t.match(s.stdout, /--app-kubeconfig/);
    // (yargs wraps the examples into two columns: each piece is matched on its own.)
    t.match(s.stdout, /\nExamples:\n +helper status --kubeconfig provider\.kfg\.yaml/);
    t.match(s.stdout, /jq \.verdict/);
    t.match(
      s.stdout.replace(/\s+/g, ' '),
      /Exit codes: 0 ok \(every item ok\), 2 usage, 3 input, 6 cluster \(.*\), 7 timeout, 11 degraded, 12 missing, 130\/143 interrupted/,
    );
    const u = await run(['unbind', '--help']);
    t.equal(u.code, 0, u.stderr);
    for (const flag of ['--purge', '--yes', '--dry-run', '--timeout', '--app-kubeconfig']) t.match(u.stdout, flag);
    t.match(u.stdout, /\nExamples:\n +helper unbind --kubeconfig provider\.kfg\.yaml/);
    t.match(u.stdout, /--purge --dry-run +changing nothing/);
    t.match(
      u.stdout.replace(/\s+/g, ' '),
      /Exit codes: 0 ok \(also: nothing to do\), 2 usage \(also: --purge without --yes/,
    );
  });

  t.test('status and unbind of a binding, from the executable', async (t) => {
    const file = join(dir, 'binding.json');
    writeFileSync(
      file,
      JSON.stringify({
        clusterID: `lbin-${randomBytes(4).toString('hex')}`,
        apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
      }),
    );
    const kfg = join(dir, 'provider.kfg.yaml');
    const b = await run(
      [
        'bootstrap-env',
        '-f',
        file,
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--write-kubeconfig',
        kfg,
        '--timeout',
        '90s',
      ],
      sb.env,
    );
    t.equal(b.code, 0, b.stderr);
    const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
    const s = await run(['status', '--kubeconfig', kfg, '--ca-file', sb.caFile, '-o', 'json']);
    t.equal(s.code, 0, s.stderr);
    t.match(JSON.parse(s.stdout), {
      schemaVersion: 1,
      kind: 'BindingStatus',
      verdict: 'ok',
      clusterNamespace: ns,
      appCluster: null,
    });
    const dry = await run(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile, '--dry-run']);
    t.equal(dry.code, 0, dry.stderr);
    t.match(
      dry.stdout,
      new RegExp(
        `^would-delete +control-plane +APIServiceExportRequest +${ns}/postgresqlinstances\\.anynines\\.com`,
        'm',
      ),
    );
    const u = await run(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile]);
    t.equal(u.code, 0, u.stderr);
    t.match(
      u.stdout,
      new RegExp(`^deleted +control-plane +APIServiceExportRequest +${ns}/postgresqlinstances\\.anynines\\.com`, 'm'),
    );
    t.equal(
      (
        await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
          'get',
          'apiserviceexportrequests.klutch.anynines.com',
          '-n',
          ns,
          '-o',
          'name',
        ])
      ).stdout.trim(),
      '',
      'the export request is gone',
    );
    const again = await run(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile]);
    t.equal(again.code, 0, again.stderr);
    t.match(again.stdout, /nothing to do: the binding is already unbound/);
    const purge = await run(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile, '--purge']);
    t.equal(purge.code, 2, 'no --yes, no terminal');
  });
}
