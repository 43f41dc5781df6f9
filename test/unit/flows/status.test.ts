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
  t.match(text, /^binding cluster-abc on control plane 127\.0\.0\.1:1, App Cluster 127\.0\.0\.1:1\n/);
  t.match(text, /\nverdict: ok\n$/);
  t.notMatch(text, /not-a-real-token-value/, "the Secret's token is never printed");
});

t.test('heartbeat older than twice the interval: degraded, naming the age; exit 11', async (t) => {
  const { cp, app } = healthyBinding();
  const r = await status(cp, app, NOW + 11 * 60_000);
  const cb = item(r, 'ClusterBinding')!;
  t.equal(cb.verdict, 'degraded');
  t.match(cb.detail, 'last heartbeat 12m ago, more than twice the interval 5m: the konnector is not connected');
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

t.test('an unreachable control plane fails the command (exit 6), no report', async (t) => {
  const { cp } = healthyBinding();
  cp.rule = (c) => (c.verb === 'get' ? 'unreachable' : undefined);
  await t.rejects(status(cp), { code: 'HELPER_CLUSTER_UNREACHABLE', exitCode: 6 });
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
  "the Secret's kubeconfig is read strictly: no local file it names is read; a field outside the allow-list is degraded, named (issue 20, finding 7)",
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

t.test('zero ready replicas is ok while the heartbeat is fresh (no kubelet), degraded when it is not', async (t) => {
  const { cp, app } = healthyBinding();
  app.find({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'konnector', 'klutch-bind')!.status = {};
  t.match(item(await status(cp, app), 'Deployment')!, {
    verdict: 'ok',
    detail: /0 of 2 replica\(s\) ready \(the heartbeat is fresh/,
  });
  t.match(item(await status(cp, app, NOW + 20 * 60_000), 'Deployment')!, {
    verdict: 'degraded',
    detail: /no fresh heartbeat/,
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
    t.match(stale.stdout, /\nverdict: degraded \(1 degraded\)\n$/);
    t.equal(stale.error?.exitCode, 11);
  },
);

t.test(
  "the text report shows a server's control characters escaped (regression: a terminal message's escape sequences reached the terminal)",
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
