/**
 * `--dry-run` of `helper apply` and `helper control-plane apply` never
 * persists anything: the bare flag means `server` (it used to be taken for the
 * default `none` and applied for real), `=server` likewise, `=none` applies,
 * and an unknown value is a usage error (exit 2) before any call. Each case
 * runs against a cluster that already holds the objects and a manifest that
 * would change them, so "nothing persisted" is seen as unchanged
 * resourceVersions, and `=none` shows the same check can fail.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import { runCli } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';
import { cpEnv, installStandIns, valuesFile } from '../helpers/control-plane.ts';

const sb = await useSandbox(t);

/** kind/namespace/name resourceVersion of every object a manifest names, as the cluster has them. */
async function resourceVersions(c: Cluster, manifest: string): Promise<string> {
  const r = await kubectl(sb.bin, c.kubeconfig, [
    'get',
    '-f',
    manifest,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\\n"}{end}',
  ]);
  if (r.code !== 0) throw new Error(`kubectl get -f: ${r.stderr}`);
  return r.stdout;
}

t.test('helper apply --dry-run: bare and =server persist nothing, =none applies, unknown is exit 2', async (t) => {
  const dir = t.testdir({});
  const binding = join(dir, 'binding.json');
  writeFileSync(
    binding,
    JSON.stringify({
      clusterID: `dry-${randomBytes(4).toString('hex')}`,
      apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
    }),
  );
  const all = join(dir, 'all.yaml');
  const gen = await runCli(
    ['bootstrap-env', '-f', binding, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait', '--output-file', all],
    { env: sb.env },
  );
  t.equal(gen.code, 0, gen.stderr);
  const app = await extraCluster(t, sb, 'dryrun');
  const first = await runCli(['apply', '-f', all, '--kubeconfig', app.kubeconfig]);
  t.equal(first.code, 0, first.stderr);

  // A manifest that would change the konnector Deployment.
  const changed = join(dir, 'changed.yaml');
  const text = readFileSync(all, 'utf8');
  t.match(text, /konnector:v1\.4\.0/);
  writeFileSync(changed, text.replace('konnector:v1.4.0', 'konnector:v9.9.9'));
  const before = await resourceVersions(app, all);

  for (const flags of [
    ['--dry-run'],
    ['--dry-run=server'],
    ['--dry-run', 'server'],
    ['--dry-run', '--timeout', '2m'],
  ]) {
    const r = await runCli(['apply', '-f', changed, '--kubeconfig', app.kubeconfig, ...flags]);
    t.equal(r.code, 0, `${flags.join(' ')}: ${r.stderr}`);
    t.match(
      r.stdout,
      /^deployment\.apps\/konnector validated \(server dry run\)$/m,
      `${flags.join(' ')} is a server-side dry run`,
    );
    t.equal(await resourceVersions(app, all), before, `${flags.join(' ')}: every resourceVersion unchanged`);
  }
  const bad = await runCli(['apply', '-f', changed, '--kubeconfig', app.kubeconfig, '--dry-run=client']);
  t.equal(bad.code, 2, 'an unknown --dry-run value is a usage error');
  t.match(bad.stderr, /dry-run.*client/s, 'the error names the flag and the value');
  t.equal(await resourceVersions(app, all), before, 'the refused run changed nothing');

  const none = await runCli(['apply', '-f', changed, '--kubeconfig', app.kubeconfig, '--dry-run=none']);
  t.equal(none.code, 0, none.stderr);
  t.notMatch(none.stderr, /dry run/);
  t.not(await resourceVersions(app, all), before, '--dry-run=none applies (the check above can fail)');
  const image = await kubectl(sb.bin, app.kubeconfig, [
    'get',
    'deployment',
    'konnector',
    '-n',
    'klutch-bind',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  t.equal(image.stdout, 'public.ecr.aws/w5n9a2g2/anynines/konnector:v9.9.9');
});

t.test(
  'helper control-plane apply --dry-run: bare and =server persist nothing, =none applies, unknown is exit 2',
  async (t) => {
    const dir = t.testdir({});
    const { file: values } = await valuesFile(dir);
    const cp = await extraCluster(t, sb, 'cpdry');
    await installStandIns(sb, cp);
    const cli = (args: string[]) => runCli(['control-plane', ...args], { env: cpEnv });
    const first = await cli(['apply', '-f', values, '--kubeconfig', cp.kubeconfig]);
    t.equal(first.code, 0, first.stderr);
    const listing = join(dir, 'listing.yaml');
    const ls = await cli([
      'render',
      '-f',
      values,
      '--kubeconfig',
      cp.kubeconfig,
      '--output-file',
      listing,
      '--seed',
      'env:CP_SEED',
    ]);
    t.equal(ls.code, 0, ls.stderr);

    // Values that would change the backend Deployment's arguments.
    const changed = join(dir, 'changed.yaml');
    const text = readFileSync(values, 'utf8');
    t.match(text, /prettyName: anynines/);
    writeFileSync(changed, text.replace('prettyName: anynines', 'prettyName: dry-run-check'));
    const before = await resourceVersions(cp, listing);

    for (const flags of [['--dry-run'], ['--dry-run=server'], ['--dry-run', 'server']]) {
      const r = await cli(['apply', '-f', changed, '--kubeconfig', cp.kubeconfig, ...flags]);
      t.equal(r.code, 0, `${flags.join(' ')}: ${r.stderr}`);
      t.match(r.stderr, /\(dry run\) .*object\(s\) applied/, `${flags.join(' ')} is a server-side dry run`);
      t.equal(await resourceVersions(cp, listing), before, `${flags.join(' ')}: every resourceVersion unchanged`);
    }
    const bad = await cli(['apply', '-f', changed, '--kubeconfig', cp.kubeconfig, '--dry-run=yes']);
    t.equal(bad.code, 2, 'an unknown --dry-run value is a usage error');
    t.match(bad.stderr, /dry-run.*yes/s);
    t.equal(await resourceVersions(cp, listing), before, 'the refused run changed nothing');

    const none = await cli(['apply', '-f', changed, '--kubeconfig', cp.kubeconfig, '--dry-run=none']);
    t.equal(none.code, 0, none.stderr);
    t.not(await resourceVersions(cp, listing), before, '--dry-run=none applies (the check above can fail)');
    const args = await kubectl(sb.bin, cp.kubeconfig, [
      'get',
      'deployment',
      '-n',
      'bind',
      '-o',
      'jsonpath={.items[0].spec.template.spec.containers[0].args}',
    ]);
    t.match(args.stdout, /dry-run-check/);
  },
);
