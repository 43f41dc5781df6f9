/**
 * Bug: parseValues let doc.toJS() throw: a "billion laughs" alias bomb in a
 * values file escaped as ReferenceError ("Excessive alias count indicates a
 * resource exhaustion attack", exit 1) instead of an InputError (exit 3).
 * Found by test/unit/hostile/values.test.ts.
 */
import t from 'tap';
import { parseValues } from '../../src/control-plane/values.ts';
import { InputError } from '../../src/errors.ts';

const bomb = [
  'x0: &a0 lol',
  ...Array.from({ length: 9 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`),
].join('\n');

t.test('alias bombs are an InputError', async (t) => {
  for (const [what, text] of [
    ['at the top', `${bomb}\n`],
    ['as backend.host', `${bomb}\nbackend: {host: *a9}\n`],
  ] as const) {
    t.throws(
      () => parseValues(text, 'values.yaml'),
      {
        constructor: InputError,
        code: 'HELPER_VALUES_YAML',
        exitCode: 3,
        message: /^values\.yaml cannot be read: Excessive alias count/,
      },
      what,
    );
  }
});
