/**
 * status and unbind on Klutch v1.4.0's own controllers (the sandbox's
 * example-backend on the control plane, the real konnector against an App
 * Cluster), in the order a binding lives:
 *
 *   bind + create-ns + a claim → status with the provider kubeconfig only
 *   (no App Cluster yet) → App Cluster, all.yaml, konnector → status healthy
 *   → an export request Failed → konnector stopped, heartbeat aged → unbind
 *   --dry-run (nothing changes, same set) → unbind (claims kept, listed) →
 *   second unbind (nothing to do) → re-bind onto a new App Cluster (the kept
 *   claims appear there) → unbind --purge without --yes refused → --purge
 *   --dry-run → --purge --yes (claims and APIServiceNamespaces gone; a second
 *   binding untouched and healthy).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { newAjv } from '../../src/validate/ajv.ts';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import type { Konnector } from '../sandbox/klutch.ts';
import { FAILING_APIS } from '../sandbox/sandbox.ts';
import { eventually } from '../helpers/poll.ts';
import { jwtsIn, repoRoot, runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, konnector, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
// The App Clusters outlive the subtest that starts them.
const root = t;
const CLAIM = 'postgresqlinstances.anynines.com';
const KLUTCH = 'klutch.anynines.com';
const validate = newAjv().compile(
  JSON.parse(readFileSync(join(repoRoot, 'schemas', 'status.schema.json'), 'utf8')) as object,
);

const dir = t.testdir({});

async function get(kubeconfig: string, args: string[], jsonpath: string): Promise<string> {
  const r = await kubectl(sb.bin, kubeconfig, ['get', ...args, '-o', `jsonpath=${jsonpath}`]);
  return r.code === 0 ? r.stdout.trim() : `error: ${r.stderr.trim()}`;
}

function claim(name: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name, namespace },
    spec: { plan: `plan-${name}` },
  });
}

interface Binding {
  bindingFile: string;
  kfg: string;
  all: string;
  clusterNs: string;
  teamNs: string;
}

async function bind(label: string): Promise<Binding> {
  const bindingFile = join(dir, `${label}.binding.json`);
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
  const kfg = join(dir, `${label}.kfg.yaml`);
  const all = join(dir, `${label}.all.yaml`);
  const r = await runCli(
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
      '-o',
      all,
      '--timeout',
      '90s',
    ],
    { env: sb.env },
  );
  if (r.code !== 0) throw new Error(`bootstrap-env ${label}: ${r.stderr}`);
  const clusterNs = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  const ns = await runCli(['create-ns', '--kubeconfig', kfg, '-n', 'team-a', '--ca-file', sb.caFile]);
  if (ns.code !== 0) throw new Error(`create-ns ${label}: ${ns.stderr}`);
  const teamNs = ns.stdout.trim();
  const c = await kubectl(sb.bin, kfg, ['create', '-f', '-'], claim('early', teamNs));
  if (c.code !== 0) throw new Error(`claim ${label}: ${c.stderr}`);
  return { bindingFile, kfg, all, clusterNs, teamNs };
}

function status(b: Binding, app?: string, extra: string[] = []): Promise<CliResult> {
  return runCli([
    'status',
    '--kubeconfig',
    b.kfg,
    ...(app ? ['--app-kubeconfig', app] : []),
    '--ca-file',
    sb.caFile,
    ...extra,
  ]);
}

function unbind(b: Binding, app: string | undefined, extra: string[] = []): Promise<CliResult> {
  return runCli([
    'unbind',
    '--kubeconfig',
    b.kfg,
    ...(app ? ['--app-kubeconfig', app] : []),
    '--ca-file',
    sb.caFile,
    ...extra,
  ]);
}

interface Report {
  verdict: string;
  appCluster: unknown;
  items: Array<{ side: string; kind: string; name: string; namespace?: string; verdict: string; message: string }>;
}
interface UnbindJson {
  nothingToDo: boolean;
  items: Array<{ side: string; kind: string; name: string; namespace?: string; result: string; op: string }>;
}

const setOf = (r: UnbindJson, ...results: string[]) =>
  r.items
    .filter((a) => results.includes(a.result))
    .map((a) => `${a.side} ${a.kind} ${a.namespace ?? ''}/${a.name}`)
    .sort();

/** kind/namespace/name@resourceVersion of everything unbind could touch, on both clusters. */
async function versions(b: Binding, app: string): Promise<string[]> {
  const line =
    '{range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}@{.metadata.resourceVersion}{"\\n"}{end}';
  const out: string[] = [];
  const cp = [
    `apiserviceexportrequests.${KLUTCH}`,
    `apiservicenamespaces.${KLUTCH}`,
    `apiserviceexports.${KLUTCH}`,
  ].join(',');
  out.push(await get(sb.controlPlane.kubeconfig, [cp, '-n', b.clusterNs], line));
  out.push(await get(sb.controlPlane.kubeconfig, [CLAIM, '-n', b.teamNs], line));
  out.push(
    await get(
      sb.controlPlane.kubeconfig,
      ['namespace', b.clusterNs, b.teamNs],
      '{range .items[*]}{.metadata.name}@{.metadata.resourceVersion}{"\\n"}{end}',
    ),
  );
  out.push(await get(app, ['deployments,serviceaccounts,secrets', '-n', 'klutch-bind'], line));
  out.push(await get(app, [`apiservicebindings.${KLUTCH}`, 'clusterroles,clusterrolebindings'], line));
  out.push(await get(app, [CLAIM, '-A'], line));
  return out
    .join('\n')
    .split('\n')
    .filter(
      (l) =>
        l &&
        !/ClusterRole(Binding)?\/\/system:|ClusterRole(Binding)?\/\/(admin|edit|view|cluster-admin)$/.test(
          l.split('@')[0]!,
        ),
    )
    .sort();
}

// Binding B: a second binding in the same sandbox that A's purge must leave alone.
const other = await bind('life-b');
const otherBefore = await get(
  sb.controlPlane.kubeconfig,
  [CLAIM, 'early', '-n', other.teamNs],
  '{.metadata.resourceVersion}',
);

const a = await bind('life-a');
let app1: Cluster;
let k1: Konnector | undefined;

t.test('status with only the provider kubeconfig (no App Cluster yet): the control-plane half, exit 0', async (t) => {
  const r = await status(a, undefined, ['-o', 'json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as Report;
  t.ok(validate(rep), JSON.stringify(validate.errors));
  t.equal(rep.verdict, 'ok');
  t.equal(rep.appCluster, null);
  t.same(
    rep.items.filter((i) => i.side !== 'control-plane'),
    [],
    'no App Cluster item',
  );
  t.same(
    rep.items.filter((i) => i.verdict !== 'ok'),
    [],
    'every item ok',
  );
  t.match(rep.items.find((i) => i.kind === 'ClusterBinding')!.message, /no heartbeat yet/);
  t.match(rep.items.find((i) => i.kind === 'Claims' && i.name === CLAIM)!, {
    namespace: a.teamNs,
    message: '1 PostgresqlInstance',
  });
  t.match(
    rep.items.find((i) => i.kind === 'Credential')!.message,
    new RegExp(`token of system:serviceaccount:${a.clusterNs}:klutch-binder`),
  );
  t.same(jwtsIn(r.stdout + r.stderr), [], 'no token in the output');
});

t.test('healthy on the real konnector: exit 0, every item ok, JSON matches the schema', async (t) => {
  app1 = await extraCluster(root, sb, 'life1');
  t.equal((await kubectl(sb.bin, app1.kubeconfig, ['create', 'namespace', 'team-a'])).code, 0);
  const ap = await runCli(['apply', '-f', a.all, '--kubeconfig', app1.kubeconfig]);
  t.equal(ap.code, 0, ap.stderr);
  // Stopped at the end of this test (its teardown), as the next tests need.
  k1 = await konnector(t, sb, app1);
  const w = await runCli(['apply', '-f', a.all, '--kubeconfig', app1.kubeconfig, '--wait-bindings', '90s']);
  t.equal(w.code, 0, w.stderr);
  await eventually(t, 'the early claim on the App Cluster', 60_000, async () => {
    const v = await get(app1.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.spec.plan}');
    return v === 'plan-early' ? { value: v, seen: v } : { seen: v };
  });
  // The konnector creates the bound CRDs, then marks the bindings Ready; status reads them all.
  const ok = await eventually(t, 'status exit 0', 60_000, async () => {
    const r = await status(a, app1.kubeconfig, ['-o', 'json']);
    return r.code === 0 ? { value: r, seen: '' } : { seen: `exit ${r.code}: ${r.stderr}` };
  });
  if (!ok) return;
  const rep = JSON.parse(ok.stdout) as Report;
  t.ok(validate(rep), JSON.stringify(validate.errors));
  t.equal(rep.verdict, 'ok');
  t.same(
    rep.items.filter((i) => i.verdict !== 'ok'),
    [],
    'every item ok',
  );
  const kinds = [...new Set(rep.items.map((i) => i.kind))].sort();
  t.same(
    kinds,
    [
      'APIServiceBinding',
      'APIServiceExport',
      'APIServiceExportRequest',
      'APIServiceNamespace',
      'Claims',
      'ClusterBinding',
      'Credential',
      'CustomResourceDefinition',
      'Deployment',
      'Lease',
      'Namespace',
      'Secret',
    ].sort(),
    'both halves reported',
  );
  t.match(
    rep.items.find((i) => i.kind === 'ClusterBinding')!.message,
    /last heartbeat \d+s ago, within twice the interval 5m; konnector v1\.4\.0/,
  );
  t.match(
    rep.items.find((i) => i.kind === 'Deployment')!.message,
    /^0 of 2 replica\(s\) ready; image /,
    'no kubelet: 0 ready, not degraded (the Lease says a konnector runs)',
  );
  t.match(rep.items.find((i) => i.kind === 'Lease')!.message, /^held by \S+, renewed \d+s ago \(within \d+s\)/);
  t.notMatch(ok.stdout, /konnector is connected/, 'no connection asserted');
  const text = await status(a, app1.kubeconfig);
  t.equal(text.code, 0, text.stderr);
  t.comment(`status of both halves: ${text.ms} ms (${rep.items.length} items)`);
  t.match(text.stdout, /\nverdict: ok\n$/);
  t.same(jwtsIn(text.stdout + text.stderr), []);
});

t.test(
  'an export request Failed (the example-backend, after a minute without CRD): degraded, naming it (exit 11)',
  async (t) => {
    const name = `${FAILING_APIS[0]}.anynines.com`;
    const req = JSON.stringify({
      apiVersion: `${KLUTCH}/v1alpha1`,
      kind: 'APIServiceExportRequest',
      metadata: { name },
      spec: { resources: [{ group: 'anynines.com', resource: FAILING_APIS[0] }] },
    });
    t.equal((await kubectl(sb.bin, a.kfg, ['create', '-f', '-'], req)).code, 0);
    // v1.4.0's example-backend fails a CRDNotFound request on the first reconcile
    // after a minute, but does not requeue it: an update (any label) brings that
    // reconcile, as the informer's periodic resync would, only later.
    await new Promise((res) => setTimeout(res, 62_000));
    t.equal((await kubectl(sb.bin, a.kfg, ['label', `apiserviceexportrequests.${KLUTCH}`, name, 'nudge=1'])).code, 0);
    await eventually(t, `${name} Failed`, 60_000, async () => {
      const p = await get(
        sb.controlPlane.kubeconfig,
        [`apiserviceexportrequests.${KLUTCH}`, name, '-n', a.clusterNs],
        '{.status.phase}',
      );
      return p === 'Failed' ? { value: p, seen: p } : { seen: p };
    });
    const r = await status(a, app1.kubeconfig);
    t.equal(r.code, 11, r.stderr);
    t.match(
      r.stdout,
      new RegExp(
        `^degraded +control-plane +APIServiceExportRequest +${a.clusterNs}/${name.replace(/\./g, '\\.')}` +
          `\\s+Failed: \\S`,
        'm',
      ),
    );
    t.match(
      r.stderr,
      new RegExp(
        `error: binding ${a.clusterNs} is degraded: APIServiceExportRequest ${a.clusterNs}/` +
          `${name.replace(/\./g, '\\.')}`,
      ),
    );
    t.equal((await kubectl(sb.bin, a.kfg, ['delete', `apiserviceexportrequests.${KLUTCH}`, name])).code, 0);
  },
);

t.test('konnector stopped, heartbeat aged past twice the interval: degraded, naming the age (exit 11)', async (t) => {
  // The real konnector would need 10 minutes without heartbeats; the admin
  // moves lastHeartbeatTime 11 minutes back instead (the status subresource).
  await k1?.stop();
  const old = new Date(Date.now() - 11 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const p = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'patch',
    `clusterbindings.${KLUTCH}`,
    'cluster',
    '-n',
    a.clusterNs,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { lastHeartbeatTime: old } }),
  ]);
  t.equal(p.code, 0, p.stderr);
  const r = await status(a, app1.kubeconfig, ['-o', 'json']);
  t.equal(r.code, 11, r.stderr);
  const rep = JSON.parse(r.stdout) as Report;
  t.ok(validate(rep), JSON.stringify(validate.errors));
  t.equal(rep.verdict, 'degraded');
  t.match(rep.items.find((i) => i.kind === 'ClusterBinding')!, {
    verdict: 'degraded',
    message: /^last heartbeat 11m\d*s? ago, more than twice the interval 5m: no konnector has reported since/,
  });
  t.match(r.stderr, new RegExp(`is degraded: .*ClusterBinding ${a.clusterNs}/cluster`));
});

t.test(
  'unbind --dry-run changes nothing and lists what the real unbind then deletes; the real unbind keeps and ' +
    'lists the claims',
  async (t) => {
    const before = await versions(a, app1.kubeconfig);
    const dry = await unbind(a, app1.kubeconfig, ['--dry-run', '-o', 'json']);
    t.equal(dry.code, 0, dry.stderr);
    t.same(await versions(a, app1.kubeconfig), before, 'every resourceVersion unchanged');
    const dryJson = JSON.parse(dry.stdout) as UnbindJson;
    t.ok(setOf(dryJson, 'would delete').length >= 8, `${setOf(dryJson, 'would delete').length} deletions planned`);

    const real = await unbind(a, app1.kubeconfig, ['-o', 'json']);
    t.equal(real.code, 0, real.stderr);
    t.comment(`dry run: ${dry.ms} ms; unbind: ${real.ms} ms`);
    const realJson = JSON.parse(real.stdout) as UnbindJson;
    t.same(setOf(realJson, 'deleted'), setOf(dryJson, 'would delete'), 'the dry run listed exactly what was deleted');
    t.same(setOf(realJson, 'unmarked'), setOf(dryJson, 'would unmark'), 'and exactly what was unmarked');

    // The App Cluster: no konnector, bindings or Secret; the bound CRD and the claims in it stay.
    // (Kubernetes itself keeps a ServiceAccount "default" in every namespace.)
    t.equal(
      await get(
        app1.kubeconfig,
        ['deployments,serviceaccounts,secrets', '-n', 'klutch-bind', '--field-selector', 'metadata.name!=default'],
        '{.items[*].metadata.name}',
      ),
      '',
      'klutch-bind holds no konnector Deployment, ServiceAccount or Secret',
    );
    t.equal(
      await get(app1.kubeconfig, [`apiservicebindings.${KLUTCH}`], '{.items[*].metadata.name}'),
      '',
      'no APIServiceBinding',
    );
    t.match(
      await get(app1.kubeconfig, ['clusterrole,clusterrolebinding', '-l', 'x!=y'], '{.items[*].metadata.name}'),
      /^(?!.*klutch-bind-konnector)/,
      'no konnector RBAC',
    );
    t.equal(
      await get(app1.kubeconfig, ['crd', CLAIM], '{.metadata.name}'),
      CLAIM,
      'the bound CRD stays (deleting it would delete its objects)',
    );
    t.equal(await get(app1.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.metadata.name}'), 'early');

    // The control plane: export requests gone; claims, APIServiceNamespace, exports kept.
    t.equal(
      await get(
        sb.controlPlane.kubeconfig,
        [`apiserviceexportrequests.${KLUTCH}`, '-n', a.clusterNs],
        '{.items[*].metadata.name}',
      ),
      '',
    );
    t.equal(
      await get(sb.controlPlane.kubeconfig, [CLAIM, 'early', '-n', a.teamNs], '{.metadata.name}'),
      'early',
      'the claim stays on the control plane',
    );
    t.equal(
      await get(
        sb.controlPlane.kubeconfig,
        [CLAIM, 'early', '-n', a.teamNs],
        '{.metadata.annotations.klutch\\.anynines\\.com/bound}',
      ),
      '',
      'unmarked, so a re-bind adopts it',
    );
    t.equal(
      await get(
        sb.controlPlane.kubeconfig,
        [`apiservicenamespaces.${KLUTCH}`, 'team-a', '-n', a.clusterNs],
        '{.status.namespace}',
      ),
      a.teamNs,
    );
    const text = await unbind(a, app1.kubeconfig);
    t.equal(text.code, 0, text.stderr);
    t.match(
      text.stdout,
      new RegExp(`^kept +control-plane +PostgresqlInstance +${a.teamNs}/early`, 'm'),
      'the kept claim is listed',
    );
    t.match(
      text.stderr,
      new RegExp(
        `^hint: 1 claim\\(s\\) stay on the control plane .*\`helper unbind --kubeconfig ` +
          `${a.kfg.replace(/[.]/g, '\\.')} --purge --yes\``,
        'm',
      ),
      'with the command that would delete it (a hint: on stderr, after the report)',
    );
    t.notMatch(text.stdout, /^hint:/m, 'the report alone on stdout');
    t.match(text.stdout, /\nnothing to do: the binding is already unbound/, 'the second run is a no-op');
    t.same(await versions(a, app1.kubeconfig), await versions(a, app1.kubeconfig));
  },
);

t.test('a second unbind is a no-op: exit 0, nothing changed', async (t) => {
  const before = await versions(a, app1.kubeconfig);
  const r = await unbind(a, app1.kubeconfig, ['-o', 'json']);
  t.equal(r.code, 0, r.stderr);
  t.ok((JSON.parse(r.stdout) as UnbindJson).nothingToDo);
  t.same(await versions(a, app1.kubeconfig), before);
});

t.test(
  're-binding the same App Cluster: after unbind --delete-crds it converges (bound CRDs made again, the kept ' +
    'claim back)',
  async (t) => {
    // The other way to re-bind the same App Cluster, when its copies of the claims may go: --delete-crds.
    // (Without it, helper apply hands the kept CRDs back to the new bindings: test/e2e/truth-lifecycle.test.ts.)
    const del = await unbind(a, app1.kubeconfig, ['--delete-crds', '-o', 'json']);
    t.equal(del.code, 0, del.stderr);
    t.ok(
      setOf(JSON.parse(del.stdout) as UnbindJson, 'deleted').includes(`app-cluster CustomResourceDefinition /${CLAIM}`),
      'the bound CRD deleted',
    );
    t.match(
      await get(app1.kubeconfig, ['crd', CLAIM], '{.metadata.name}'),
      /^error: .*NotFound/,
      'gone from the App Cluster',
    );
    t.equal(
      await get(sb.controlPlane.kubeconfig, [CLAIM, 'early', '-n', a.teamNs], '{.spec.plan}'),
      'plan-early',
      'the claim stays on the control plane',
    );

    const again = await runCli(
      [
        'bootstrap-env',
        '-f',
        a.bindingFile,
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--write-kubeconfig',
        a.kfg,
        '-o',
        a.all,
        '--timeout',
        '90s',
      ],
      { env: sb.env },
    );
    t.equal(again.code, 0, again.stderr);
    const ap = await runCli(['apply', '-f', a.all, '--kubeconfig', app1.kubeconfig]);
    t.equal(ap.code, 0, ap.stderr);
    const k = await konnector(t, sb, app1);
    const v = await eventually(t, 'the kept claim back on the same App Cluster', 90_000, async () => {
      const s = await get(app1.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.spec.plan}');
      return s === 'plan-early' ? { value: s, seen: s } : { seen: s };
    });
    t.equal(v, 'plan-early');
    const ok = await eventually(t, 'status exit 0 after re-binding the same App Cluster', 90_000, async () => {
      const r = await status(a, app1.kubeconfig);
      return r.code === 0 ? { value: r, seen: '' } : { seen: `exit ${r.code}: ${r.stdout}` };
    });
    t.ok(ok, 'healthy again');
    // Taken apart again (konnector first, as a kubelet would stop it) before the next test binds a new App Cluster.
    await k.stop();
    const un = await unbind(a, app1.kubeconfig);
    t.equal(un.code, 0, un.stderr);
  },
);

let app2: Cluster;
t.test('re-bind with the same clusterID onto a new App Cluster converges: the kept claim shows up there', async (t) => {
  const again = await runCli(
    [
      'bootstrap-env',
      '-f',
      a.bindingFile,
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--write-kubeconfig',
      a.kfg,
      '-o',
      a.all,
      '--timeout',
      '90s',
    ],
    { env: sb.env },
  );
  t.equal(again.code, 0, again.stderr);
  t.equal(/namespace: (\S+)/.exec(readFileSync(a.kfg, 'utf8'))![1], a.clusterNs, 'the same cluster namespace');
  app2 = await extraCluster(root, sb, 'life2');
  // Before the konnector starts (pitfall 8; the unbind's hint says so).
  t.equal((await kubectl(sb.bin, app2.kubeconfig, ['create', 'namespace', 'team-a'])).code, 0);
  const ap = await runCli(['apply', '-f', a.all, '--kubeconfig', app2.kubeconfig]);
  t.equal(ap.code, 0, ap.stderr);
  await konnector(t, sb, app2);
  const v = await eventually(t, 'the kept claim on the new App Cluster', 90_000, async () => {
    const s = await get(app2.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.spec.plan}');
    return s === 'plan-early' ? { value: s, seen: s } : { seen: s };
  });
  t.equal(v, 'plan-early', 'adopted by the new konnector');
  t.equal(
    await get(sb.controlPlane.kubeconfig, [CLAIM, 'early', '-n', a.teamNs], '{.spec.plan}'),
    'plan-early',
    'and still on the control plane',
  );
  const ok = await eventually(t, 'status exit 0 after the re-bind', 90_000, async () => {
    const r = await status(a, app2.kubeconfig);
    return r.code === 0 ? { value: r, seen: '' } : { seen: `exit ${r.code}: ${r.stdout}` };
  });
  t.ok(ok, 'the re-bound binding is healthy');
  // The konnector stops with this test: in the sandbox no kubelet stops it when unbind deletes its Deployment.
});

t.test('unbind --purge without --yes and without a terminal: exit 2, nothing changed', async (t) => {
  const before = await versions(a, app2.kubeconfig);
  const r = await unbind(a, app2.kubeconfig, ['--purge']);
  t.equal(r.code, 2, r.stderr);
  t.match(
    r.stderr,
    /--purge deletes the claims \(the data services\) of this binding and cannot be undone; without a terminal it needs --yes \(nothing was changed\)/,
  );
  t.equal(r.stdout, '');
  t.same(await versions(a, app2.kubeconfig), before);
});

t.test(
  'unbind --purge: the dry run lists the set; --yes deletes claims and APIServiceNamespaces, nothing outside ' +
    'the binding',
  async (t) => {
    const before = await versions(a, app2.kubeconfig);
    const dry = await unbind(a, app2.kubeconfig, ['--purge', '--dry-run', '-o', 'json']);
    t.equal(dry.code, 0, dry.stderr);
    t.same(await versions(a, app2.kubeconfig), before, 'the purge dry run changed nothing');
    const dryJson = JSON.parse(dry.stdout) as UnbindJson;
    t.ok(setOf(dryJson, 'would delete').includes(`control-plane PostgresqlInstance ${a.teamNs}/early`));
    t.ok(setOf(dryJson, 'would delete').includes(`control-plane APIServiceNamespace ${a.clusterNs}/team-a`));

    const r = await unbind(a, app2.kubeconfig, ['--purge', '--yes', '-o', 'json']);
    t.equal(r.code, 0, r.stderr);
    t.comment(`unbind --purge --yes: ${r.ms} ms`);
    t.same(
      setOf(JSON.parse(r.stdout) as UnbindJson, 'deleted'),
      setOf(dryJson, 'would delete'),
      'deleted exactly what the dry run listed',
    );
    t.equal(
      await get(sb.controlPlane.kubeconfig, [CLAIM, '-n', a.teamNs], '{.items[*].metadata.name}'),
      '',
      'no claim left',
    );
    t.equal(
      await get(
        sb.controlPlane.kubeconfig,
        [`apiservicenamespaces.${KLUTCH}`, '-n', a.clusterNs],
        '{.items[*].metadata.name}',
      ),
      '',
      'no APIServiceNamespace left',
    );
    await eventually(t, `namespace ${a.teamNs} deleted by the example-backend`, 60_000, async () => {
      const s = await get(sb.controlPlane.kubeconfig, ['namespace', a.teamNs, '--ignore-not-found'], '{.status.phase}');
      return s === '' ? { value: true, seen: s } : { seen: s };
    });
    t.equal(
      await get(sb.controlPlane.kubeconfig, ['namespace', a.clusterNs], '{.metadata.name}'),
      a.clusterNs,
      'the cluster namespace itself stays',
    );

    // The other binding: its claim untouched, and healthy by helper status.
    t.equal(
      await get(sb.controlPlane.kubeconfig, [CLAIM, 'early', '-n', other.teamNs], '{.metadata.resourceVersion}'),
      otherBefore,
      "the other binding's claim is untouched",
    );
    const o = await status(other, undefined, ['-o', 'json']);
    t.equal(o.code, 0, o.stderr);
    t.equal((JSON.parse(o.stdout) as Report).verdict, 'ok', 'the other binding is still healthy');

    const again = await unbind(a, app2.kubeconfig, ['--purge', '--yes']);
    t.equal(again.code, 0, again.stderr);
    t.match(again.stdout, /\nnothing to do: the binding is already unbound/);
  },
);
