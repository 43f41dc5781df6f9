/** control-plane render's flow in process: values from the injected files (stdin), the manifests on stdout or in
 * --output-file. */
import t from 'tap';
import { controlPlaneRender } from '../../../src/flows/control-plane-render.ts';
import { controlPlaneRenderOptions } from '../../../src/options/control-plane-render.ts';
import { FakeFiles } from '../../helpers/flow-fakes.ts';
import { ENV, kube, VALUES } from '../../helpers/control-plane-fakes.ts';

t.test('render: the manifests on stdout (stdout secured first), or only in --output-file', async (t) => {
  const files = new FakeFiles({ '-': VALUES });
  const out = await controlPlaneRender(controlPlaneRenderOptions({ file: '-', seed: 'env:SEED' }, ENV), {
    files,
    kube: kube() as never,
  });
  t.match(out.stdout, /^# helper control-plane render: holds credentials \(Secrets\); do not commit\.\n/);
  t.match(out.stdout, /kind: CustomResourceDefinition/);
  t.same(files.secured, ["the control plane's credentials (Secrets)"]);
  const again = await controlPlaneRender(
    controlPlaneRenderOptions({ file: '-', seed: 'env:SEED', 'output-file': 'cp.yaml' }, ENV),
    { files, kube: kube() as never },
  );
  t.equal(again.stdout, undefined);
  t.equal(files.written.get('cp.yaml')?.text, out.stdout, 'the same seed, the same render');
  t.equal(files.written.get('cp.yaml')?.mode, 0o600);
});

t.test('render: --context without --kubeconfig is a usage error; a placeholder left is exit 3', async (t) => {
  t.throws(() => controlPlaneRenderOptions({ file: '-', context: 'x' }, {}), {
    exitCode: 2,
    message: '--context picks a context of --kubeconfig; pass --kubeconfig too',
  });
  const files = new FakeFiles({ '-': VALUES.replace('bind.corp.test', 'bind.example.com') });
  await t.rejects(
    controlPlaneRender(controlPlaneRenderOptions({ file: '-', seed: 'env:SEED' }, ENV), {
      files,
      kube: kube() as never,
    }),
    { exitCode: 3, code: 'HELPER_VALUES_PLACEHOLDER' },
  );
});
