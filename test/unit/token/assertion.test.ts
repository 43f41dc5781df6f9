/** A federated assertion: the file's JWT, its claims for explaining a refusal (exp/nbf against the clock, aud against
 * the token endpoint), its digest. */
import t from 'tap';
import { assertionOf, assertionProblems, claimsOf, digestOf } from '../../../src/token/assertion.ts';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
export const jwt = (claims: object) => `${b64({ alg: 'RS256', kid: 'k' })}.${b64(claims)}.c2ln`;
const URL_ = 'https://idp.test/oauth2/token';

t.test(
  'the file holds one JWT; whitespace around it is dropped; anything else is exit 3 naming the file',
  async (t) => {
    const j = jwt({ sub: 'x', exp: 1 });
    t.equal(assertionOf(Buffer.from(`  ${j}\n`), 'a.jwt'), j);
    t.throws(() => assertionOf(Buffer.from('\n'), 'a.jwt'), {
      exitCode: 3,
      code: 'HELPER_CLIENT_ASSERTION',
      message: 'client assertion file a.jwt is empty',
    });
    t.throws(() => assertionOf(Buffer.from('not-a-jwt'), 'a.jwt'), {
      exitCode: 3,
      message: /^client assertion file a\.jwt does not hold a JWT/,
    });
    t.throws(
      () => assertionOf(Buffer.from('e30.bm90IGpzb24.c2ln'), 'a.jwt'),
      { exitCode: 3, message: /does not hold a JWT/ },
      'claims that are not JSON',
    );
  },
);

t.test('problems: expired, not yet valid, aud not the token endpoint; none for a good one', async (t) => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  const s = now / 1000;
  t.same(assertionProblems(claimsOf(jwt({ exp: s + 600, nbf: s - 5, aud: URL_ }))!, now, URL_), []);
  t.same(assertionProblems(claimsOf(jwt({ exp: s - 300, aud: [URL_, 'x'] }))!, now, URL_), [
    "the assertion expired: exp 2026-12-07T11:55:00Z is 5m before this machine's clock (2026-12-07T12:00:00Z)",
  ]);
  t.same(assertionProblems(claimsOf(jwt({ exp: s + 3600, nbf: s + 7200, aud: URL_ }))!, now, URL_), [
    "the assertion is not valid yet: nbf 2026-12-07T14:00:00Z is 2h after this machine's clock (2026-12-07T12:00:00Z)",
  ]);
  t.same(assertionProblems(claimsOf(jwt({ exp: s + 60, aud: 'klutch' }))!, now, URL_), [
    `the assertion's aud ["klutch"] does not name the token endpoint "${URL_}"`,
  ]);
  t.same(
    assertionProblems(
      claimsOf(jwt({ exp: s + 60, aud: 'api://AzureADTokenExchange' }))!,
      now,
      URL_,
      'client_credentials',
    ),
    [
      `the assertion's aud is ["api://AzureADTokenExchange"], not the token endpoint "${URL_}": is it the ` +
        `audience this provider expects?`,
    ],
    'as a client assertion the audience varies by provider',
  );
});

t.test('the digest recognises the same assertion, never holds it', async (t) => {
  const j = jwt({ jti: '1' });
  t.equal(digestOf(j), digestOf(j));
  t.not(digestOf(j), digestOf(jwt({ jti: '2' })));
  t.notMatch(digestOf(j), j.slice(0, 10));
  t.equal(claimsOf('garbage'), undefined);
});
