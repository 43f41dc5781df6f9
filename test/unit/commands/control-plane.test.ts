/**
 * `helper control-plane`'s wiring (commands/control-plane.ts): the group
 * lists its five sub-verbs, and without one it is a usage error that names them.
 */
import t from 'tap';
import { runMain } from '../../helpers/run-main.ts';

t.test('--help lists the sub-verbs init, render, apply, check and adopt, exit 0', async (t) => {
  const r = await runMain(['control-plane', '--help']);
  t.equal(r.code, 0);
  const subs = [...r.stdout.matchAll(/^\s+helper control-plane (\w+)/gm)].map((m) => m[1]);
  t.same(subs, ['init', 'render', 'apply', 'check', 'adopt']);
});

t.test('no sub-verb: exit 2 naming them, nothing on stdout', async (t) => {
  const r = await runMain(['control-plane']);
  t.equal(r.code, 2);
  t.match(r.stderr, /name a subcommand: init, render, apply, check or adopt/);
  t.equal(r.stdout, '');
  t.ok(r.journal.empty);
});

t.test('an unknown sub-verb: exit 2', async (t) => {
  const r = await runMain(['control-plane', 'destroy']);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
});
