/** create-ns's options: what argv and env become, and its usage errors. */
import t from 'tap';
import { createNsOptions } from '../../../src/options/create-ns.ts';

const calls = { 'request-timeout': '30s', retries: 3 };
const env = { KUBECONFIG: 'a:b' };

t.test('create-ns', async (t) => {
  const o = createNsOptions({ kubeconfig: 'p.kfg', name: 'team-a', timeout: '60s', output: 'json', ...calls }, env);
  t.same(o, {
    kubeconfig: 'p.kfg',
    context: undefined,
    env,
    name: 'team-a',
    format: 'json',
    timeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    attempts: 4,
    caFile: undefined,
    insecure: false,
  });
  t.ok(Object.isFrozen(o));
  t.throws(() => createNsOptions({ name: 'x', timeout: '60s', ...calls, retries: 99 }, env), {
    exitCode: 2,
    message: /--retries/,
  });
});
