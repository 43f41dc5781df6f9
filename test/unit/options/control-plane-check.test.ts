/** control-plane check's options: the values file, the format, --require-ready. */
import t from 'tap';
import { controlPlaneCheckOptions } from '../../../src/options/control-plane-check.ts';

const calls = { 'request-timeout': '30s', retries: 3 };

t.test('without -f it expects what adopt reads; -o json; --no-require-ready', async (t) => {
  t.match(controlPlaneCheckOptions({ 'require-ready': false, output: 'json', ...calls }, {}), {
    file: undefined,
    requireReady: false,
    format: 'json',
  });
  t.match(controlPlaneCheckOptions({ file: 'v.yaml', ...calls }, {}), {
    file: 'v.yaml',
    requireReady: true,
    format: 'text',
  });
});

t.test('a bad --retries: exit 2', async (t) => {
  t.throws(() => controlPlaneCheckOptions({ ...calls, retries: -1 }, {}), { exitCode: 2, message: /--retries/ });
});
