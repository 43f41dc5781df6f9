/** options/lib.ts: the call flags as the library takes them (retries, not attempts). */
import t from 'tap';
import { libCalls } from '../../../src/options/lib.ts';

t.test('--retries and --request-timeout, --ca-file only when given', async (t) => {
  t.same(libCalls({ requestTimeoutMs: 5000, attempts: 4 }, { caFile: undefined, insecure: false }), {
    requestTimeoutMs: 5000,
    retries: 3,
    insecure: false,
  });
  t.same(libCalls({ requestTimeoutMs: 1, attempts: 1 }, { caFile: 'ca.pem', insecure: true }), {
    requestTimeoutMs: 1,
    retries: 0,
    insecure: true,
    caFile: 'ca.pem',
  });
});
