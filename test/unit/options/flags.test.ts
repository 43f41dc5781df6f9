/** The shared flag groups: one default each (--retries: the two documented ones), the readers of their values. */
import t from 'tap';
import {
  CALL_OPTIONS,
  RETRIES_DEFAULT,
  callOptions,
  callPolicyOf,
  checkRetries,
  isDryRun,
  tlsOf,
  waitBindingsMs,
} from '../../../src/options/flags.ts';

t.test(
  '--retries: 4 for bootstrap-env, 3 for the commands that only call API servers; the same bound for both',
  async (t) => {
    t.equal(callOptions('bootstrap-env').retries.default, 4);
    t.equal(CALL_OPTIONS.retries.default, 3);
    t.same(RETRIES_DEFAULT, { 'bootstrap-env': 4, api: 3 });
    t.equal(callOptions('bootstrap-env')['request-timeout'].default, CALL_OPTIONS['request-timeout'].default);
    for (const bad of [-1, 21, 1.5, 'x'])
      t.throws(() => checkRetries(bad), { exitCode: 2, message: '--retries must be a whole number from 0 to 20' });
    t.equal(checkRetries(undefined), true);
  },
);

t.test('callPolicyOf: attempts = 1 + retries, the request timeout in ms; a bad value is a usage error', async (t) => {
  t.same(callPolicyOf({ retries: 0, 'request-timeout': '2s' }), { requestTimeoutMs: 2000, attempts: 1 });
  t.throws(() => callPolicyOf({ retries: 3, 'request-timeout': 'x' }), { exitCode: 2, message: /--request-timeout/ });
  t.throws(
    () => callPolicyOf({ retries: 30, 'request-timeout': 'x' }),
    { message: /--retries/ },
    '--retries is checked first',
  );
});

t.test('tlsOf, isDryRun, waitBindingsMs', async (t) => {
  t.same(tlsOf({}), { caFile: undefined, insecure: false });
  t.same(tlsOf({ 'ca-file': 'ca.pem', 'insecure-skip-tls-verify': true }), { caFile: 'ca.pem', insecure: true });
  t.equal(isDryRun({ 'dry-run': 'server' }), true);
  t.equal(isDryRun({ 'dry-run': 'none' }), false);
  t.equal(waitBindingsMs({}), undefined);
  t.equal(waitBindingsMs({ 'wait-bindings': '90s' }), 90_000);
});
