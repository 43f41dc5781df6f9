/**
 * The whole binding on Klutch v1.4.0's own controllers: the example-backend
 * reconciles the control plane, the konnector runs against the App Cluster
 * (a local process authenticated as the ServiceAccount all.yaml creates).
 *
 *   bind (waiting until the example-backend says Succeeded) → create-ns → a
 *   claim and a Secret made early with provider.kfg.yaml → the namespace on
 *   the App Cluster → all.yaml applied → the konnector → bindings Ready, the
 *   bound CRD installed, the early claim and Secret on the App Cluster → a
 *   claim made on the App Cluster reaches the control plane → its status,
 *   set there, comes back.
 *
 * Once with bin/helper and `helper apply`, once with the single executable
 * and the sandbox's `kubectl apply -f all.yaml` applied twice. Then: create-ns
 * while a konnector is connected and the namespace is absent on the App
 * Cluster (the konnector deletes the APIServiceNamespace: exit 10 at once),
 * and the bindings-Ready wait timing out without a konnector.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import { eventually, jsonpathStep } from '../helpers/poll.ts';
import { assertKubectlTwoPasses } from '../helpers/two-pass.ts';
import { repoRoot, runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, konnector, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const executable = resolve(
  repoRoot,
  (JSON.parse(readFileSync(join(repoRoot, 'pkg.config.json'), 'utf8')) as { output: string }).output,
);
const CLAIM = 'postgresqlinstances.anynines.com';

/** `kubectl get -o jsonpath=...` as a poll step: a value once the object exists and the path is non-empty. */
const getter = (kubeconfig: string, args: string[], jsonpath: string) =>
  jsonpathStep(sb.bin, kubeconfig, args, jsonpath);

function claim(name: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name, namespace },
    spec: { service: 'a9s-postgresql13', plan: `plan-${name}` },
  });
}

interface Bound {
  dir: string;
  all: string;
  kfg: string;
  clusterNs: string;
  teamNs: string;
  app: Cluster;
}

/** bind → create-ns → early claim and Secret → the App Cluster with its namespace (nothing applied yet). */
async function bindAndPrepare(t: Test, exe: string | undefined, label: string): Promise<Bound> {
  const dir = t.testdir({});
  const bindingFile = join(dir, 'binding.json');
  writeFileSync(
    bindingFile,
    JSON.stringify({
      clusterID: `${label}-${randomBytes(4).toString('hex')}`,
      apis: [
        { group: 'anynines.com', resource: 'postgresqlinstances' },
        { group: 'anynines.com', resource: 'servicebindings' },
      ],
    }),
  );
  const all = join(dir, 'all.yaml');
  const kfg = join(dir, 'provider.kfg.yaml');
  const bind = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile,
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--write-kubeconfig',
      kfg,
      '--output-file',
      all,
      '--timeout',
      '90s',
    ],
    { env: sb.env, exe },
  );
  t.equal(bind.code, 0, `bootstrap-env: ${bind.stderr}`);
  t.match(
    bind.stderr,
    /all 2 APIServiceExportRequest\(s\) Succeeded/,
    'both export requests Succeeded, set by the example-backend',
  );
  const clusterNs = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  const phases = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-n',
    clusterNs,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
  ]);
  t.same(phases.stdout.trim().split('\n').sort(), [`${CLAIM}=Succeeded`, 'servicebindings.anynines.com=Succeeded']);

  const ns = await runCli(['create-ns', '--kubeconfig', kfg, '-n', 'team-a', '--ca-file', sb.caFile], { exe });
  t.equal(ns.code, 0, `create-ns: ${ns.stderr}`);
  const teamNs = ns.stdout.trim();
  t.equal(teamNs, `${clusterNs}-team-a`, 'create-ns prints the namespace the example-backend made');
  t.equal(ns.stdout, `${teamNs}\n`, 'stdout carries only the name');

  // The seed's "prepare before the cluster exists": a claim and a Secret made with provider.kfg.yaml.
  const early = await kubectl(sb.bin, kfg, ['create', '-f', '-'], claim('early', teamNs));
  t.equal(early.code, 0, `early claim with provider.kfg.yaml: ${early.stderr}`);
  const secret = await kubectl(sb.bin, kfg, [
    'create',
    'secret',
    'generic',
    'early-creds',
    '-n',
    teamNs,
    '--from-literal=user=early',
  ]);
  t.equal(secret.code, 0, `early Secret with provider.kfg.yaml: ${secret.stderr}`);

  const app = await extraCluster(t, sb, label);
  // Before the konnector starts, or it deletes the APIServiceNamespace (pitfall 8).
  const mk = await kubectl(sb.bin, app.kubeconfig, ['create', 'namespace', 'team-a']);
  t.equal(mk.code, 0, mk.stderr);
  return { dir, all, kfg, clusterNs, teamNs, app };
}

/** The konnector's part: bound CRD, the early claim and Secret adopted, a new claim synced up, its status synced down.
 * */
async function assertRoundTrip(t: Test, b: Bound): Promise<void> {
  const crd = await eventually(
    t,
    `CRD ${CLAIM} on the App Cluster`,
    60_000,
    getter(b.app.kubeconfig, ['crd', CLAIM], '{.metadata.name}'),
  );
  t.equal(crd, CLAIM, 'the konnector installed the bound CRD');
  const ready = await eventually(t, 'both APIServiceBindings Ready', 60_000, async () => {
    const r = await kubectl(sb.bin, b.app.kubeconfig, [
      'get',
      'apiservicebindings',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    const lines = r.stdout.trim().split('\n').filter(Boolean).sort();
    return lines.length === 2 && lines.every((l) => l.endsWith('=True'))
      ? { value: lines, seen: r.stdout }
      : { seen: r.stdout || r.stderr };
  });
  t.same(ready, [`${CLAIM}=True`, 'servicebindings.anynines.com=True']);

  t.ok(
    await eventually(
      t,
      'the early claim on the App Cluster',
      60_000,
      getter(b.app.kubeconfig, ['postgresqlinstances.anynines.com', 'early', '-n', 'team-a'], '{.spec.plan}'),
    ),
    'the claim made with provider.kfg.yaml is on the App Cluster',
  );
  const creds = await eventually(
    t,
    'the early Secret on the App Cluster',
    60_000,
    getter(b.app.kubeconfig, ['secret', 'early-creds', '-n', 'team-a'], '{.data.user}'),
  );
  t.equal(
    creds && Buffer.from(creds, 'base64').toString(),
    'early',
    'the Secret made with provider.kfg.yaml is on the App Cluster',
  );

  const late = await kubectl(sb.bin, b.app.kubeconfig, ['create', '-f', '-'], claim('late', 'team-a'));
  t.equal(late.code, 0, late.stderr);
  const up = await eventually(
    t,
    "the App Cluster's claim on the control plane",
    60_000,
    getter(sb.controlPlane.kubeconfig, ['postgresqlinstances.anynines.com', 'late', '-n', b.teamNs], '{.spec.plan}'),
  );
  t.equal(up, 'plan-late', `the claim reached ${b.teamNs} on the control plane`);
  // What Crossplane would report for the claim; the sandbox has no Crossplane.
  const st = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'patch',
    'postgresqlinstances.anynines.com',
    'late',
    '-n',
    b.teamNs,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Available', lastTransitionTime: new Date().toISOString() },
        ],
      },
    }),
  ]);
  t.equal(st.code, 0, st.stderr);
  const down = await eventually(
    t,
    "the claim's status back on the App Cluster",
    60_000,
    getter(
      b.app.kubeconfig,
      ['postgresqlinstances.anynines.com', 'late', '-n', 'team-a'],
      '{.status.conditions[0].reason}',
    ),
  );
  t.equal(down, 'Available', 'the status set on the control plane came back');
}

t.test('bin/helper: bind, create-ns, early claim, helper apply, konnector, claims both ways', async (t) => {
  const b = await bindAndPrepare(t, undefined, 'rt-src');
  const applied = await runCli(['apply', '-f', b.all, '--kubeconfig', b.app.kubeconfig]);
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stderr, /object\(s\) applied/, 'one pass');
  const k = await konnector(t, sb, b.app);
  // The bindings-Ready wait, with the konnector running: re-applying is a no-op, then the wait ends.
  const waited = await runCli(['apply', '-f', b.all, '--kubeconfig', b.app.kubeconfig, '--wait-bindings', '90s']);
  t.equal(waited.code, 0, waited.stderr);
  t.match(waited.stderr, /all 2 APIServiceBinding\(s\) Ready on the App Cluster/);
  await assertRoundTrip(t, b);

  const version = await eventually(
    t,
    "the konnector's version in the ClusterBinding",
    60_000,
    getter(
      sb.controlPlane.kubeconfig,
      ['clusterbindings.klutch.anynines.com', 'cluster', '-n', b.clusterNs],
      '{.status.konnectorVersion}',
    ),
  );
  t.equal(version, 'v1.4.0', 'the konnector reports v1.4.0');

  t.test(
    'create-ns while the konnector runs and the namespace is absent on the App Cluster: exit 10 at once',
    async (t) => {
      const r = await runCli([
        'create-ns',
        '--kubeconfig',
        b.kfg,
        '-n',
        'not-on-app',
        '--ca-file',
        sb.caFile,
        '--timeout',
        '60s',
      ]);
      t.equal(r.code, 10, r.stderr);
      t.ok(r.ms < 30_000, `ended in ${r.ms} ms, long before the 60 s timeout`);
      t.match(
        r.stderr,
        /a konnector v1\.4\.0 is connected to this binding \(ClusterBinding \S+\/cluster heartbeat \d+\w* ago\)/,
        'warned before creating',
      );
      t.match(
        r.stderr,
        /error: APIServiceNamespace \S+\/not-on-app was deleted \(or is being deleted\) while helper waited: the App Cluster's konnector \(connected to this binding\) deletes it because namespace "not-on-app" does not exist on the App Cluster/,
      );
      t.match(
        r.stderr,
        /hint: create namespace "not-on-app" on the App Cluster \(kubectl create namespace not-on-app\)/,
      );
      t.equal(r.stdout, '', 'nothing on stdout');
      // konnector v1.4.0 dereferences nil (multinsinformer/informer.go:170) when
      // an APIServiceNamespace whose status.namespace was set disappears, so it
      // may have died here; its Deployment would restart it: so does the test.
      await new Promise((res) => setTimeout(res, 3000));
      const crashed = k.proc.child.exitCode !== null || k.proc.child.signalCode !== null;
      t.comment(
        `konnector ` +
          `${crashed ? 'crashed after the deletion (upstream v1.4.0 bug); restarting it' : 'survived the deletion; restarting it anyway'}`,
      );
      await k.stop();
      await konnector(t, sb, b.app);
      // The fix the message gives works: create the namespace on the App Cluster and the konnector makes the
      // APIServiceNamespace itself.
      t.equal((await kubectl(sb.bin, b.app.kubeconfig, ['create', 'namespace', 'not-on-app'])).code, 0);
      await konnectorMadeNamespace(t, b, 'not-on-app');
    },
  );
});

/** After `kubectl create namespace NAME` on the App Cluster, the konnector creates the APIServiceNamespace once a bound
 * object is in it. */
async function konnectorMadeNamespace(t: Test, b: Bound, name: string): Promise<void> {
  const c = await kubectl(sb.bin, b.app.kubeconfig, ['create', '-f', '-'], claim(`in-${name}`, name));
  t.equal(c.code, 0, c.stderr);
  const status = await eventually(
    t,
    `APIServiceNamespace ${name} made by the konnector`,
    60_000,
    getter(
      sb.controlPlane.kubeconfig,
      ['apiservicenamespaces.klutch.anynines.com', name, '-n', b.clusterNs],
      '{.status.namespace}',
    ),
  );
  t.equal(status, `${b.clusterNs}-${name}`);
}

t.test(
  'single executable: bind, create-ns, early claim, kubectl apply twice, konnector, claims both ways',
  { skip: existsSync(executable) ? false : `${executable} is not built (npm run build:binary)` },
  async (t) => {
    const b = await bindAndPrepare(t, executable, 'rt-exe');
    const bindings = parseAllDocuments(readFileSync(b.all, 'utf8'))
      .map((d) => d.toJS() as { kind: string; metadata: { name: string } })
      .filter((d) => d?.kind === 'APIServiceBinding')
      .map((d) => d.metadata.name)
      .sort();
    t.equal(bindings.length, 2);
    await assertKubectlTwoPasses(t, sb.bin, b.app.kubeconfig, b.all, bindings);
    await konnector(t, sb, b.app);
    await assertRoundTrip(t, b);
  },
);

t.test('--wait-bindings without a konnector times out naming each binding and its state (exit 7)', async (t) => {
  const dir = t.testdir({});
  const bindingFile = join(dir, 'binding.json');
  writeFileSync(
    bindingFile,
    JSON.stringify({
      clusterID: `noknk-${randomBytes(4).toString('hex')}`,
      apis: [
        { group: 'anynines.com', resource: 'postgresqlinstances' },
        { group: 'anynines.com', resource: 'servicebindings' },
      ],
    }),
  );
  const app = await extraCluster(t, sb, 'noknk');
  const r: CliResult = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile,
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--apply-to',
      app.kubeconfig,
      '--wait-bindings',
      '4s',
    ],
    { env: sb.env },
  );
  t.equal(r.code, 7, r.stderr);
  t.match(
    r.stderr,
    /timed out after \d+s waiting for APIServiceBinding\(s\) postgresqlinstances\.anynines\.com, servicebindings\.anynines\.com to be Ready on the App Cluster/,
  );
  t.match(
    r.stderr,
    // Both bindings are in the same state: it is said once for both (issue 24, finding 9).
    /last seen: both: no conditions yet \(is the konnector running on the App Cluster\?\)/,
  );
  t.equal(r.stdout, '', 'no all.yaml printed on failure');
  const usage = await runCli(['bootstrap-env', '-f', bindingFile, '-u', sb.bindUrl, '--wait-bindings'], {
    env: sb.env,
  });
  t.equal(usage.code, 2, '--wait-bindings without --apply-to is a usage error');
  t.match(usage.stderr, /--wait-bindings waits on the App Cluster of --apply-to/);
});
