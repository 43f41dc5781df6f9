/** Carrying out unbind's plan: results per action, dry run, refusals, and the bounded wait (the flow's branches:
 * test/unit/flows/unbind.test.ts). */
import t from 'tap';
import { log } from '../../../src/log.ts';
import { actionLabel, executePlan } from '../../../src/unbind/execute.ts';
import { planUnbind } from '../../../src/unbind/plan.ts';
import { healthyBinding, NS } from '../../helpers/flow-fakes.ts';

t.beforeEach(() => {
  const orig = log.log.bind(log);
  log.log = () => {};
  return () => {
    log.log = orig;
  };
});

t.test('a dry run fills every result with would-*, kept or gone, and changes nothing', async (t) => {
  const { cp, app } = healthyBinding();
  const plan = await planUnbind({ cp, app, clusterNamespace: NS, purge: true });
  await executePlan({ cp, app, purge: true, dryRun: true, deadline: Date.now() + 5000, pollMs: 1 }, plan);
  t.ok(
    plan.every((a) => a.result && /^(would |kept$|gone$)/.test(a.result)),
    plan.map((a) => a.result).join(', '),
  );
  t.ok(
    [...cp.calls, ...app.calls]
      .filter((c) => c.verb === 'delete' || c.verb === 'patch')
      .every((c) => (c as { dryRun?: boolean }).dryRun !== false),
  );
});

t.test("a refused claim: refused with the server's message, the APIServiceNamespaces skipped", async (t) => {
  const { cp, app } = healthyBinding();
  cp.rule = (c) => (c.verb === 'delete' && c.name === 'db1' ? 'forbid' : undefined);
  const plan = await planUnbind({ cp, app, clusterNamespace: NS, purge: true });
  await executePlan({ cp, app, purge: true, dryRun: false, deadline: Date.now() + 5000, pollMs: 1 }, plan);
  t.match(
    plan.find((a) => a.side === 'control-plane' && a.name === 'db1'),
    { result: 'refused', message: /403/ },
  );
  t.match(
    plan.find((a) => a.kind === 'APIServiceNamespace'),
    { result: 'skipped' },
  );
  t.equal(
    actionLabel(plan.find((a) => a.side === 'control-plane' && a.name === 'db1')!),
    `PostgresqlInstance ${NS}-team-a/db1 (control plane)`,
  );
});

t.test('a wait past the deadline stops with what is still there', async (t) => {
  const { cp, app } = healthyBinding();
  const plan = await planUnbind({ cp, app, clusterNamespace: NS, purge: false });
  app.get = async (kind) => (kind.kind === 'Pod' ? undefined : { metadata: { name: 'still' } });
  app.list = async (kind) =>
    kind.kind === 'Pod' ? [{ metadata: { name: 'konnector-1' }, status: { phase: 'Running' } }] : [];
  await t.rejects(executePlan({ cp, app, purge: false, dryRun: false, deadline: Date.now() - 1, pollMs: 1 }, plan), {
    code: 'HELPER_UNBIND_TIMEOUT',
    message: /konnector's pods to stop; still there: konnector-1 \(Running\)/,
  });
});
