import t from 'tap';
import { Agent } from 'undici';
import { TokenSource } from '../../../src/token/token-source.ts';
import type { fetchToken } from '../../../src/token/client-credentials.ts';

t.test('one fetch for concurrent callers, a new one when the token nears expiry', async (t) => {
  let now = 0;
  let calls = 0;
  const fake: typeof fetchToken = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 5));
    return { accessToken: `token-number-${calls}`, expiresAt: now + 300_000, method: 'client_secret_basic' };
  };
  const dispatcher = new Agent();
  t.teardown(() => dispatcher.close());
  const src = new TokenSource(
    { clientId: 'c', clientSecret: 's', tokenUrl: 'https://idp.example/token' },
    { dispatcher, timeoutMs: 1000, attempts: 1, now: () => now, fetch: fake, refreshMarginMs: 60_000 },
  );
  const many = await Promise.all(Array.from({ length: 10 }, () => src.get()));
  t.same(new Set(many), new Set(['token-number-1']));
  t.equal(calls, 1);
  now = 230_000; // 70 s left: still good
  t.equal(await src.get(), 'token-number-1');
  now = 250_000; // 50 s left: inside the margin
  t.equal(await src.get(), 'token-number-2');
  t.equal(src.fetched, 2);
});

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (n: number) => `${b64({ alg: 'RS256' })}.${b64({ jti: `j${n}`, exp: 9999999999 })}.c2ln`;

t.test('an assertion file is read again for every token request; the same assertion is never sent twice', async (t) => {
  let now = 0;
  let file = jwt(1);
  const sent: string[] = [];
  const fake: typeof fetchToken = async (creds) => {
    sent.push(creds.assertion!.jwt);
    return { accessToken: `token-number-${sent.length}`, expiresAt: now + 20_000, method: 'jwt_bearer' };
  };
  const dispatcher = new Agent();
  t.teardown(() => dispatcher.close());
  const src = new TokenSource(
    {
      clientId: 'c',
      tokenUrl: 'https://idp.example/token',
      assertionFile: { file: 'sa.jwt', grant: 'jwt_bearer', read: () => Buffer.from(`${file}\n`) },
    },
    { dispatcher, timeoutMs: 1000, attempts: 1, now: () => now, fetch: fake },
  );
  t.equal(await src.get(), 'token-number-1');
  t.same(sent, [jwt(1)], "the file's content, without its newline");
  now = 16_000; // within a quarter of the 20 s lifetime: refresh, but the file still holds the sent assertion
  t.equal(await src.get(), 'token-number-1', 'the current token is kept while it is valid');
  t.equal(sent.length, 1, 'nothing resent');
  file = jwt(2); // the platform rotated the token
  t.equal(await src.get(), 'token-number-2');
  t.same(sent, [jwt(1), jwt(2)], 'the next request carries the new content');
  now = 40_000; // expired, and the file was not replaced
  await t.rejects(src.get(), {
    exitCode: 3,
    code: 'HELPER_CLIENT_ASSERTION',
    message:
      /the access token expired and client assertion file sa\.jwt still holds the assertion helper already sent once/,
  });
  t.equal(sent.length, 2);
  file = 'garbage';
  await t.rejects(src.get(), { exitCode: 3, message: /client assertion file sa\.jwt does not hold a JWT/ });
});
