/** control-plane adopt's options: where the values file goes. */
import t from 'tap';
import { controlPlaneAdoptOptions } from '../../../src/options/control-plane-adopt.ts';

const calls = { 'request-timeout': '30s', retries: 3 };

t.test('--output-file, or -o FILE with a deprecation; stdout by default', async (t) => {
  t.match(controlPlaneAdoptOptions({ 'output-file': 'v.yaml', ...calls }, {}), { output: 'v.yaml', deprecations: [] });
  t.match(controlPlaneAdoptOptions({ ...calls }, {}), { output: undefined });
  const old = controlPlaneAdoptOptions({ output: 'v.yaml', ...calls }, {});
  t.equal(old.output, 'v.yaml');
  t.match(old.deprecations[0], /^-o FILE is deprecated/);
});

t.test('-o json is refused: adopt writes yaml', async (t) => {
  t.throws(() => controlPlaneAdoptOptions({ output: 'json', ...calls }, {}), {
    exitCode: 2,
    message: /^-o json: here the output format is yaml/,
  });
});
