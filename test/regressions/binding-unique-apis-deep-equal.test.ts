/**
 * Bugs in the apis uniqueItems check, which Ajv did by comparing every pair
 * of items with a recursive deep-equal. Found by
 * test/unit/hostile/binding.test.ts:
 *  - stack overflow: two identical 10k-deep items threw RangeError, not InputError;
 *  - "toString" key: an item {"toString": false, ...} next to another threw
 *    TypeError ("a.toString is not a function");
 *  - quadratic time: 48,000 distinct apis (2 MiB) took minutes to accept.
 *    Asserted on the work done (test/helpers/work.ts: the pairwise compare
 *    grew 4× when the apis doubled), not on the clock; bin/bench-inputs.ts
 *    prints the time.
 */
import t from 'tap';
import { InputError } from '../../src/errors.ts';
import { validateBinding } from '../../src/validate/schemas.ts';
import { assertLinear } from '../helpers/work.ts';

function problemsOf(text: string): readonly string[] | string {
  try {
    validateBinding(text, 'b.json');
    return 'accepted';
  } catch (err) {
    return err instanceof InputError ? err.problems : `threw ${String(err)}`;
  }
}

t.test('identical deeply nested items are an InputError', async (t) => {
  for (const deep of ['['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)]) {
    t.throws(() => validateBinding(`{"clusterID":"c","apis":[${deep},${deep}]}`, 'b.json'), {
      constructor: InputError,
      code: 'HELPER_BINDING_INVALID',
    });
  }
});

t.test('items with toString/valueOf keys are an InputError', async (t) => {
  for (const key of ['toString', 'valueOf']) {
    const text = `{"clusterID":"c","apis":[{"group":"","resource":"ab"},{"group":"","resource":"cd","${key}":false}]}`;
    t.same(problemsOf(text), [`/apis/1: must NOT have additional property "${key}"`], key);
    const twice =
      `{"clusterID":"c","apis":[{"group":"","resource":"ab","${key}":"x"},{"${key}` +
      `":"x","resource":"ab","group":""}]}`;
    t.match(
      problemsOf(twice),
      [
        /additional property/,
        /additional property/,
        '/apis: must NOT have duplicate items (/apis/0 and /apis/1 are identical)',
      ],
      `${key} twice`,
    );
  }
});

t.test('24,000 and 48,000 distinct apis are accepted in linear work; duplicates are still found', async (t) => {
  const distinct = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ group: `g${i}.example.com`, resource: 'backups' }));
  const [small, large] = assertLinear(
    t,
    'distinct apis',
    24_000,
    (n) => JSON.stringify({ clusterID: 'c', apis: distinct(n) }),
    (text) => validateBinding(text, 'b.json').apis.length,
  );
  t.same(
    [small.result, large.result],
    [
      { ok: true, value: 24_000 },
      { ok: true, value: 48_000 },
    ],
    'both accepted whole',
  );
  const apis = distinct(48_000);
  apis.push({ resource: 'backups', group: 'g17.example.com' });
  t.same(problemsOf(JSON.stringify({ clusterID: 'c', apis })), [
    '/apis: must NOT have duplicate items (/apis/17 and /apis/48000 are identical)',
  ]);
});
