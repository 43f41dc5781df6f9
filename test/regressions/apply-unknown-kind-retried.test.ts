/**
 * Bug: when the API server does not serve an object's kind, client-node
 * throws "Unrecognized API version and kind" before sending anything; apply
 * took that for a network error and retried it 3 times with backoff, then
 * reported "cannot reach" a server it had just reached. It is now a final
 * HELPER_CLUSTER_UNKNOWN_KIND naming the kind, and a read of such a kind is
 * "absent" like a 404. Found while moving apply's retries into callApi.
 */
import t from 'tap';
import { ClusterError } from '../../src/errors.ts';
import { apiFailure, callApi, retryDecision } from '../../src/kube/transport.ts';

const unknown = () => new Error('Unrecognized API version and kind: dataservices.anynines.com/v1 ProviderConfig');

t.test('not retried; the message names the kind and asks about its CRD', async (t) => {
  let calls = 0;
  const err = await callApi(
    { server: 'control plane 127.0.0.1:1', action: 'apply ProviderConfig pg' },
    { requestTimeoutMs: 1000, attempts: 4, baseDelayMs: 1 },
    async () => {
      calls++;
      throw unknown();
    },
  ).catch((e: unknown) => e);
  t.equal(calls, 1);
  t.ok(err instanceof ClusterError);
  t.equal((err as ClusterError).code, 'HELPER_CLUSTER_UNKNOWN_KIND');
  t.equal(
    (err as ClusterError).message,
    'control plane 127.0.0.1:1 cannot apply ProviderConfig pg: it does not serve ' +
      'dataservices.anynines.com/v1 ProviderConfig (is its CustomResourceDefinition installed?)',
  );
  t.equal(retryDecision(err).retry, false);
});

t.test('reads see it as absent (404)', async (t) => {
  t.equal(apiFailure(unknown()).status, 404);
  t.equal(apiFailure(new Error('connect ECONNREFUSED 127.0.0.1:1')).status, undefined);
});
