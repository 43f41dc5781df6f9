/** status's options: what argv and env become, and its usage errors. */
import t from 'tap';
import { statusOptions } from '../../../src/options/status.ts';

const calls = { 'request-timeout': '30s', retries: 3 };
const env = { KUBECONFIG: 'a:b' };

t.test('status', async (t) => {
  t.match(statusOptions({ 'app-kubeconfig': 'app', timeout: '30s', ...calls }, env), {
    input: { kubeconfig: undefined, appKubeconfig: 'app', timeoutMs: 30_000, retries: 3, env },
    format: 'text',
  });
});
