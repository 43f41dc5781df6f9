/**
 * `helper control-plane init`'s wiring (commands/control-plane-init.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of control-plane init, on stdout, exit 0', async (t) => {
  const r = await runMain(['control-plane', 'init', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(helpFlags(r.stdout), '--data-services --help --log-format --quiet --verbose --version'.split(' '));
});

t.test('control-plane, init, --data-services, search: exit 0', async (t) => {
  const r = await runMain(['control-plane', 'init', '--data-services', 'search'], {});
  t.equal(r.code, 0);
  t.match(r.stdout, /search:/);
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});

t.test('control-plane, init, --data-services, bogus: exit 2', async (t) => {
  const r = await runMain(['control-plane', 'init', '--data-services', 'bogus'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--data-services: unknown bogus/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
