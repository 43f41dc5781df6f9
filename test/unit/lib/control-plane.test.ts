/** lib/control-plane.ts: the sub-verbs as functions (init offline; the others name what they cannot read). */
import t from 'tap';
import { controlPlaneCheck, controlPlaneInit, controlPlaneRender } from '../../../src/lib/control-plane.ts';

t.test('init: the commented values file with the data services asked for', async (t) => {
  const text = await controlPlaneInit({ dataServices: ['postgresql'] });
  t.match(text, /^# Values of `helper control-plane render\|apply`/);
  t.match(text, /postgresql/);
});

t.test('render and check name the file they cannot read', async (t) => {
  await t.rejects(controlPlaneRender({ valuesFile: '/nonexistent/values.yaml' }), { code: 'HELPER_VALUES_READ' });
  await t.rejects(controlPlaneCheck({ kubeconfig: '/nonexistent/cp.kubeconfig' }), {
    code: 'HELPER_KUBECONFIG_READ',
  });
});
