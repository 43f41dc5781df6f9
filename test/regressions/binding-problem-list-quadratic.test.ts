/**
 * Bug: formatSchemaErrors de-duplicated problem lines with Array#includes,
 * quadratic in their number: a binding.json with 60,000 invalid apis took
 * about 30 seconds to be rejected. Found by test/unit/hostile/binding.test.ts
 * ("2 MiB bindings finish quickly"). Asserted on the work done
 * (test/helpers/work.ts), not on the clock: the includes() scans made it grow
 * 4× when the apis doubled. bin/bench-inputs.ts prints the time.
 */
import t from 'tap';
import { formatSchemaErrors, validateBinding } from '../../src/validate/schemas.ts';
import { assertLinear } from '../helpers/work.ts';

t.test('30,000 and 60,000 invalid apis are rejected in linear work, with a capped list', async (t) => {
  const invalid = (n: number) =>
    JSON.stringify({ clusterID: 'c', apis: Array.from({ length: n }, (_, i) => ({ group: 'G', resource: `r${i}x` })) });
  const [, large] = assertLinear(t, 'invalid apis', 30_000, invalid, (text) => validateBinding(text, 'b.json'));
  const err = large.result.ok ? undefined : (large.result.error as { code?: string; problems?: string[] });
  t.equal(err?.code, 'HELPER_BINDING_INVALID', '60,000 invalid apis are rejected');
  t.equal(err?.problems?.length, 26);
  t.equal(err?.problems?.[25], '(59975 more problems not shown)');
});

t.test('duplicates are still dropped, in first-seen order', async (t) => {
  const e = { instancePath: '/a', schemaPath: '#', keyword: 'type', params: {}, message: 'must be string' };
  t.same(formatSchemaErrors([e, { ...e, instancePath: '/b' }, e]), ['/a: must be string', '/b: must be string']);
});
