/**
 * CI keeps only the tail of a long log: a failure early in a test file was
 * invisible there. `npm test` now ends with the failed assertions, each with
 * the subtests it sits in and its short diagnostic; files' own "not ok"
 * lines (tap's wrapper points) are not repeated.
 */
import t from 'tap';
import { failureSummary } from '../helpers/tap-summary.ts';

const log = [
  '# Subtest: test/e2e/x.test.ts',
  '    # Subtest: first',
  '        ok 1 - fine',
  '        not ok 2 - should be equal',
  '          ---',
  '          found: 11',
  '          wanted: 0',
  '          at:',
  '            fileName: test/e2e/x.test.ts',
  '            lineNumber: 42',
  '          diff: |',
  '            --- expected',
  '            +++ actual',
  '            @@ -1,1 +1,1 @@',
  '            -2',
  '            +3',
  '          stack: |',
  '            long text',
  '          ...',
  '        1..2',
  '    not ok 1 - first # time=12ms',
  '    # Subtest: second',
  '        ok 1 - fine',
  '    ok 2 - second',
  'not ok 1 - test/e2e/x.test.ts # time=20ms',
  '  ---',
  '  stdio: inherit',
  '  ...',
].join('\n');

t.test('leaf failures with their path and short fields; wrapper points skipped', async (t) => {
  const got = failureSummary(log);
  t.same(got, [
    'not ok - test/e2e/x.test.ts > first > should be equal (found: 11; wanted: 0; fileName: ' +
      'test/e2e/x.test.ts; lineNumber: 42; diff: -2 +3)',
    'not ok - test/e2e/x.test.ts > first',
  ]);
});

t.test('a passing log has none; the list is bounded', async (t) => {
  t.same(failureSummary('ok 1 - a\nok 2 - b\n'), []);
  const many = Array.from({ length: 100 }, (_, i) => `not ok ${i + 1} - n${i}`).join('\n');
  t.equal(failureSummary(many, 5).length, 5);
});
