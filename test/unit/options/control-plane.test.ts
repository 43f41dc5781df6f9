/** The control-plane sub-verbs' flag group: the cluster options they share, and how their TLS and key flags are worded.
 * */
import t from 'tap';
import { clusterOptions, KEY_OPTIONS, TLS_OPTIONS } from '../../../src/options/control-plane.ts';

t.test('clusterOptions: kubeconfig and context, the call policy, the TLS flags, the environment', async (t) => {
  const env = { KUBECONFIG: '/k' };
  t.same(
    clusterOptions(
      {
        kubeconfig: 'cp.kubeconfig',
        context: 'admin',
        'request-timeout': '10s',
        retries: 2,
        'ca-file': 'ca.pem',
        'insecure-skip-tls-verify': false,
      },
      env,
    ),
    {
      kubeconfig: 'cp.kubeconfig',
      context: 'admin',
      env,
      requestTimeoutMs: 10_000,
      attempts: 3,
      caFile: 'ca.pem',
      insecure: false,
    },
  );
  t.throws(() => clusterOptions({ 'request-timeout': 'soon', retries: 3 }, {}), {
    exitCode: 2,
    message: /--request-timeout "soon" is not a duration/,
  });
});

t.test("the flags name the control plane's API and the cookie keys", async (t) => {
  t.equal(
    TLS_OPTIONS['ca-file'].describe,
    "extra PEM CA bundle trusted for the control plane's API (env HELPER_CA_FILE)",
  );
  t.equal(
    TLS_OPTIONS['insecure-skip-tls-verify'].describe,
    "do not verify the control plane's TLS certificate (prints a warning)",
  );
  t.same(Object.keys(KEY_OPTIONS), ['previous', 'seed']);
});
