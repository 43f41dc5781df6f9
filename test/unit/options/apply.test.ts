/** apply's options: what argv and env become, and its usage errors. */
import t from 'tap';
import { applyOptions } from '../../../src/options/apply.ts';

const calls = { 'request-timeout': '30s', retries: 3 };
const env = { KUBECONFIG: 'a:b' };

t.test('apply', async (t) => {
  const o = applyOptions({ file: '-', timeout: '2m', 'dry-run': 'server', 'wait-bindings': '5m', ...calls }, env);
  t.match(o, { file: '-', dryRun: true, timeoutMs: 120_000, waitBindingsMs: 300_000, attempts: 4, env });
  t.throws(() => applyOptions({ file: 'a', timeout: 'later', ...calls }, env), { exitCode: 2, message: /--timeout/ });
});
