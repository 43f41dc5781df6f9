/**
 * `helper completion`'s wiring (commands/completion.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of completion, on stdout, exit 0', async (t) => {
  const r = await runMain(['completion', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(helpFlags(r.stdout), '--help --log-format --quiet --verbose --version'.split(' '));
});

t.test('completion, fish: exit 0', async (t) => {
  const r = await runMain(['completion', 'fish'], {});
  t.equal(r.code, 0);
  t.match(r.stdout, /^# helper completion for fish/);
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
