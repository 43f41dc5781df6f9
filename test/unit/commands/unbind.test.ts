/**
 * `helper unbind`'s wiring (commands/unbind.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of unbind, on stdout, exit 0', async (t) => {
  const r = await runMain(['unbind', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--app-kubeconfig --ca-file --context --delete-crds --dry-run --help --insecure-skip-tls-verify ' +
      '--kubeconfig --log-format --output --purge --quiet --request-timeout --retries --timeout --verbose ' +
      '--version --yes'
    ).split(' '),
  );
});

t.test('unbind, --kubeconfig, p.kfg, --delete-crds: exit 2', async (t) => {
  const r = await runMain(['unbind', '--kubeconfig', 'p.kfg', '--delete-crds'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /^error: --delete-crds deletes the bound CRDs on the App Cluster: it needs --app-kubeconfig\n/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
