/** control-plane init's flow: the values file for the data services asked for. */
import t from 'tap';
import { controlPlaneInit } from '../../../src/flows/control-plane-init.ts';
import { controlPlaneInitOptions } from '../../../src/options/control-plane-init.ts';

t.test('init: the values file for the data services asked for; unknown ones are a usage error', async (t) => {
  const out = await controlPlaneInit(controlPlaneInitOptions({ 'data-services': ['postgresql,search'] }, {}));
  t.match(out.stdout, /postgresql:/);
  t.match(out.stdout, /search:/);
  t.throws(() => controlPlaneInitOptions({ 'data-services': ['postgres'] }, {}), {
    exitCode: 2,
    message: /^--data-services: unknown postgres \(did you mean postgresql\?\); choose from /,
  });
  t.throws(() => controlPlaneInitOptions({ 'data-services': [','] }, {}), {
    exitCode: 2,
    message: '--data-services: name at least one data service',
  });
});
