/**
 * unbind's report: -o json validated against schemas/unbind.schema.json for every kind of run (default, dry run,
 * purge, --delete-crds, refused, a second run), without the plan's internal fields; the schema can fail.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { unbindFlow as viaLib } from '../../helpers/cli-options.ts';
import { unbindFlow } from '../../../src/flows/unbind.ts';
import { log } from '../../../src/log.ts';
import { unbindOptions } from '../../../src/options/unbind.ts';
import { unbindError, unbindJson, unbindReport } from '../../../src/unbind/report.ts';
import { newAjv } from '../../../src/validate/ajv.ts';
import { healthyBinding, NS } from '../../helpers/flow-fakes.ts';
import type { MemoryCluster } from '../../helpers/memory-cluster.ts';

const validate = newAjv().compile(
  JSON.parse(readFileSync(new URL('../../../schemas/unbind.schema.json', import.meta.url), 'utf8')) as object,
);

async function json(cp: MemoryCluster, app: MemoryCluster, argv: Record<string, unknown>) {
  const kube = {
    connect: () => ({
      provider: { namespace: NS, server: 'https://127.0.0.1:6443' },
      credential: { type: 'token' as const },
      cp,
      app,
    }),
  };
  const opts = unbindOptions(
    {
      kubeconfig: 'p.kfg',
      'app-kubeconfig': 'app',
      output: 'json',
      timeout: '1m',
      'request-timeout': '5s',
      retries: 0,
      ...argv,
    },
    {},
  );
  const out = await unbindFlow(viaLib(opts), { kube: kube as never, confirm: undefined, pollMs: 1 });
  return {
    doc: JSON.parse(out.stdout!) as { items: Array<Record<string, unknown>>; nothingToDo: boolean },
    error: out.error,
  };
}

t.test('-o json follows schemas/unbind.schema.json in every kind of run, with no internal field', async (t) => {
  const orig = log.log.bind(log);
  log.log = () => {};
  t.teardown(() => {
    log.log = orig;
  });
  const runs: Array<[string, Record<string, unknown>, (cp: MemoryCluster) => void]> = [
    ['default', {}, () => {}],
    ['dry run purge', { purge: true, yes: true, 'dry-run': 'server' }, () => {}],
    ['purge', { purge: true, yes: true }, () => {}],
    ['--delete-crds', { 'delete-crds': true }, () => {}],
    [
      'refused',
      { purge: true, yes: true },
      (cp) => {
        cp.rule = (c) => (c.verb === 'delete' && c.name === 'db2' ? 'forbid' : undefined);
      },
    ],
  ];
  for (const [what, argv, setup] of runs) {
    const { cp, app } = healthyBinding();
    setup(cp);
    for (const pass of ['first', 'second']) {
      const { doc } = await json(cp, app, argv);
      t.ok(validate(doc), `${what}, ${pass} run: ${JSON.stringify(validate.errors)}`);
      t.notOk(
        doc.items.some((a) => 'step' in a || 'patch' in a || 'propagationPolicy' in a),
        `${what}, ${pass} run: no internal field`,
      );
    }
  }
});

t.test('the schema can fail: an internal field or an unknown result is refused', async (t) => {
  const { cp, app } = healthyBinding();
  const { doc } = await json(cp, app, {});
  t.ok(validate(doc));
  t.notOk(validate({ ...doc, items: [{ ...doc.items[0], step: 'konnector' }] }), 'step is not part of the output');
  t.notOk(validate({ ...doc, items: [{ ...doc.items[0], result: 'fine' }] }), 'an unknown result');
});

t.test('the verdict: done, dry run, nothing to do, or incomplete (exit 6 naming what remains)', async (t) => {
  const w = {
    cp: { server: 'control plane 127.0.0.1:6443' } as never,
    clusterNamespace: NS,
    kubeconfigPath: 'p',
    purge: false,
    dryRun: false,
  };
  const keep = {
    side: 'control-plane' as const,
    apiVersion: 'v1',
    kind: 'Namespace',
    name: NS,
    op: 'keep' as const,
    step: 'kept' as const,
    result: 'kept' as const,
  };
  const del = { ...keep, kind: 'Secret', name: 's', namespace: 'n', op: 'delete' as const, step: 'app' as const };
  t.equal(unbindReport(w, [keep]).verdict, 'nothing to do');
  t.equal(unbindReport(w, [keep, { ...del, result: 'deleted' }]).verdict, 'done');
  t.equal(unbindReport({ ...w, dryRun: true }, [{ ...del, result: 'would delete' }]).verdict, 'dry run');
  const refused = unbindReport(w, [{ ...del, result: 'refused', message: 'no' }]);
  t.equal(refused.verdict, 'incomplete');
  t.match(unbindError(refused), {
    code: 'HELPER_UNBIND_REFUSED',
    exitCode: 6,
    status: 403,
    message: /refused Secret n\/s \(control plane\); these remain$/,
  });
  t.equal(unbindReport(w, [keep]).controlPlane.server, '127.0.0.1:6443');
  t.same(unbindJson(refused).items, [
    {
      side: 'control-plane',
      apiVersion: 'v1',
      kind: 'Secret',
      name: 's',
      namespace: 'n',
      op: 'delete',
      result: 'refused',
      message: 'no',
    },
  ]);
});

t.test('text and JSON in the one shape: a header row, four one-word columns, the envelope with counts', async (t) => {
  const orig = log.log.bind(log);
  log.log = () => {};
  t.teardown(() => {
    log.log = orig;
  });
  const { cp, app } = healthyBinding();
  const { doc } = await json(cp, app, { purge: true, yes: true, 'dry-run': 'server' });
  const d = doc as unknown as Record<string, unknown> & { counts: Record<string, number> };
  t.same(Object.keys(d).slice(0, 5), ['schemaVersion', 'kind', 'verdict', 'counts', 'items'], 'the envelope');
  t.match(d, { schemaVersion: 2, kind: 'UnbindReport', verdict: 'dry run' });
  t.equal(
    Object.values(d.counts).reduce((a, b) => a + b, 0),
    doc.items.length,
    'counts add up to the items',
  );
  t.ok(d.counts['would delete']! > 0, 'counted by result');

  const { cp: cp2, app: app2 } = healthyBinding();
  const text = await unbindFlow(
    viaLib(
      unbindOptions(
        {
          kubeconfig: 'p.kfg',
          'app-kubeconfig': 'app',
          output: 'text',
          timeout: '1m',
          'request-timeout': '5s',
          retries: 0,
          'dry-run': 'server',
        },
        {},
      ),
    ),
    {
      kube: {
        connect: () => ({
          provider: { namespace: NS, server: 'https://127.0.0.1:6443' },
          credential: { type: 'token' as const },
          cp: cp2,
          app: app2,
        }),
      } as never,
      confirm: undefined,
      pollMs: 1,
    },
  );
  const lines = text.stdout!.split('\n');
  t.match(lines[0], /^VERDICT +SIDE +KIND +NAME +DETAIL$/, 'a header row first');
  const rows = lines.slice(1, lines.indexOf('')).filter((l) => /^\S/.test(l));
  t.ok(rows.length > 3, 'rows');
  for (const r of rows) {
    const f = r.split(/ +/);
    t.ok(f.length >= 4 && ['control-plane', 'app-cluster'].includes(f[1]!), `awk fields: ${r}`);
  }
  t.ok(
    rows.some((r) => r.startsWith('would-delete ')),
    'a two-word verdict is one field',
  );
  t.ok(
    lines.every((l) => l.length <= 120 || !/\s/.test(l.trim()) || l.startsWith('hint: ') || l.startsWith('unbind ')),
    'no table line over 120',
  );
});
