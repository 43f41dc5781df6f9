/** control-plane adopt's flow in process on an in-memory ObjectClient (MemoryCluster): a cluster without a backend has
 * nothing to adopt. */
import t from 'tap';
import { controlPlaneAdopt } from '../../../src/flows/control-plane-adopt.ts';
import { controlPlaneAdoptOptions } from '../../../src/options/control-plane-adopt.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { FakeFiles } from '../../helpers/flow-fakes.ts';
import { kube } from '../../helpers/control-plane-fakes.ts';

t.test('no backend Deployment: exit 6 naming what is missing; nothing written, nothing for stdout', async (t) => {
  const files = new FakeFiles();
  await t.rejects(
    controlPlaneAdopt(
      controlPlaneAdoptOptions(
        { kubeconfig: 'cp.kubeconfig', 'output-file': 'values.yaml', 'request-timeout': '5s', retries: 0 },
        {},
      ),
      { files, kube: kube(new MemoryCluster('control plane')) as never },
    ),
    {
      exitCode: 6,
      code: 'HELPER_CP_NOTHING_TO_ADOPT',
      message:
        /^control plane 127\.0\.0\.1:1 has no Deployment bind\/anynines-backend: there is no klutch-bind backend to adopt/,
    },
  );
  t.equal(files.written.size, 0);
});
