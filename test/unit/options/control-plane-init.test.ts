/** control-plane init's options: the data services, comma-separated or repeated, and their usage errors. */
import t from 'tap';
import { controlPlaneInitOptions } from '../../../src/options/control-plane-init.ts';

t.test('data services comma-separated or repeated', async (t) => {
  t.same(controlPlaneInitOptions({ 'data-services': ['postgresql, search', 'mariadb'] }, {}), {
    dataServices: ['postgresql', 'search', 'mariadb'],
  });
  t.ok(Object.isFrozen(controlPlaneInitOptions({ 'data-services': ['postgresql'] }, {})));
});

t.test('an unknown or no data service: exit 2 naming the choices', async (t) => {
  t.throws(() => controlPlaneInitOptions({ 'data-services': ['postgresql,oracle'] }, {}), {
    exitCode: 2,
    message: /^--data-services: unknown oracle; choose from /,
  });
  t.throws(() => controlPlaneInitOptions({ 'data-services': [' , '] }, {}), {
    exitCode: 2,
    message: '--data-services: name at least one data service',
  });
});
