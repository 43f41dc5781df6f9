/** lib/apply.ts: applyManifests takes YAML or objects; a cluster it cannot reach is named. */
import t from 'tap';
import { applyManifests } from '../../../src/lib/apply.ts';

t.test('a kubeconfig that cannot be read: InputError naming it, nothing applied', async (t) => {
  await t.rejects(
    applyManifests({
      manifests: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }],
      kubeconfig: '/nonexistent/app.kubeconfig',
    }),
    { code: 'HELPER_KUBECONFIG_READ', exitCode: 3 },
  );
});
