/** lib/namespace.ts: createNamespace reads the kubeconfig it is given, and says so when it cannot. */
import t from 'tap';
import { createNamespace } from '../../../src/lib/namespace.ts';

t.test('a kubeconfig that cannot be read: InputError naming it', async (t) => {
  await t.rejects(createNamespace({ name: 'team-a', kubeconfig: '/nonexistent/provider.kfg.yaml' }), {
    code: 'HELPER_KUBECONFIG_READ',
    exitCode: 3,
  });
});

t.test('no kubeconfig named and no environment: not the process environment', async (t) => {
  const err = await createNamespace({ name: 'team-a', env: { KUBECONFIG: '/nonexistent/from-env' } }).catch((e) => e);
  t.match(String(err.message), /\/nonexistent\/from-env/);
});
