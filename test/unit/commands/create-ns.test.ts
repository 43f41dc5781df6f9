/**
 * `helper create-ns`'s wiring (commands/create-ns.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of create-ns, on stdout, exit 0', async (t) => {
  const r = await runMain(['create-ns', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--ca-file --context --help --insecure-skip-tls-verify --kubeconfig --log-format --name --output --quiet ' +
      '--request-timeout --retries --timeout --verbose --version'
    ).split(' '),
  );
});

t.test('create-ns, -n, team-a, --retries, 21: exit 2', async (t) => {
  const r = await runMain(['create-ns', '-n', 'team-a', '--retries', '21'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /^error: --retries must be a whole number from 0 to 20\n/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});

t.test('create-ns, -n, team-a, --timeout, soon: exit 2', async (t) => {
  const r = await runMain(['create-ns', '-n', 'team-a', '--timeout', 'soon'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--timeout "soon" is not a duration/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
