import t from 'tap';
import { AuthError, ExitCode, InputError, describeCause } from '../../src/errors.ts';

t.test('InputError lists every problem under its message and exits 3', async (t) => {
  const e = new InputError('HELPER_BINDING_INVALID', 'binding.json is invalid', ['/clusterID: must be string', '/apis: must NOT have fewer than 1 items']);
  t.equal(e.exitCode, ExitCode.input);
  t.match(e.message, /binding\.json is invalid\n {2}- \/clusterID: must be string\n {2}- \/apis/);
});

t.test('AuthError exits 4 and keeps its cause', async (t) => {
  const cause = new Error('inner');
  const e = new AuthError('HELPER_TOKEN', 'token refused', { cause });
  t.equal(e.exitCode, 4);
  t.equal(e.cause, cause);
});

t.test('describeCause reports the innermost code and message', async (t) => {
  const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  t.equal(describeCause(new TypeError('fetch failed', { cause: inner })), 'connect ECONNREFUSED 127.0.0.1:1');
});
