/**
 * `helper control-plane render`'s wiring (commands/control-plane-render.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of control-plane render, on stdout, exit 0', async (t) => {
  const r = await runMain(['control-plane', 'render', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--context --file --help --kubeconfig --log-format --output --output-file --previous --quiet --seed ' +
      '--verbose --version'
    ).split(' '),
  );
});

t.test('control-plane, render, -f, v.yaml, --context, x: exit 2', async (t) => {
  const r = await runMain(['control-plane', 'render', '-f', 'v.yaml', '--context', 'x'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--context picks a context of --kubeconfig; pass --kubeconfig too/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
