/**
 * One-pass apply on a brand-new App Cluster: `helper apply` and
 * `bootstrap-env --apply-to` create everything in one run where
 * `kubectl apply -f all.yaml` needs two; re-runs change nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { newAjv } from '../../src/validate/ajv.ts';
import { runCli } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const validate = newAjv().compile(
  JSON.parse(readFileSync(new URL('../../schemas/apply.schema.json', import.meta.url), 'utf8')) as object,
);

function bindingFile(dir: string): string {
  const f = join(dir, 'binding.json');
  writeFileSync(
    f,
    JSON.stringify({
      clusterID: `apply-${randomBytes(4).toString('hex')}`,
      apis: [
        { group: 'anynines.com', resource: 'postgresqlinstances' },
        { group: 'anynines.com', resource: 'servicebindings' },
      ],
    }),
  );
  return f;
}

async function managedFields(kubeconfig: string): Promise<string> {
  const r = await kubectl(sb.bin, kubeconfig, [
    'get',
    'apiservicebindings,secret/kubeconfig,deployment/konnector,namespace/klutch-bind',
    '-n',
    'klutch-bind',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.metadata.resourceVersion}{"\\n"}{end}',
  ]);
  return r.stdout;
}

t.test('helper apply: one pass on a new cluster, dry run persists nothing, re-run changes nothing', async (t) => {
  const dir = t.testdir({});
  const gen = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile(dir),
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--no-wait',
      '-o',
      join(dir, 'all.yaml'),
    ],
    { env: sb.env },
  );
  t.equal(gen.code, 0, gen.stderr);
  const app = await extraCluster(t, sb, 'fresh');

  const dry = await runCli([
    'apply',
    '-f',
    join(dir, 'all.yaml'),
    '--kubeconfig',
    app.kubeconfig,
    '--dry-run',
    'server',
  ]);
  t.equal(dry.code, 0, dry.stderr);
  // Issue 24 #7, #13: kubectl's lines on stdout; the summary does not count what the API server could not validate.
  t.match(
    dry.stdout,
    /^customresourcedefinition\.apiextensions\.k8s\.io\/apiservicebindings\.klutch\.anynines\.com validated \(server dry run\)$/m,
  );
  t.match(dry.stdout, /^deployment\.apps\/konnector not validated \(server dry run: its namespace klutch-bind is new/m);
  t.equal(dry.stdout.split('\n').filter(Boolean).length, 13, 'one stdout line per object');
  t.match(
    dry.stderr,
    /^\(dry run\) 8 object\(s\) validated by the API server, nothing persisted; 5 not validated \(their CRD or namespace is new in this manifest\)$/m,
  );
  t.notMatch(dry.stderr, /object\(s\) applied/);
  const none = await kubectl(sb.bin, app.kubeconfig, ['get', 'crd', '-o', 'name']);
  t.notMatch(none.stdout, /klutch/, 'dry run created no CRD');

  const r = await runCli(['apply', '-f', join(dir, 'all.yaml'), '--kubeconfig', app.kubeconfig]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /5 CRD\(s\) Established/);
  t.match(r.stderr, /^13 object\(s\) applied: 13 created, 0 configured, 0 unchanged$/m);
  t.match(r.stdout, /^namespace\/klutch-bind created\n/, "stdout: kubectl's lines, in the order applied");
  t.match(r.stdout, /^apiservicebinding\.klutch\.anynines\.com\/postgresqlinstances\.anynines\.com created$/m);
  t.notMatch(r.stderr, / created$/m, 'no object line on stderr');
  const bindings = await kubectl(sb.bin, app.kubeconfig, [
    'get',
    'apiservicebindings',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  t.same(
    bindings.stdout.split(' ').sort(),
    ['postgresqlinstances.anynines.com', 'servicebindings.anynines.com'],
    'bindings exist after one pass',
  );

  const before = await managedFields(app.kubeconfig);
  const again = await runCli(['apply', '-f', join(dir, 'all.yaml'), '--kubeconfig', app.kubeconfig]);
  t.equal(again.code, 0, again.stderr);
  t.equal(await managedFields(app.kubeconfig), before, 're-run leaves every object unchanged (same resourceVersions)');
  const json = await runCli(['apply', '-f', join(dir, 'all.yaml'), '--kubeconfig', app.kubeconfig, '-o', 'json']);
  t.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  t.ok(validate(out), JSON.stringify(validate.errors));
  t.same(out.counts, { applied: 13, created: 0, configured: 0, unchanged: 13, validated: 0, notValidated: 0 });
  t.same(out.items[0], { apiVersion: 'v1', kind: 'Namespace', name: 'klutch-bind', outcome: 'unchanged' });

  // Issue 24 #9: no konnector runs here (no kubelet), so --wait-bindings runs out.
  const wait = await runCli([
    'apply',
    '-f',
    join(dir, 'all.yaml'),
    '--kubeconfig',
    app.kubeconfig,
    '--wait-bindings',
    '11s',
  ]);
  t.equal(wait.code, 7, wait.stderr);
  t.equal(wait.stdout.split('\n').filter((l) => l.endsWith(' unchanged')).length, 13, 'stdout: what was applied');
  const still = wait.stderr.split('\n').filter((l) => l.startsWith('still waiting'));
  t.equal(still.length, 2, JSON.stringify(still));
  t.match(still[0], /^still waiting \(5s of 11s\): 2 APIServiceBinding\(s\) to be Ready; last seen: both: /);
  t.match(still[1], /^still waiting \(10s of 11s\): 2 APIServiceBinding\(s\) to be Ready; last seen: same as at 5s$/);
  for (const l of still) t.ok(l.length <= 160, `${l.length} characters`);
  t.match(wait.stderr, /^error: timed out after 11s waiting for APIServiceBinding\(s\) postgresqlinstances/m);
  t.match(
    wait.stderr,
    /^warn: all 13 object\(s\) were applied to (App Cluster|cluster) \S+ before the error; re-running/m,
  );
  t.notMatch(wait.stderr, /the other 0 were not/);
});

t.test('bootstrap-env --apply-to binds and applies in one command', async (t) => {
  const dir = t.testdir({});
  const app = await extraCluster(t, sb, 'applyto');
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile(dir),
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--no-wait',
      '--apply-to',
      app.kubeconfig,
    ],
    { env: sb.env },
  );
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /^13 object\(s\) applied: 13 created, 0 configured, 0 unchanged$/m, 'the same summary as apply');
  t.match(r.stderr, /^deployment\.apps\/konnector created$/m, "each object's line on stderr (stdout is all.yaml)");
  t.match(r.stdout, /^kind: APIServiceBinding$/m);
  const sec = await kubectl(sb.bin, app.kubeconfig, ['get', 'secret', 'kubeconfig', '-n', 'klutch-bind', '-o', 'name']);
  t.equal(sec.stdout.trim(), 'secret/kubeconfig');
  const dep = await kubectl(sb.bin, app.kubeconfig, [
    'get',
    'deployment',
    'konnector',
    '-n',
    'klutch-bind',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  t.equal(dep.stdout, 'public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0');
});

t.test('apply errors: bad manifest exit 3, unreachable cluster exit 6', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'kind: Thing\n---\n: : :\n', 'empty.yaml': '' });
  const bad = await runCli(['apply', '-f', join(dir, 'bad.yaml'), '--kubeconfig', sb.app.kubeconfig]);
  t.equal(bad.code, 3);
  t.match(bad.stderr, /bad\.yaml: document 1 is not a Kubernetes object|bad\.yaml: document 2 is not valid YAML/);
  const empty = await runCli(['apply', '-f', join(dir, 'empty.yaml'), '--kubeconfig', sb.app.kubeconfig]);
  t.equal(empty.code, 3);
  t.match(empty.stderr, /no objects/);
});
