/**
 * `helper control-plane check`'s wiring (commands/control-plane-check.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of control-plane check, on stdout, exit 0', async (t) => {
  const r = await runMain(['control-plane', 'check', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--ca-file --context --file --help --insecure-skip-tls-verify --kubeconfig --log-format --output --quiet ' +
      '--request-timeout --require-ready --retries --verbose --version'
    ).split(' '),
  );
});

t.test('control-plane, check, --retries, -1: exit 2', async (t) => {
  const r = await runMain(['control-plane', 'check', '--retries', '-1'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--retries must be a whole number from 0 to 20/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
