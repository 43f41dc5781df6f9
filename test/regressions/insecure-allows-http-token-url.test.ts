/**
 * Bug (issue 20, finding 6): --insecure-skip-tls-verify also allowed an
 * http:// OIDC_TOKEN_URL, so the client secret (or a client assertion) went
 * over the network in clear. Skipping certificate verification is a choice
 * about trust, not about encryption: the token endpoint stays https-only,
 * and the refusal names the variable before anything is sent.
 */
import t from 'tap';
import { MockAgent } from 'undici';
import { fetchToken } from '../../src/token/client-credentials.ts';

t.test('an http:// token URL is refused even with --insecure-skip-tls-verify, nothing sent', async (t) => {
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  let sent = 0;
  a.get('http://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply(() => {
      sent++;
      return {
        statusCode: 200,
        data: JSON.stringify({ access_token: 'tok', token_type: 'Bearer' }),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    })
    .persist();
  const creds = { clientId: 'ci-bot', clientSecret: 's3cr3t-value', tokenUrl: 'http://idp.test/token' };
  await t.rejects(fetchToken(creds, { dispatcher: a, timeoutMs: 1000, attempts: 1, insecure: true }), {
    exitCode: 3,
    code: 'HELPER_TOKEN_URL',
    message: /^OIDC_TOKEN_URL must be an https:\/\/ URL \(got http:\/\/idp\.test\)/,
  });
  t.equal(sent, 0, 'nothing went to the token endpoint');
});
