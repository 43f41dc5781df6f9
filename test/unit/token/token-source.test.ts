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
  const src = new TokenSource({ clientId: 'c', clientSecret: 's', tokenUrl: 'https://idp.example/token' }, { dispatcher, timeoutMs: 1000, attempts: 1, now: () => now, fetch: fake, refreshMarginMs: 60_000 });
  const many = await Promise.all(Array.from({ length: 10 }, () => src.get()));
  t.same(new Set(many), new Set(['token-number-1']));
  t.equal(calls, 1);
  now = 230_000; // 70 s left: still good
  t.equal(await src.get(), 'token-number-1');
  now = 250_000; // 50 s left: inside the margin
  t.equal(await src.get(), 'token-number-2');
  t.equal(src.fetched, 2);
});
