/**
 * The branches of the status flow on an injected in-memory client: each
 * verdict, the heartbeat rule, RBAC refusals reported as unreadable (never
 * missing), and the JSON shape against schemas/status.schema.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { newAjv } from '../../../src/validate/ajv.ts';
import { collectStatus } from '../../../src/status/probes.ts';
import {
  formatStatus,
  judgeHeartbeat,
  statusError as verdictError,
  statusJson,
  type StatusReport,
} from '../../../src/status/report.ts';
import { parseGoDuration } from '../../../src/kube/heartbeat.ts';
import type { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { healthyBinding, NOW, NS, PROVIDER } from '../../helpers/flow-fakes.ts';

const KLUTCH = 'klutch.anynines.com/v1alpha1';
const schema = JSON.parse(
  readFileSync(new URL('../../../schemas/status.schema.json', import.meta.url), 'utf8'),
) as object;
const validate = newAjv().compile(schema);

function status(cp: MemoryCluster, app?: MemoryCluster, now = NOW): Promise<StatusReport> {
  return collectStatus({
    cp,
    app,
    clusterNamespace: NS,
    provider: PROVIDER,
    credential: { type: 'token', expiresAt: null, subject: `system:serviceaccount:${NS}:klutch-binder` },
    now: () => now,
  });
}

function item(r: StatusReport, kind: string, name?: string) {
  return r.items.find((i) => i.kind === kind && (name === undefined || i.name === name));
}

t.test('a healthy binding: every item ok, verdict ok, no error, JSON valid', async (t) => {
  const { cp, app } = healthyBinding();
  const r = await status(cp, app);
  t.same(
    r.items.filter((i) => i.verdict !== 'ok'),
    [],
    'no item is not ok',
  );
  t.equal(r.verdict, 'ok');
  t.equal(verdictError(r), undefined);
  t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
  t.same(Object.keys(statusJson(r)).slice(0, 5), ['schemaVersion', 'kind', 'verdict', 'counts', 'items'], 'envelope');
  t.same(r.heartbeat, {
    konnectorVersion: 'v1.4.0',
    lastHeartbeatTime: new Date(NOW - 60_000).toISOString(),
    ageSeconds: 60,
    intervalSeconds: 300,
    state: 'fresh',
  });
  t.match(item(r, 'Claims')!, {
    namespace: `${NS}-team-a`,
    detail: '2 PostgresqlInstance(s)',
    facts: { count: 2, names: ['db1', 'db2'] },
  });
  t.match(item(r, 'Credential')!.detail, `token of system:serviceaccount:${NS}:klutch-binder, no expiry`);
  const kinds = new Set(r.items.map((i) => i.kind));
  for (const k of [
    'Credential',
    'Namespace',
    'ClusterBinding',
    'APIServiceExportRequest',
    'APIServiceExport',
    'APIServiceNamespace',
    'Claims',
    'Deployment',
    'Secret',
    'APIServiceBinding',
    'CustomResourceDefinition',
  ])
    t.ok(kinds.has(k), k);
  t.notOk(
    cp.calls.some((c) => c.verb === 'delete' || c.verb === 'patch') ||
      app.calls.some((c) => c.verb === 'delete' || c.verb === 'patch'),
    'read-only',
  );
  const text = formatStatus(r);
  t.match(text, /^VERDICT +SIDE +KIND +NAME +DETAIL\n/, 'a header row first');
  t.match(text, /\n\nbinding cluster-abc: control plane 127\.0\.0\.1:1, App Cluster 127\.0\.0\.1:1\n/);
  const rows = text
    .split('\n\n')[0]!
    .split('\n')
    .filter((l) => /^\S/.test(l));
  t.same(new Set(rows.map((l) => l.split(/\s+/).length >= 4)), new Set([true]), 'four one-word columns on every row');
  t.same(new Set(rows.slice(1).map((l) => l.split(/\s+/)[1])), new Set(['control-plane', 'app-cluster']), 'SIDE');
  t.ok(
    text.split('\n').every((l) => l.length <= 120),
    'no line wider than 120',
  );
  t.notMatch(text, /konnector is connected/, 'no connection claimed (issue 24 finding 3)');
  t.match(text, /\nverdict: ok\n$/);
  t.notMatch(text, /not-a-real-token-value/, "the Secret's token is never printed");
});

t.test('heartbeat older than twice the interval: degraded, naming the age; exit 11', async (t) => {
  const { cp, app } = healthyBinding();
  const r = await status(cp, app, NOW + 11 * 60_000);
  const cb = item(r, 'ClusterBinding')!;
  t.equal(cb.verdict, 'degraded');
  t.match(cb.detail, 'last heartbeat 12m ago, more than twice the interval 5m: no konnector has reported since');
  t.equal(r.verdict, 'degraded');
  t.equal(verdictError(r)!.exitCode, 11);
  t.match(verdictError(r)!.message, 'ClusterBinding cluster-abc/cluster');
  t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
});

t.test('exactly twice the interval is still fresh; a konnector clock ahead counts as just now', async (t) => {
  const cb = { status: { lastHeartbeatTime: new Date(NOW - 600_000).toISOString(), heartbeatInterval: '5m0s' } };
  t.equal(judgeHeartbeat(cb, NOW).state, 'fresh');
  t.equal(judgeHeartbeat(cb, NOW + 1000).state, 'stale');
  t.equal(
    judgeHeartbeat(
      { status: { lastHeartbeatTime: new Date(NOW + 5000).toISOString(), heartbeatInterval: '5m0s' } },
      NOW,
    ).ageSeconds,
    0,
  );
  t.equal(
    judgeHeartbeat({ status: { lastHeartbeatTime: new Date(NOW - 700_000).toISOString() } }, NOW).state,
    'stale',
    'no interval: the 5 min default',
  );
  t.equal(parseGoDuration('2m30s'), 150_000);
  t.equal(parseGoDuration('1h0m0.5s'), 3_600_500);
  t.equal(parseGoDuration('5 minutes'), undefined);
});

t.test(
  'no heartbeat yet: fine with only the provider kubeconfig, degraded once the App Cluster is given',
  async (t) => {
    const { cp, app } = healthyBinding();
    cp.find({ apiVersion: KLUTCH, kind: 'ClusterBinding' }, 'cluster', NS)!.status = {};
    const cpOnly = await status(cp);
    t.equal(cpOnly.verdict, 'ok');
    t.equal(cpOnly.appCluster, null);
    t.notOk(
      cpOnly.items.some((i) => i.side === 'app-cluster'),
      'only the control-plane half',
    );
    t.match(item(cpOnly, 'ClusterBinding')!.detail, 'no heartbeat yet');
    t.ok(validate(statusJson(cpOnly)), JSON.stringify(validate.errors));
    const both = await status(cp, app);
    t.equal(item(both, 'ClusterBinding')!.verdict, 'degraded');
  },
);

t.test('an export request Failed: degraded, naming it and its terminal message', async (t) => {
  const { cp, app } = healthyBinding();
  cp.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceExportRequest',
    metadata: {
      name: 'mariadbinstances.anynines.com',
      namespace: NS,
      creationTimestamp: new Date(NOW - 90_000).toISOString(),
    },
    status: { phase: 'Failed', terminalMessage: 'CRD mariadbinstances.anynines.com not found' },
  });
  const r = await status(cp, app);
  t.match(item(r, 'APIServiceExportRequest', 'mariadbinstances.anynines.com')!, {
    verdict: 'degraded',
    detail: 'Failed: CRD mariadbinstances.anynines.com not found',
  });
  t.equal(r.verdict, 'degraded');
  t.match(verdictError(r)!.message, 'APIServiceExportRequest cluster-abc/mariadbinstances.anynines.com');
});

t.test('a Pending request is fine for 2 minutes, then degraded', async (t) => {
  const { cp } = healthyBinding();
  cp.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceExportRequest',
    metadata: { name: 'x.anynines.com', namespace: NS, creationTimestamp: new Date(NOW - 30_000).toISOString() },
    status: { phase: 'Pending' },
  });
  t.equal(item(await status(cp), 'APIServiceExportRequest', 'x.anynines.com')!.verdict, 'ok');
  t.match(item(await status(cp, undefined, NOW + 5 * 60_000), 'APIServiceExportRequest', 'x.anynines.com')!, {
    verdict: 'degraded',
    detail: /Pending for 5m30s/,
  });
});

t.test('what RBAC refuses is unreadable, not missing; alone it makes the verdict unknown (exit 6)', async (t) => {
  const { cp, app } = healthyBinding();
  cp.rule = (c) => (c.verb === 'list' && c.kind === 'PostgresqlInstance' ? 'forbid' : undefined);
  const r = await status(cp, app);
  t.match(item(r, 'Claims')!, {
    verdict: 'unreadable',
    namespace: `${NS}-team-a`,
    detail: /may not read this: .*403 Forbidden/,
  });
  t.equal(r.verdict, 'unknown');
  t.equal(verdictError(r)!.exitCode, 6);
  t.match(
    verdictError(r)!.message,
    `cannot be judged: the kubeconfig may not read Claims ${NS}-team-a/postgresqlinstances.anynines.com`,
  );
  t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
});

t.test('a rejected credential (401): missing, and no further reads', async (t) => {
  const { cp } = healthyBinding();
  cp.rule = () => 'unauthorized';
  const r = await status(cp);
  t.equal(r.items.length, 1);
  t.match(item(r, 'Credential')!, { verdict: 'missing', detail: /rejects the kubeconfig's token \(401\)/ });
  t.equal(r.verdict, 'missing');
  t.equal(verdictError(r)!.exitCode, 12);
  t.equal(cp.calls.length, 1);
});

t.test('an unreachable control plane: its items unreachable, the App Cluster still read; exit 6', async (t) => {
  const { cp, app } = healthyBinding();
  cp.rule = () => 'unreachable';
  const r = await status(cp, app);
  const cpItems = r.items.filter((i) => i.side === 'control-plane');
  t.ok(cpItems.length >= 5, 'every control-plane item is there');
  t.same(new Set(cpItems.map((i) => i.verdict)), new Set(['unreachable']), 'marked unreachable');
  t.ok(
    r.items.some((i) => i.side === 'app-cluster' && i.kind === 'Deployment' && i.verdict === 'ok'),
    'the App Cluster read',
  );
  t.equal(r.verdict, 'unreachable');
  t.match(verdictError(r), { code: 'HELPER_STATUS_UNREACHABLE', exitCode: 6 });
  t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
});

t.test('an unreachable App Cluster: one failed call, not one per item; the control-plane half reported', async (t) => {
  const { cp, app } = healthyBinding();
  app.rule = () => 'unreachable';
  const r = await status(cp, app);
  t.equal(app.calls.length, 1, "the App Cluster is tried once (its retries are the call policy's)");
  t.same(
    r.items.filter((i) => i.side === 'app-cluster').map((i) => [i.kind, i.verdict]),
    [
      ['Deployment', 'unreachable'],
      ['Lease', 'unreachable'],
      ['Secret', 'unreachable'],
      ['APIServiceBinding', 'unreachable'],
    ],
  );
  t.ok(
    r.items.filter((i) => i.side === 'control-plane').every((i) => i.verdict === 'ok'),
    'the control-plane half',
  );
  t.equal(r.verdict, 'unreachable');
  t.match(verdictError(r)!.message, /4 item\(s\) could not be read, cannot reach /);
  const text = formatStatus(r);
  t.match(text, /^unreachable +app-cluster +Deployment +klutch-bind\/konnector/m);
  t.match(text, /\nverdict: unreachable \(4 unreachable\)\n$/);
  t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
});

t.test('konnector stopped (its Lease no longer renewed) while the heartbeat is fresh: degraded, exit 11', async (t) => {
  const { cp, app } = healthyBinding();
  app.find({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'klutch-bind', 'klutch-bind')!.spec = {
    holderIdentity: 'konnector-7d9f_1',
    leaseDurationSeconds: 15,
    renewTime: new Date(NOW - 60_000).toISOString(),
  };
  const r = await status(cp, app);
  t.equal(item(r, 'ClusterBinding')!.verdict, 'ok', 'the heartbeat is still within the interval');
  t.match(item(r, 'ClusterBinding')!.detail, /^last heartbeat 1m ago, within twice the interval 5m/);
  t.match(item(r, 'Lease')!, { verdict: 'degraded', detail: /renewed 1m ago, past its 15s: no konnector runs/ });
  t.match(item(r, 'Deployment')!, { verdict: 'degraded', detail: /no konnector runs/ });
  t.equal(r.verdict, 'degraded');
  t.equal(verdictError(r)!.exitCode, 11);
  t.notMatch(JSON.stringify(statusJson(r)), /konnector is connected/);
  app.find({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'klutch-bind', 'klutch-bind')!.spec = {
    leaseDurationSeconds: 15,
  };
  t.match(item(await status(cp, app), 'Lease')!, { verdict: 'degraded', detail: /released .*no konnector runs/ });
});

t.test('after unbind --purge (no export request, no APIServiceNamespace): missing, exit 12', async (t) => {
  const { cp } = healthyBinding();
  for (const k of [...cp.objects.keys()])
    if (k.includes('|APIServiceNamespace|') || k.includes('|APIServiceExportRequest|')) cp.objects.delete(k);
  const r = await status(cp);
  t.match(item(r, 'APIServiceNamespace', '*')!, { verdict: 'missing', detail: /^unbound: / });
  t.equal(r.verdict, 'missing');
  t.equal(verdictError(r)!.exitCode, 12);
  t.ok(validate(statusJson(r)), JSON.stringify(validate.errors));
});

t.test(
  'App Cluster faults: missing konnector, a Secret of another binding, a CRD not owned, an export without a binding',
  async (t) => {
    const { cp, app } = healthyBinding();
    app.objects.delete([...app.objects.keys()].find((k) => k.includes('|Deployment|'))!);
    const secret = app.find({ apiVersion: 'v1', kind: 'Secret' }, 'kubeconfig', 'klutch-bind')!;
    secret.data = {
      kubeconfig: Buffer.from(
        Buffer.from((secret.data as Record<string, string>).kubeconfig!, 'base64')
          .toString()
          .replace(`namespace: ${NS}`, 'namespace: cluster-other'),
      ).toString('base64'),
    };
    app.find(
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
      'postgresqlinstances.anynines.com',
    )!.metadata!.ownerReferences = [];
    cp.add({
      apiVersion: KLUTCH,
      kind: 'APIServiceExport',
      metadata: { name: 'servicebindings.anynines.com', namespace: NS },
      spec: {
        group: 'anynines.com',
        names: { plural: 'servicebindings', kind: 'ServiceBinding' },
        versions: [{ name: 'v1', served: true }],
      },
    });
    const r = await status(cp, app);
    t.match(item(r, 'Deployment')!, { verdict: 'missing' });
    t.match(item(r, 'Secret')!, {
      verdict: 'degraded',
      detail: /namespace cluster-other; the provider kubeconfig at .*another binding/,
    });
    t.match(item(r, 'CustomResourceDefinition')!, { verdict: 'degraded', detail: /ForeignCustomResourceDefinition/ });
    t.match(item(r, 'APIServiceBinding', 'servicebindings.anynines.com')!, { verdict: 'missing' });
    t.equal(r.verdict, 'missing', 'missing wins over degraded');
    t.equal(verdictError(r)!.exitCode, 12);
  },
);

t.test(
  "the Secret's kubeconfig is read strictly: no local file it names is read; a field outside the allow-list " +
    'is degraded, named (issue 20, finding 7)',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'status-secret-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'token');
    writeFileSync(file, 'a-local-token-value');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [what, path] of [
      ['a regular file', file],
      ['a FIFO (a reader that opened it would hang)', fifo],
    ] as const) {
      const { cp, app } = healthyBinding();
      const secret = app.find({ apiVersion: 'v1', kind: 'Secret' }, 'kubeconfig', 'klutch-bind')!;
      const text = Buffer.from((secret.data as Record<string, string>).kubeconfig!, 'base64')
        .toString()
        .replace('{token: not-a-real-token-value}', `{token-file: ${JSON.stringify(path)}}`);
      secret.data = { kubeconfig: Buffer.from(text).toString('base64') };
      const r = await status(cp, app);
      t.match(
        item(r, 'Secret')!,
        {
          verdict: 'degraded',
          detail: /^data\.kubeconfig is not a kubeconfig helper writes: users\[0\]\.user\.token-file: a token file/,
        },
        what,
      );
    }
  },
);

t.test('zero ready replicas (no kubelet) is ok while the Lease is renewed, degraded when it is not', async (t) => {
  const { cp, app } = healthyBinding();
  app.find({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'konnector', 'klutch-bind')!.status = {};
  t.match(item(await status(cp, app), 'Deployment')!, { verdict: 'ok', detail: /^0 of 2 replica\(s\) ready; image/ });
  t.match(item(await status(cp, app, NOW + 60_000), 'Deployment')!, {
    verdict: 'degraded',
    detail: /no konnector runs/,
  });
});

t.test('an App Cluster without the klutch CRDs: APIServiceBindings missing', async (t) => {
  const { cp, app } = healthyBinding();
  app.unserved.add('APIServiceBinding');
  const r = await status(cp, app);
  t.match(item(r, 'APIServiceBinding', '*')!, { verdict: 'missing', detail: /does not serve APIServiceBindings/ });
});

t.test('the schema can fail: a report with an unknown verdict is refused', async (t) => {
  const { cp } = healthyBinding();
  const r = (await status(cp)) as unknown as { verdict: string };
  r.verdict = 'fine';
  t.notOk(validate(r));
});

t.test(
  "the command's flow through its injected Kubernetes factory and clock: the report for stdout and the verdict's error",
  async (t) => {
    const { status } = await import('../../../src/flows/status.ts');
    const { statusOptions } = await import('../../../src/options/status.ts');
    const { statusFlowOptions } = await import('../../../src/lib/status.ts');
    const { cp, app } = healthyBinding();
    const kube = {
      connect: () => ({
        provider: { namespace: NS, server: PROVIDER.server },
        credential: { type: 'token' as const, expiresAt: null, subject: `system:serviceaccount:${NS}:klutch-binder` },
        cp,
        app,
      }),
    };
    const cli = statusOptions({ 'app-kubeconfig': 'app', timeout: '30s', 'request-timeout': '5s', retries: 0 }, {});
    const opts = statusFlowOptions(cli.input, cli.format);
    const ok = await status(opts, { kube: kube as never, clock: () => NOW });
    t.match(ok.stdout, /\nverdict: ok\n$/);
    t.equal(ok.error, undefined);
    const stale = await status(opts, { kube: kube as never, clock: () => NOW + 11 * 60_000 });
    t.match(stale.stdout, /\nverdict: degraded \(3 degraded\)\n$/, 'the heartbeat, the Lease and so the Deployment');
    t.equal(stale.error?.exitCode, 11);
  },
);

t.test(
  "the text report shows a server's control characters escaped (regression: a terminal message's escape " +
    'sequences reached the terminal)',
  async (t) => {
    const { status } = await import('../../../src/flows/status.ts');
    const { statusOptions } = await import('../../../src/options/status.ts');
    const { statusFlowOptions } = await import('../../../src/lib/status.ts');
    const { cp, app } = healthyBinding();
    cp.add({
      apiVersion: KLUTCH,
      kind: 'APIServiceExportRequest',
      metadata: {
        name: 'mariadbinstances.anynines.com',
        namespace: NS,
        creationTimestamp: new Date(NOW - 90_000).toISOString(),
      },
      status: { phase: 'Failed', terminalMessage: 'gone \x1b]0;pwned\x07\x1b[2J' },
    });
    const kube = {
      connect: () => ({
        provider: { namespace: NS, server: PROVIDER.server },
        credential: { type: 'token' as const, expiresAt: null, subject: `system:serviceaccount:${NS}:klutch-binder` },
        cp,
        app,
      }),
    };
    const cli = statusOptions({ 'app-kubeconfig': 'app', timeout: '30s', 'request-timeout': '5s', retries: 0 }, {});
    const r = await status(statusFlowOptions(cli.input, cli.format), {
      kube: kube as never,
      clock: () => NOW,
    });
    t.notMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no control character on stdout');
    t.match(r.stdout, 'Failed: gone \\x1b]0;pwned\\x07\\x1b[2J');
  },
);
