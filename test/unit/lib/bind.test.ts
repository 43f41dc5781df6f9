/** lib/bind.ts: bind judges the OIDC client, then the binding, before any network call. */
import t from 'tap';
import { bind } from '../../../src/lib/bind.ts';

const url = 'https://backend.invalid';
const binding = { clusterID: 'c1', apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] };

t.test('no way of authenticating: InputError HELPER_ENV, nothing sent', async (t) => {
  await t.rejects(
    bind({ binding, url, oidc: { clientId: 'a', tokenUrl: 'https://idp.invalid/t', clientSecret: '' } }),
    {
      code: 'HELPER_ENV',
      exitCode: 3,
    },
  );
});

t.test('a binding that is not one: InputError naming what is wrong, after the credentials', async (t) => {
  await t.rejects(
    bind({ binding: '{"x":1}', url, oidc: { clientId: 'a', tokenUrl: 'https://idp.invalid/t', clientSecret: 's' } }),
    { code: 'HELPER_BINDING_INVALID', exitCode: 3, message: /clusterID/ },
  );
});
