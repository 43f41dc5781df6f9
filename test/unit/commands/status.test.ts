/**
 * `helper status`'s wiring (commands/status.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of status, on stdout, exit 0', async (t) => {
  const r = await runMain(['status', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--app-kubeconfig --ca-file --context --help --insecure-skip-tls-verify --kubeconfig --log-format ' +
      '--output --quiet --request-timeout --retries --timeout --verbose --version'
    ).split(' '),
  );
});

t.test('status, --request-timeout, x: exit 2', async (t) => {
  const r = await runMain(['status', '--request-timeout', 'x'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--request-timeout "x" is not a duration/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
