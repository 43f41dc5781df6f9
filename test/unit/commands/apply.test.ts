/**
 * `helper apply`'s wiring (commands/apply.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of apply, on stdout, exit 0', async (t) => {
  const r = await runMain(['apply', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--ca-file --context --dry-run --file --help --insecure-skip-tls-verify --kubeconfig --log-format ' +
      '--output --quiet --request-timeout --retries --timeout --verbose --version --wait-bindings'
    ).split(' '),
  );
  // Issue 24 #13: the command's own flags first, the global ones after; no [type] glued onto a description.
  t.ok(r.stdout.indexOf('--file') < r.stdout.indexOf('Global options:'), r.stdout);
  t.ok(r.stdout.indexOf('Global options:') < r.stdout.indexOf('--verbose'), r.stdout);
  t.notMatch(r.stdout, /\S\[(string|boolean|number|count|array|choices:|default:)/);
  t.match(r.stdout, /none \(default\): make the\s+changes/, '--dry-run does not say "apply" where it is generic');
});

t.test('apply, -f, all.yaml, --wait-bindings, later: exit 2', async (t) => {
  const r = await runMain(['apply', '-f', 'all.yaml', '--wait-bindings', 'later'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /--wait-bindings "later" is not a duration/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
