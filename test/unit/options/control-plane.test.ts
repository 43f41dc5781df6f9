/** The control-plane sub-verbs' options: what argv and env become, and their usage errors. */
import t from 'tap';
import { controlPlaneAdoptOptions, controlPlaneApplyOptions, controlPlaneCheckOptions, controlPlaneInitOptions, controlPlaneRenderOptions } from '../../../src/options/control-plane.ts';

const calls = { 'request-timeout': '30s', retries: 3 };

t.test('init: data services comma-separated or repeated', async (t) => {
  t.same(controlPlaneInitOptions({ 'data-services': ['postgresql, search', 'mariadb'] }, {}), { dataServices: ['postgresql', 'search', 'mariadb'] });
});

t.test('render: the file, the keys flags, -o FILE deprecated', async (t) => {
  const o = controlPlaneRenderOptions({ file: 'v.yaml', output: 'cp.yaml', previous: 'old.yaml' }, {});
  t.match(o, { file: 'v.yaml', output: 'cp.yaml', previous: 'old.yaml', seed: undefined });
  t.match(o.deprecations[0], /^-o FILE is deprecated/);
  t.throws(() => controlPlaneRenderOptions({ file: 'v.yaml', output: 'json' }, {}), { exitCode: 2, message: /^-o json: here the output format is yaml/ });
});

t.test('apply, check, adopt: the call policy and their own flags', async (t) => {
  t.match(controlPlaneApplyOptions({ file: 'v', timeout: '5m', prune: true, 'dry-run': 'server', ...calls }, {}), { prune: true, dryRun: true, timeoutMs: 300_000, attempts: 4 });
  t.match(controlPlaneCheckOptions({ 'require-ready': false, output: 'json', ...calls }, {}), { file: undefined, requireReady: false, format: 'json' });
  t.match(controlPlaneAdoptOptions({ 'output-file': 'v.yaml', ...calls }, {}), { output: 'v.yaml', deprecations: [] });
  t.throws(() => controlPlaneCheckOptions({ ...calls, retries: -1 }, {}), { exitCode: 2, message: /--retries/ });
});
