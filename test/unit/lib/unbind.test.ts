/** lib/unbind.ts: unbind's input → the flow's options; the library never asks on a terminal by itself. */
import t from 'tap';
import { unbind, unbindFlowOptions } from '../../../src/lib/unbind.ts';

t.test('defaults: nothing purged, no dry run, 5 min', async (t) => {
  t.match(unbindFlowOptions({ kubeconfig: 'p' }), {
    kubeconfig: 'p',
    env: {},
    purge: false,
    deleteCrds: false,
    dryRun: false,
    yes: false,
    timeoutMs: 300_000,
    attempts: 4,
  });
});

t.test('purge without yes or confirm: a usage error before anything is read', async (t) => {
  await t.rejects(unbind({ kubeconfig: '/nonexistent/p.kfg', purge: true }), {
    exitCode: 2,
    message: /without a terminal it needs --yes/,
  });
  await t.rejects(unbind({ kubeconfig: '/nonexistent/p.kfg', purge: true, yes: true }), {
    code: 'HELPER_KUBECONFIG_READ',
  });
});
