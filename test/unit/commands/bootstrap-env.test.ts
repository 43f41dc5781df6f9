/**
 * `helper bootstrap-env`'s wiring (commands/bootstrap-env.ts): its --help lists exactly its flags,
 * and argv reaches its options, whose errors reach the one exit path (code and stderr).
 */
import t from 'tap';
import { helpFlags, runMain } from '../../helpers/run-main.ts';

t.test('--help lists the flags of bootstrap-env, on stdout, exit 0', async (t) => {
  const r = await runMain(['bootstrap-env', '--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.same(
    helpFlags(r.stdout),
    (
      '--apply-to --ca-file --client-assertion-file --client-key-file --client-secret-file --concurrency ' +
      '--context --fail-fast --file --grant-type --help --insecure-skip-tls-verify --konnector-image ' +
      '--log-format --oidc-audience --oidc-resource --oidc-scope --out-dir --output --output-file --quiet ' +
      '--request-timeout --retries --secret-kubeconfig --summary --timeout --url --verbose --version --wait ' +
      '--wait-bindings --write-kubeconfig --write-secret'
    ).split(' '),
  );
});

t.test('bootstrap-env, -f, a.json, -u, https://b.test, --concurrency, 0: exit 2', async (t) => {
  const r = await runMain(['bootstrap-env', '-f', 'a.json', '-u', 'https://b.test', '--concurrency', '0'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /^error: --concurrency must be a whole number from 1 to 256\n\(run with --help for usage\)\n$/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});

t.test('bootstrap-env, -f, a.json, -u, https://b.test, --retries, 5: exit 3', async (t) => {
  const r = await runMain(['bootstrap-env', '-f', 'a.json', '-u', 'https://b.test', '--retries', '5'], {});
  t.equal(r.code, 3);
  t.match(r.stderr, /OIDC_CLIENT_ID is not set/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});

t.test('bootstrap-env, -f, a.json: exit 2', async (t) => {
  const r = await runMain(['bootstrap-env', '-f', 'a.json'], {
    HELPER_RETRIES: '30',
    HELPER_BIND_URL: 'https://b.test',
  });
  t.equal(r.code, 2);
  t.match(r.stderr, /HELPER_RETRIES="30": must be a whole number from 0 to 20/);
  t.equal(r.stdout, '', 'stdout only for artifacts');
  t.ok(r.journal.empty, 'nothing changed outside the machine');
});
