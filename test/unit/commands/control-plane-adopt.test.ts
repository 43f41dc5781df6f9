/**
 * `helper control-plane adopt`'s wiring (commands/control-plane-adopt.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of control-plane adopt, on stdout, exit 0', async (t) => {
  const r = await runMain(['control-plane', 'adopt', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--ca-file --context --help --insecure-skip-tls-verify --kubeconfig --log-format --output --output-file ' +
      '--quiet --request-timeout --retries --verbose --version'
    ).split(' '),
  );
});

t.test('control-plane, adopt, -o, json: exit 2', async (t) => {
  const r = await runMain(['control-plane', 'adopt', '-o', 'json'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /-o json: here the output format is yaml/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
