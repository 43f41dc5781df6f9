/** control-plane render's options: the file, the key flags, the output, and their usage errors. */
import t from 'tap';
import { controlPlaneRenderOptions } from '../../../src/options/control-plane-render.ts';

t.test('the file, the keys flags, -o FILE deprecated', async (t) => {
  const o = controlPlaneRenderOptions({ file: 'v.yaml', output: 'cp.yaml', previous: 'old.yaml' }, {});
  t.match(o, { file: 'v.yaml', output: 'cp.yaml', previous: 'old.yaml', seed: undefined });
  t.match(o.deprecations[0], /^-o FILE is deprecated/);
  t.throws(() => controlPlaneRenderOptions({ file: 'v.yaml', output: 'json' }, {}), {
    exitCode: 2,
    message: /^-o json: here the output format is yaml/,
  });
});

t.test('--context without --kubeconfig: exit 2 (render reads only the named file)', async (t) => {
  t.throws(() => controlPlaneRenderOptions({ file: 'v.yaml', context: 'x' }, {}), {
    exitCode: 2,
    message: '--context picks a context of --kubeconfig; pass --kubeconfig too',
  });
});
