/** lib/status.ts: status's input → the flow's options (the CLI's flag defaults), and a call that writes nothing. */
import t from 'tap';
import { status, statusFlowOptions } from '../../../src/lib/status.ts';

t.test('defaults: 30 s for the report, 3 retries of 30 s calls, no environment', async (t) => {
  t.same(statusFlowOptions({ appKubeconfig: 'app' }), {
    kubeconfig: undefined,
    context: undefined,
    env: {},
    appKubeconfig: 'app',
    format: 'json',
    timeoutMs: 30_000,
    caFile: undefined,
    insecure: false,
    requestTimeoutMs: 30_000,
    attempts: 4,
  });
  t.equal(statusFlowOptions({ timeoutMs: 5, retries: 0 }, 'text').attempts, 1);
});

t.test('a kubeconfig that cannot be read: InputError naming it', async (t) => {
  await t.rejects(status({ kubeconfig: '/nonexistent/provider.kfg.yaml' }), {
    code: 'HELPER_KUBECONFIG_READ',
    exitCode: 3,
    message: /\/nonexistent\/provider\.kfg\.yaml: no such file/,
  });
});
