/**
 * Bug: formatSchemaErrors de-duplicated problem lines with Array#includes,
 * quadratic in their number: a binding.json with 60,000 invalid apis took
 * about 30 seconds to be rejected. Found by test/unit/hostile/binding.test.ts
 * ("2 MiB bindings finish quickly").
 */
import t from 'tap';
import { formatSchemaErrors, validateBinding } from '../../src/validate/schemas.ts';

t.test('60,000 invalid apis are rejected within a few seconds, with a capped list', async (t) => {
  const text = JSON.stringify({ clusterID: 'c', apis: Array.from({ length: 60_000 }, (_, i) => ({ group: 'G', resource: `r${i}x` })) });
  const t0 = performance.now();
  const err = t.throws(() => validateBinding(text, 'b.json'), { code: 'HELPER_BINDING_INVALID' }) as unknown as { problems: string[] };
  const ms = performance.now() - t0;
  t.ok(ms < 3000, `${Math.round(ms)} ms`);
  t.equal(err.problems.length, 26);
  t.equal(err.problems[25], '(59975 more problems not shown)');
});

t.test('duplicates are still dropped, in first-seen order', async (t) => {
  const e = { instancePath: '/a', schemaPath: '#', keyword: 'type', params: {}, message: 'must be string' };
  t.same(formatSchemaErrors([e, { ...e, instancePath: '/b' }, e]), ['/a: must be string', '/b: must be string']);
});
