/**
 * `helper control-plane apply`'s wiring (commands/control-plane-apply.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of control-plane apply, on stdout, exit 0', async (t) => {
  const r = await runMain(['control-plane', 'apply', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--ca-file --context --dry-run --file --help --insecure-skip-tls-verify --kubeconfig --log-format ' +
      '--previous --prune --quiet --request-timeout --retries --seed --timeout --verbose --version'
    ).split(' '),
  );
});

t.test('control-plane, apply, -f, v.yaml, --timeout, x: exit 2', async (t) => {
  const r = await runMain(['control-plane', 'apply', '-f', 'v.yaml', '--timeout', 'x'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--timeout "x" is not a duration/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
