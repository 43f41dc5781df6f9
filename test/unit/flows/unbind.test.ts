/**
 * The branches of the unbind flow on an injected in-memory client: the
 * default (claims kept and unmarked), idempotency, dry run, purge and its
 * guard, RBAC refusals named, a run stopped midway, and the waits.
 */
import t from 'tap';
import { unbindFlow as viaLib } from '../../helpers/cli-options.ts';
import { unbindClusters, type UnbindRun } from '../../../src/flows/unbind.ts';
import {
  formatUnbind,
  unbindError as refusalError,
  unbindJson,
  type UnbindReport,
} from '../../../src/unbind/report.ts';
import { log } from '../../../src/log.ts';
import type { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { healthyBinding, NS } from '../../helpers/flow-fakes.ts';

const KLUTCH = 'klutch.anynines.com/v1alpha1';
const PG = { apiVersion: 'anynines.com/v1', kind: 'PostgresqlInstance' };

function run(cp: MemoryCluster, app: MemoryCluster | undefined, over: Partial<UnbindRun> = {}): Promise<UnbindReport> {
  return unbindClusters({
    cp,
    app,
    clusterNamespace: NS,
    kubeconfigPath: 'provider.kfg.yaml',
    purge: false,
    dryRun: false,
    yes: false,
    deadline: Date.now() + 5000,
    pollMs: 5,
    ...over,
  });
}

/** Every object as kind/ns/name@resourceVersion, to prove nothing changed. */
function snapshot(c: MemoryCluster): string[] {
  return [...c.objects.values()]
    .map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}@${o.metadata?.resourceVersion}`)
    .sort();
}

/** The actions as -o json prints them. */
const acts = (r: UnbindReport) => unbindJson(r).items;
const deletedSet = (r: UnbindReport, result: string) =>
  acts(r)
    .filter((a) => a.result === result)
    .map((a) => `${a.side} ${a.kind} ${a.namespace ?? ''}/${a.name}`)
    .sort();

function captureLog(t: { teardown: (fn: () => void) => void }): string[] {
  const lines: string[] = [];
  const orig = log.log.bind(log);
  log.log = (level, msg) => {
    lines.push(`${level}: ${msg}`);
  };
  t.teardown(() => {
    log.log = orig;
  });
  return lines;
}

t.test(
  'default: App Cluster half removed (Deployment first, bindings orphaned), requests deleted, claims kept and unmarked',
  async (t) => {
    const { cp, app } = healthyBinding();
    const r = await run(cp, app);
    t.equal(app.calls.filter((c) => c.verb === 'delete')[0]!.kind, 'Deployment', 'the konnector goes first');
    t.match(app.calls.find((c) => c.verb === 'delete' && c.kind === 'APIServiceBinding')!, {
      propagationPolicy: 'Orphan',
    });
    for (const k of [
      'Deployment',
      'APIServiceBinding',
      'ClusterRole',
      'ClusterRoleBinding',
      'ServiceAccount',
      'Secret',
    ])
      t.notOk(
        [...app.objects.keys()].some((key) => key.includes(`|${k}|`)),
        `no ${k} left on the App Cluster`,
      );
    t.ok(
      app.find(
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
        'postgresqlinstances.anynines.com',
      ),
      'the bound CRD stays',
    );
    t.notOk(
      cp.find({ apiVersion: KLUTCH, kind: 'APIServiceExportRequest' }, 'postgresqlinstances.anynines.com', NS),
      'export request deleted',
    );
    for (const n of ['db1', 'db2']) {
      const c = cp.find(PG, n, `${NS}-team-a`);
      t.ok(c, `claim ${n} kept`);
      t.same(c!.metadata!.annotations, {}, `claim ${n} unmarked`);
    }
    t.ok(cp.find({ apiVersion: KLUTCH, kind: 'APIServiceNamespace' }, 'team-a', NS), 'APIServiceNamespace kept');
    t.same(
      cp.find(PG, 'other', 'cluster-xyz-team-a')!.metadata!.annotations,
      { 'klutch.anynines.com/bound': 'true' },
      "another binding's claim untouched",
    );
    t.notOk(
      cp.calls.some((c) => c.namespace === 'cluster-xyz-team-a'),
      'not even read outside the binding',
    );
    t.notOk(r.nothingToDo);
    const text = formatUnbind(r);
    t.match(text, /^unmarked +control-plane +PostgresqlInstance +cluster-abc-team-a\/db1\s+kept; its annotation/m);
    const hints = r.hints.join('\n');
    t.match(
      hints,
      /^2 claim\(s\) stay on the control plane .*`helper unbind --kubeconfig provider\.kfg\.yaml --purge --yes`; or one with e.g.: `kubectl --kubeconfig provider\.kfg\.yaml -n cluster-abc-team-a delete postgresqlinstances\.anynines\.com db1`/m,
    );
    t.match(
      hints,
      /^to re-bind \(the same clusterID, on a new App Cluster or on this same App Cluster\): `helper bootstrap-env .*`, then `helper apply -f all.yaml --kubeconfig <app-cluster-kubeconfig>`; it creates the namespace\(s\) team-a on the App Cluster before the konnector starts .*; on the same App Cluster it hands the kept CRD\(s\) postgresqlinstances\.anynines\.com to the new APIServiceBinding\(s\)/m,
    );
    t.notMatch(text, /hint/, 'the hints are not part of the text report (they go to stderr)');
    t.match(text, /^kept +control-plane +Namespace +cluster-abc\s[\s\S]*?kubectl delete namespace cluster-abc/m);
    t.match(text, /\ndone: 7 deleted, 3 unmarked, 1 marked, \d+ kept\n$/);
    t.match(
      text,
      new RegExp(
        '^marked +app-cluster +CustomResourceDefinition +postgresqlinstances\\.anynines\\.com\\s+recorded as ' +
          "this binding's" +
          '\\s+\\(annotation\\s+helper\\.klutch\\.anynines\\.com/orphaned-from: cluster-abc\\)',
        'm',
      ),
    );
    t.equal(
      (
        app.find(
          { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
          'postgresqlinstances.anynines.com',
        )!.metadata!.annotations as Record<string, string>
      )['helper.klutch.anynines.com/orphaned-from'],
      NS,
      'the CRD records its binding',
    );
    const order = app.calls.filter((c) => c.verb === 'delete' || c.verb === 'patch').map((c) => `${c.verb} ${c.kind}`);
    t.ok(
      order.indexOf('patch CustomResourceDefinition') < order.indexOf('delete APIServiceBinding'),
      'recorded before the binding is deleted',
    );
    t.equal(refusalError(r), undefined);
  },
);

t.test('a second run has nothing to do and changes nothing', async (t) => {
  const { cp, app } = healthyBinding();
  await run(cp, app);
  const before = [snapshot(cp), snapshot(app)];
  const again = await run(cp, app);
  t.ok(again.nothingToDo);
  t.same([snapshot(cp), snapshot(app)], before);
  t.match(formatUnbind(again), /\nnothing to do: the binding is already unbound \(\d+ kept\)\n/);
});

t.test(
  '--dry-run: every change is a server-side dry run, nothing changes, and the real run changes the same set',
  async (t) => {
    const { cp, app } = healthyBinding();
    const before = [snapshot(cp), snapshot(app)];
    const dry = await run(cp, app, { dryRun: true, purge: true });
    t.same([snapshot(cp), snapshot(app)], before, 'nothing changed');
    const writes = [...cp.calls, ...app.calls].filter((c) => c.verb === 'delete' || c.verb === 'patch');
    t.ok(writes.length > 0);
    t.ok(
      writes.every((c) => c.dryRun === true),
      'each delete was a dry run',
    );
    t.notOk(
      app.calls.some((c) => c.verb === 'list' && c.kind === 'Pod'),
      'no wait in a dry run',
    );
    const real = await run(cp, app, { purge: true, yes: true });
    t.same(deletedSet(real, 'deleted'), deletedSet(dry, 'would delete'));
    t.match(formatUnbind(dry), /dry run: nothing is changed/);
  },
);

t.test(
  '--purge --yes: claims deleted, waited for, then the APIServiceNamespaces; nothing outside the binding',
  async (t) => {
    const { cp, app } = healthyBinding();
    // A claim with a finalizer: it takes two reads to go (as Crossplane deprovisioning would).
    let reads = 0;
    const origGet = cp.get.bind(cp);
    cp.get = async (kind, name, ns) =>
      kind.kind === 'PostgresqlInstance' && name === 'db1' && reads++ < 2
        ? { metadata: { name } }
        : origGet(kind, name, ns);
    const r = await run(cp, app, { purge: true, yes: true });
    t.ok(reads >= 2, 'waited for the claim to be gone');
    const order = cp.calls.filter((c) => c.verb === 'delete').map((c) => c.kind);
    t.ok(
      order.lastIndexOf('PostgresqlInstance') < order.indexOf('APIServiceNamespace'),
      'claims before APIServiceNamespaces',
    );
    t.notOk(cp.find(PG, 'db1', `${NS}-team-a`));
    t.notOk(cp.find({ apiVersion: KLUTCH, kind: 'APIServiceNamespace' }, 'team-a', NS));
    t.ok(cp.find(PG, 'other', 'cluster-xyz-team-a'), 'another binding untouched');
    t.ok(cp.find({ apiVersion: 'v1', kind: 'Namespace' }, NS), 'cluster namespace kept');
    t.equal(deletedSet(r, 'deleted').filter((s) => s.startsWith('control-plane')).length, 4);
  },
);

t.test('--purge without --yes and without a terminal: usage error before any call', async (t) => {
  const { runUnbind } = await import('../../../src/flows/unbind.ts');
  const { unbindOptions } = await import('../../../src/options/unbind.ts');
  const { unbindFlowOptions } = await import('../../../src/lib/unbind.ts');
  const cli = unbindOptions(
    { kubeconfig: '/nonexistent', purge: true, timeout: '1s', 'request-timeout': '1s', retries: 0 },
    {},
    false,
  );
  await t.rejects(runUnbind(unbindFlowOptions(cli.input, cli.format), { confirm: undefined }), {
    exitCode: 2,
    message: /--purge .* without a terminal it needs --yes \(nothing was changed\)/,
  });
});

t.test('--purge on a terminal: a declined question changes nothing', async (t) => {
  const { cp, app } = healthyBinding();
  const before = [snapshot(cp), snapshot(app)];
  let asked = '';
  await t.rejects(
    run(cp, app, {
      purge: true,
      confirm: async (q) => {
        asked = q;
        return false;
      },
    }),
    // Issue 24 #13: a decline is not a usage error (exit 13, no "run with --help").
    { exitCode: 13, code: 'HELPER_DECLINED', message: /not confirmed; nothing was changed/ },
  );
  t.match(
    asked,
    /delete 2 claim\(s\) of binding cluster-abc \(PostgresqlInstance cluster-abc-team-a\/db1, PostgresqlInstance cluster-abc-team-a\/db2\)/,
  );
  t.same([snapshot(cp), snapshot(app)], before);
});

t.test(
  'RBAC refusals are named; the purge does not delete APIServiceNamespaces over claims it could not delete',
  async (t) => {
    const { cp, app } = healthyBinding();
    cp.rule = (c) =>
      c.verb === 'delete' && c.kind === 'PostgresqlInstance' && c.name === 'db2' ? 'forbid' : undefined;
    const r = await run(cp, app, { purge: true, yes: true });
    t.match(acts(r).find((a) => a.side === 'control-plane' && a.name === 'db2')!, {
      result: 'refused',
      message: /403 Forbidden/,
    });
    t.match(acts(r).find((a) => a.kind === 'APIServiceNamespace')!, { result: 'skipped' });
    t.ok(cp.find({ apiVersion: KLUTCH, kind: 'APIServiceNamespace' }, 'team-a', NS), 'APIServiceNamespace kept');
    const err = refusalError(r)!;
    t.equal(err.exitCode, 6);
    t.match(
      err.message,
      /refused PostgresqlInstance cluster-abc-team-a\/db2 \(control plane\); not attempted because of that: APIServiceNamespace cluster-abc\/team-a/,
    );
  },
);

t.test('claims the kubeconfig may not list: named as refused, not skipped silently', async (t) => {
  const { cp, app } = healthyBinding();
  cp.rule = (c) => (c.verb === 'list' && c.kind === 'PostgresqlInstance' ? 'forbid' : undefined);
  const r = await run(cp, app, { purge: true, yes: true });
  t.match(acts(r).find((a) => a.side === 'control-plane' && a.kind === 'PostgresqlInstance')!, {
    name: '*',
    namespace: `${NS}-team-a`,
    result: 'refused',
    message: /cannot list postgresqlinstances\.anynines\.com in cluster-abc-team-a/,
  });
  t.ok(refusalError(r));
});

t.test(
  'stopped midway (control plane unreachable): the error propagates and the log says what was done and what remains',
  async (t) => {
    const lines = captureLog(t);
    const { cp, app } = healthyBinding();
    let deletes = 0;
    cp.rule = (c) => (c.verb === 'patch' && ++deletes > 1 ? 'unreachable' : undefined);
    await t.rejects(run(cp, app), { code: 'HELPER_CLUSTER_UNREACHABLE' });
    const stop = lines.find((l) => l.includes('stopped'))!;
    t.match(
      stop,
      /done Deployment klutch-bind\/konnector \(App Cluster\), .*APIServiceExportRequest cluster-abc\/postgresqlinstances\.anynines\.com \(control plane\), PostgresqlInstance cluster-abc-team-a\/db1 \(control plane\); remains PostgresqlInstance cluster-abc-team-a\/db2 \(control plane\); re-running the same command continues/,
    );
    // Re-running finishes it.
    cp.rule = () => undefined;
    const again = await run(cp, app);
    t.same(deletedSet(again, 'unmarked'), [`control-plane PostgresqlInstance ${NS}-team-a/db2`]);
  },
);

t.test('waits until the konnector pods are gone before the rest; bounded, saying what it saw', async (t) => {
  const { cp, app } = healthyBinding();
  app.add({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'konnector-abc', namespace: 'klutch-bind', labels: { app: 'konnector' } },
    status: { phase: 'Running' },
  });
  // The pod goes 20 ms after the Deployment (as a kubelet would stop it).
  app.onChange = (c) => {
    if (c.kind === 'Deployment')
      setTimeout(() => app.objects.delete([...app.objects.keys()].find((k) => k.includes('|Pod|'))!), 20);
  };
  await run(cp, app);
  const i = app.calls.findIndex((c) => c.verb === 'delete' && c.kind === 'APIServiceBinding');
  t.ok(
    app.calls.slice(0, i).filter((c) => c.kind === 'Pod').length >= 2,
    'polled the pods before deleting the bindings',
  );

  const stuck = healthyBinding();
  stuck.app.add({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'konnector-abc', namespace: 'klutch-bind', labels: { app: 'konnector' } },
    status: { phase: 'Running' },
  });
  await t.rejects(run(stuck.cp, stuck.app, { deadline: Date.now() + 50 }), {
    exitCode: 7,
    message: /timed out waiting for the konnector's pods to stop; still there: konnector-abc \(Running\)/,
  });
});

t.test('a purge whose claims never go: timeout naming them, APIServiceNamespaces not deleted', async (t) => {
  const { cp, app } = healthyBinding();
  const origGet = cp.get.bind(cp);
  cp.get = async (kind, name, ns) =>
    kind.kind === 'PostgresqlInstance' ? { metadata: { name } } : origGet(kind, name, ns);
  await t.rejects(run(cp, app, { purge: true, yes: true, deadline: Date.now() + 60 }), {
    exitCode: 7,
    message:
      /the deleted claims to be gone; still there: PostgresqlInstance cluster-abc-team-a\/db1, PostgresqlInstance cluster-abc-team-a\/db2/,
  });
  t.ok(cp.find({ apiVersion: KLUTCH, kind: 'APIServiceNamespace' }, 'team-a', NS));
});

t.test('without --app-kubeconfig only the control plane is touched', async (t) => {
  const { cp } = healthyBinding();
  const r = await run(cp, undefined);
  t.notOk(acts(r).some((a) => a.side === 'app-cluster'));
  t.equal(r.appCluster, null);
  t.match(formatUnbind(r), /no --app-kubeconfig: control plane only/);
});

t.test('an APIServiceNamespace pointing outside <cluster-ns>-* is left alone, also by --purge', async (t) => {
  const { cp, app } = healthyBinding();
  cp.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceNamespace',
    metadata: { name: 'evil', namespace: NS },
    status: { namespace: 'kube-system' },
  });
  cp.add({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name: 'sys', namespace: 'kube-system' },
  });
  const r = await run(cp, app, { purge: true, yes: true });
  t.match(acts(r).find((a) => a.name === 'evil')!, { op: 'keep', note: /not a cluster-abc-\* namespace: left alone/ });
  t.ok(cp.find({ apiVersion: KLUTCH, kind: 'APIServiceNamespace' }, 'evil', NS));
  t.ok(cp.find(PG, 'sys', 'kube-system'));
  t.notOk(cp.calls.some((c) => c.namespace === 'kube-system'));
});

t.test(
  'an orphaning delete leaves the binding until the garbage collector frees its CRD: unbind waits; a run ' +
    'meanwhile does not delete it again',
  async (t) => {
    const { cp, app } = healthyBinding();
    const origDelete = app.delete.bind(app);
    app.delete = async (kind, name, ns, opts = {}) => {
      if (kind.kind !== 'APIServiceBinding' || opts.dryRun) return origDelete(kind, name, ns, opts);
      app.calls.push({ verb: 'delete', kind: kind.kind, name, propagationPolicy: opts.propagationPolicy });
      const b = app.find(kind, name, ns);
      if (!b) return 'gone';
      b.metadata!.deletionTimestamp = new Date().toISOString();
      setTimeout(() => {
        void origDelete(kind, name, ns);
      }, 40);
      return 'deleted';
    };
    const during = run(cp, app);
    await new Promise((r) => setTimeout(r, 10));
    const meanwhile = healthyBinding();
    // The same App Cluster, read while the first run waits: the binding is being deleted, not planned again.
    const second = await run(meanwhile.cp, app, { dryRun: true });
    t.notOk(
      acts(second).some((a) => a.kind === 'APIServiceBinding'),
      'a binding being deleted is not deleted again',
    );
    const r = await during;
    t.match(acts(r).find((a) => a.kind === 'APIServiceBinding')!, { result: 'deleted' });
    t.notOk(
      app.find({ apiVersion: KLUTCH, kind: 'APIServiceBinding' }, 'postgresqlinstances.anynines.com'),
      'gone when unbind returns',
    );
    t.ok(app.calls.filter((c) => c.verb === 'get' && c.kind === 'APIServiceBinding').length >= 2, 'waited for it');
  },
);

t.test(
  "the App Cluster's copies lose the konnector's finalizer (only it); the bound CRD is kept unless --delete-crds",
  async (t) => {
    const { cp, app } = healthyBinding();
    const r = await run(cp, app);
    t.same(app.find(PG, 'db1', 'team-a')!.metadata!.finalizers, ['other/keep'], 'only the syncer finalizer removed');
    t.match(acts(r).find((a) => a.side === 'app-cluster' && a.name === 'db1')!, {
      result: 'unmarked',
      note: /klutch\.anynines\.com\/syncer is removed/,
    });
    t.match(acts(r).find((a) => a.side === 'app-cluster' && a.name === 'db2')!, {
      op: 'keep',
      result: 'kept',
      note: /stays on the App Cluster with its CRD/,
    });
    t.notOk(
      app.calls.some((c) => c.verb === 'patch' && c.name === 'db2'),
      'a copy without it is listed as staying, not touched',
    );
    t.match(acts(r).find((a) => a.kind === 'CustomResourceDefinition' && a.op === 'keep')!, {
      result: 'kept',
      note: /stays with 2 object\(s\) of it on the App Cluster .*to remove it and them: kubectl delete crd postgresqlinstances\.anynines\.com \(or unbind with --delete-crds\)/,
    });
    t.match(acts(r).find((a) => a.side === 'app-cluster' && a.name === 'db1')!, {
      note: /^stays on the App Cluster with its CRD \(its claim on the control plane is kept\)/,
    });

    // --purge: the copies are left with no claim behind them; the report names each and how to remove them.
    const purged = healthyBinding();
    const p = await run(purged.cp, purged.app, { purge: true, yes: true, appKubeconfigPath: 'app.kubeconfig' });
    const left = acts(p).filter((a) => a.side === 'app-cluster' && a.kind === 'PostgresqlInstance');
    t.same(
      left.map((a) => `${a.namespace}/${a.name} ${a.result}`).sort(),
      ['team-a/db1 unmarked', 'team-a/db2 kept'],
      'every copy listed',
    );
    for (const a of left) t.match(a.note, /^left on the App Cluster: --purge deletes the claims on the control plane/);
    t.match(
      formatUnbind(p),
      /^kept +app-cluster +CustomResourceDefinition +postgresqlinstances\.anynines\.com\s[\s\S]*?kubectl\s+--kubeconfig\s+app\.kubeconfig\s+delete\s+crd\s+postgresqlinstances\.anynines\.com/m,
    );
    t.ok(purged.app.find(PG, 'db2', 'team-a'), 'and nothing deleted there without --delete-crds');

    const second = healthyBinding();
    const dry = await run(second.cp, second.app, { deleteCrds: true, dryRun: true });
    const real = await run(second.cp, second.app, { deleteCrds: true });
    t.match(acts(real).find((a) => a.kind === 'CustomResourceDefinition' && a.op === 'delete')!, {
      result: 'deleted',
      note: /owned by this binding's APIServiceBinding/,
    });
    t.notOk(
      second.app.find(
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
        'postgresqlinstances.anynines.com',
      ),
    );
    const order = second.app.calls
      .filter((c) => c.verb === 'delete' || c.verb === 'patch')
      .map((c) => `${c.verb} ${c.kind}`);
    t.ok(
      order.indexOf('patch PostgresqlInstance') < order.indexOf('delete CustomResourceDefinition'),
      'finalizers first, then the CRD',
    );
    t.same(deletedSet(real, 'deleted'), deletedSet(dry, 'would delete'));
    t.ok(second.cp.find(PG, 'db1', `${NS}-team-a`), 'the claims on the control plane stay');
    // A second run finds the (now absent) CRDs by the exports: nothing to do.
    t.ok((await run(second.cp, second.app, { deleteCrds: true })).nothingToDo);
  },
);

t.test(
  '--delete-crds: a CRD no APIServiceBinding of this binding owns is kept with its objects and their ' +
    'finalizers, and the report says why',
  async (t) => {
    const { cp, app } = healthyBinding();
    const CERT = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' };
    const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
    // An export named after a CRD the App Cluster has for another reason (cert-manager's), with objects the konnector
    // never made.
    cp.add({
      apiVersion: KLUTCH,
      kind: 'APIServiceExport',
      metadata: { name: 'certificates.cert-manager.io', namespace: NS },
      spec: {
        group: 'cert-manager.io',
        names: { plural: 'certificates', kind: 'Certificate' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    });
    app.add({
      ...CRD,
      metadata: { name: 'certificates.cert-manager.io' },
      spec: {
        group: 'cert-manager.io',
        names: { plural: 'certificates', kind: 'Certificate' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    });
    app.add({ ...CERT, metadata: { name: 'web', namespace: 'team-a', finalizers: ['klutch.anynines.com/syncer'] } });
    // A CRD named like a binding's API whose owner is an APIServiceBinding of that name, but not this one (another uid:
    // an earlier, deleted binding).
    const stale = app.add({
      ...CRD,
      metadata: {
        name: 'mariadbinstances.anynines.com',
        ownerReferences: [
          {
            apiVersion: KLUTCH,
            kind: 'APIServiceBinding',
            name: 'mariadbinstances.anynines.com',
            uid: 'uid-of-a-deleted-binding',
          },
        ],
      },
      spec: {
        group: 'anynines.com',
        names: { plural: 'mariadbinstances', kind: 'MariadbInstance' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    });
    cp.add({
      apiVersion: KLUTCH,
      kind: 'APIServiceExport',
      metadata: { name: 'mariadbinstances.anynines.com', namespace: NS },
      spec: stale.spec,
    });
    app.add({
      apiVersion: 'anynines.com/v1',
      kind: 'MariadbInstance',
      metadata: { name: 'm1', namespace: 'team-a', finalizers: ['klutch.anynines.com/syncer'] },
    });

    const r = await run(cp, app, { deleteCrds: true });
    t.ok(app.find(CRD, 'certificates.cert-manager.io'), 'the foreign CRD stays');
    t.same(
      app.find(CERT, 'web', 'team-a')!.metadata!.finalizers,
      ['klutch.anynines.com/syncer'],
      'its object untouched, finalizer and all',
    );
    t.ok(app.find(CRD, 'mariadbinstances.anynines.com'), 'a CRD owned by another APIServiceBinding (uid) stays');
    t.same(app.find({ apiVersion: 'anynines.com/v1', kind: 'MariadbInstance' }, 'm1', 'team-a')!.metadata!.finalizers, [
      'klutch.anynines.com/syncer',
    ]);
    t.notOk(
      app.calls.some(
        (c) =>
          (c.verb === 'delete' || c.verb === 'patch') &&
          (c.kind === 'Certificate' ||
            c.kind === 'MariadbInstance' ||
            (c.kind === 'CustomResourceDefinition' && c.name !== 'postgresqlinstances.anynines.com')),
      ),
      'no delete or patch reached them',
    );
    t.match(acts(r).find((a) => a.kind === 'CustomResourceDefinition' && a.name === 'certificates.cert-manager.io')!, {
      op: 'keep',
      result: 'kept',
      note: /not provably this binding's: no APIServiceBinding of this binding owns it/,
    });
    t.match(acts(r).find((a) => a.kind === 'CustomResourceDefinition' && a.name === 'mariadbinstances.anynines.com')!, {
      op: 'keep',
      result: 'kept',
      note: /not provably this binding's/,
    });
    t.match(
      acts(r).find(
        (a) =>
          a.kind === 'CustomResourceDefinition' && a.name === 'postgresqlinstances.anynines.com' && a.op === 'delete',
      )!,
      { result: 'deleted' },
      "the binding's own CRD is deleted",
    );
    t.match(
      formatUnbind(r),
      /^kept +app-cluster +CustomResourceDefinition +certificates\.cert-manager\.io\s+not provably this binding's/m,
    );
    t.equal(refusalError(r), undefined, 'keeping is no failure: exit 0');
  },
);

t.test(
  'a CRD an earlier unbind orphaned (and recorded) is deleted by a later --delete-crds; one it did not record is kept',
  async (t) => {
    const { cp, app } = healthyBinding();
    const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
    await run(cp, app);
    // What the App Cluster's garbage collector does on an orphaning delete: the ownerReference goes.
    const crd = app.find(CRD, 'postgresqlinstances.anynines.com')!;
    delete crd.metadata!.ownerReferences;
    const kept = healthyBinding();
    await run(kept.cp, kept.app);
    const keptCrd = kept.app.find(CRD, 'postgresqlinstances.anynines.com')!;
    delete keptCrd.metadata!.ownerReferences;
    delete keptCrd.metadata!.annotations;

    const later = await run(cp, app, { deleteCrds: true });
    t.match(acts(later).find((a) => a.kind === 'CustomResourceDefinition')!, {
      op: 'delete',
      result: 'deleted',
      note: /recorded by an earlier unbind of cluster-abc/,
    });
    t.notOk(app.find(CRD, 'postgresqlinstances.anynines.com'));
    const refused = await run(kept.cp, kept.app, { deleteCrds: true });
    t.match(acts(refused).find((a) => a.kind === 'CustomResourceDefinition')!, {
      op: 'keep',
      result: 'kept',
      note: /not provably this binding's: no APIServiceBinding of this binding owns it, and no unbind of cluster-abc recorded it/,
    });
    t.ok(kept.app.find(CRD, 'postgresqlinstances.anynines.com'));
  },
);

t.test("a namespace without the backend's ClusterBinding is not a binding: exit 3, nothing touched", async (t) => {
  const { cp, app } = healthyBinding();
  cp.objects.delete([...cp.objects.keys()].find((k) => k.includes('|ClusterBinding|'))!);
  await t.rejects(run(cp, app, { purge: true, yes: true }), {
    exitCode: 3,
    message:
      /namespace cluster-abc .* holds no ClusterBinding "cluster": it is not a binding's cluster namespace; nothing was changed/,
  });
  t.notOk([...cp.calls, ...app.calls].some((c) => c.verb === 'delete' || c.verb === 'patch'));
});

t.test('a ClusterBinding the kubeconfig may not read: exit 3, nothing touched', async (t) => {
  const { cp, app } = healthyBinding();
  cp.rule = (c) => (c.kind === 'ClusterBinding' ? 'forbid' : undefined);
  await t.rejects(run(cp, app), {
    exitCode: 3,
    message: /may not read its ClusterBinding \(403\); nothing was changed/,
  });
  t.notOk([...cp.calls, ...app.calls].some((c) => c.verb === 'delete' || c.verb === 'patch'));
});

t.test(
  "the command's flow through its injected Kubernetes factory: the report for stdout, no error; -o json",
  async (t) => {
    const { unbindFlow } = await import('../../../src/flows/unbind.ts');
    const { unbindOptions } = await import('../../../src/options/unbind.ts');
    const { cp, app } = healthyBinding();
    const seen: Array<Record<string, unknown>> = [];
    const kube = {
      connect: (o: Record<string, unknown>) => {
        seen.push(o);
        return {
          provider: { namespace: NS, server: 'https://127.0.0.1:6443' },
          credential: { type: 'token' as const },
          cp,
          app,
        };
      },
    };
    const out = await unbindFlow(
      viaLib(
        unbindOptions(
          {
            kubeconfig: 'p.kfg',
            'app-kubeconfig': 'app',
            output: 'json',
            timeout: '1m',
            'request-timeout': '5s',
            retries: 0,
          },
          {},
        ),
      ),
      { kube: kube as never, confirm: undefined, pollMs: 1 },
    );
    t.equal(out.error, undefined);
    t.match(JSON.parse(out.stdout!), { kind: 'UnbindReport', clusterNamespace: NS, purge: false });
    t.match(
      seen[0],
      { kubeconfig: 'p.kfg', appKubeconfig: 'app', explicitKubeconfig: true },
      'the provider kubeconfig must be named',
    );
  },
);

t.test('a refused deletion: the report still for stdout, then exit 6', async (t) => {
  const { unbindFlow } = await import('../../../src/flows/unbind.ts');
  const { unbindOptions } = await import('../../../src/options/unbind.ts');
  const { cp, app } = healthyBinding();
  cp.rule = (c) => (c.verb === 'delete' && c.kind === 'APIServiceExportRequest' ? 'forbid' : undefined);
  const kube = {
    connect: () => ({
      provider: { namespace: NS, server: 'https://127.0.0.1:6443' },
      credential: { type: 'token' as const },
      cp,
      app,
    }),
  };
  const out = await unbindFlow(
    viaLib(
      unbindOptions(
        { kubeconfig: 'p.kfg', 'app-kubeconfig': 'app', timeout: '1m', 'request-timeout': '5s', retries: 0 },
        {},
      ),
    ),
    { kube: kube as never, confirm: undefined, pollMs: 1 },
  );
  t.match(out.stdout, /refused/);
  t.equal(out.error?.exitCode, 6);
});

t.test(
  "whether it may ask is the options' interactive, not the flow's own look at the terminal: --purge without " +
    'it needs --yes',
  async (t) => {
    const { unbindFlow } = await import('../../../src/flows/unbind.ts');
    const { unbindOptions } = await import('../../../src/options/unbind.ts');
    const { unbindFlowOptions } = await import('../../../src/lib/unbind.ts');
    const { cp, app } = healthyBinding();
    const kube = {
      connect: () => ({
        provider: { namespace: NS, server: 'https://127.0.0.1:6443' },
        credential: { type: 'token' as const },
        cp,
        app,
      }),
    };
    const argv = { kubeconfig: 'p.kfg', purge: true, timeout: '1m', 'request-timeout': '5s', retries: 0 };
    t.equal(unbindOptions(argv, {}, true).input.confirm !== undefined, true, 'on a terminal the CLI may ask');
    const cli = unbindOptions(argv, {}, false);
    t.equal(cli.input.confirm, undefined, 'without one it may not');
    await t.rejects(unbindFlow(unbindFlowOptions(cli.input, cli.format), { kube: kube as never, pollMs: 1 }), {
      exitCode: 2,
      message: /without a terminal it needs --yes/,
    });
    t.notOk(
      cp.calls.some((c) => c.verb === 'delete'),
      'nothing deleted',
    );
  },
);

t.test(
  'each thing printed once: the report on stdout, the hints after it on stderr (text) or in the JSON',
  async (t) => {
    const { unbindFlow } = await import('../../../src/flows/unbind.ts');
    const { unbindOptions } = await import('../../../src/options/unbind.ts');
    const { unbindFlowOptions } = await import('../../../src/lib/unbind.ts');
    const lines = captureLog(t);
    const flow = async (output: string) => {
      const { cp, app } = healthyBinding();
      const kube = {
        connect: () => ({
          provider: { namespace: NS, server: 'https://127.0.0.1:6443' },
          credential: { type: 'token' as const },
          cp,
          app,
        }),
      };
      const flags = { kubeconfig: 'p.kfg', 'app-kubeconfig': 'app.kfg', timeout: '1m', 'request-timeout': '5s' };
      const cli = unbindOptions({ ...flags, output, retries: 0 }, {});
      return unbindFlow(unbindFlowOptions(cli.input, cli.format), {
        kube: kube as never,
        confirm: undefined,
        pollMs: 1,
      });
    };
    const text = await flow('text');
    t.notMatch(text.stdout, /hint/, 'no hint on stdout');
    t.match(text.stdout, /^deleted +app-cluster +Deployment +klutch-bind\/konnector/m, 'the action in the report');
    t.match(text.notes, [
      /^hint: 2 claim\(s\) stay/,
      /^hint: to re-bind .*`helper apply -f all\.yaml --kubeconfig app\.kfg`/,
    ]);
    t.notOk(
      lines.some((l) => /^info: (deleted|unmarked|marked) /.test(l)),
      `no progress line per action without -v: ${JSON.stringify(lines)}`,
    );
    t.ok(
      lines.some((l) => /^debug: deleted Deployment klutch-bind\/konnector/.test(l)),
      'the progress at -v (debug)',
    );
    const json = await flow('json');
    t.equal(json.notes, undefined, 'no notes with -o json');
    t.match(JSON.parse(json.stdout!).hints, [/^2 claim\(s\)/, /^to re-bind/]);
  },
);
