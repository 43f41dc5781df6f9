/** unbind's options: what argv and env become, and its usage errors. */
import t from 'tap';
import { unbindOptions } from '../../../src/options/unbind.ts';

const calls = { 'request-timeout': '30s', retries: 3 };
const env = { KUBECONFIG: 'a:b' };

t.test('unbind: --delete-crds needs --app-kubeconfig', async (t) => {
  t.match(
    unbindOptions({ kubeconfig: 'p', purge: true, yes: true, 'dry-run': 'server', timeout: '5m', ...calls }, env),
    { input: { kubeconfig: 'p', purge: true, yes: true, dryRun: true, deleteCrds: false, timeoutMs: 300_000 } },
  );
  t.throws(() => unbindOptions({ kubeconfig: 'p', 'delete-crds': true, timeout: '5m', ...calls }, env), {
    exitCode: 2,
    message: '--delete-crds deletes the bound CRDs on the App Cluster: it needs --app-kubeconfig',
  });
});
