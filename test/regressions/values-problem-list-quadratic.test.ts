/**
 * Bug: parseValues de-duplicated problems with Array#some and looked up the
 * line of every problem before capping the list, both quadratic: a values
 * file with 100,000 invalid extraArgs took over two minutes to be rejected.
 * Found by test/unit/hostile/values.test.ts ("fixed hostile values files").
 * Asserted on the work done (test/helpers/work.ts: it grew 4× when the
 * extraArgs doubled), not on the clock; bin/bench-inputs.ts prints the time.
 */
import t from 'tap';
import { parseValues } from '../../src/control-plane/values.ts';
import { InputError } from '../../src/errors.ts';
import { valuesWithExtraArgs } from '../helpers/gen.ts';
import { assertLinear } from '../helpers/work.ts';

t.test(
  '25,000 and 50,000 invalid extraArgs are rejected in linear work, with lines for the shown problems',
  async (t) => {
    const [, large] = assertLinear(
      t,
      'invalid extraArgs',
      25_000,
      (n) => valuesWithExtraArgs(Array.from({ length: n }, (_, i) => `"bad${i}"`).join(', ')),
      (text) => parseValues(text, 'values.yaml'),
    );
    const err = large.result.ok ? undefined : large.result.error;
    t.type(err, InputError);
    const problems = (err as InputError).problems;
    t.equal(problems.length, 26);
    t.equal(problems[0], '/backend/extraArgs/0 (line 3): must match pattern "^--[a-z0-9][-a-z0-9]*(=.*)?$"');
    t.equal(problems[25], '(49975 more problems not shown)');
  },
);

t.test('each problem keeps its path and line', async (t) => {
  let err: unknown;
  try {
    parseValues(valuesWithExtraArgs('"--a", 5, 5, true'), 'values.yaml');
  } catch (e) {
    err = e;
  }
  t.same((err as InputError).problems, [
    '/backend/extraArgs/1 (line 3): must be string',
    '/backend/extraArgs/2 (line 3): must be string',
    '/backend/extraArgs/3 (line 3): must be string',
  ]);
});
