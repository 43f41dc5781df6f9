/**
 * Messages that used to leave a user stuck, against the sandbox's real
 * servers: a scheme-less OIDC_TOKEN_URL, a token URL that is not a token
 * endpoint (404 text/plain), a -u path the backend does not serve, a --ca-file
 * that does not verify the server, and a long wait that says it is alive.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { adminKubeconfig } from '../sandbox/cluster.ts';
import { createCa } from '../sandbox/tls.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const dir = t.testdir({});
const other = await createCa(join(dir, 'other-ca'));
const backendOrigin = new URL(sb.bindUrl).origin;

function bindingFile(resource = 'postgresqlinstances'): string {
  const f = join(dir, `binding-${randomBytes(3).toString('hex')}.json`);
  writeFileSync(
    f,
    JSON.stringify({ clusterID: `msg-${randomBytes(4).toString('hex')}`, apis: [{ group: 'anynines.com', resource }] }),
  );
  return f;
}

function clean(t: Test, r: CliResult): void {
  t.equal(r.stdout, '', 'nothing on stdout');
  t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'no client secret');
  t.same(jwtsIn(r.stderr), [], 'no token');
  t.notMatch(r.stderr, /this is a bug in helper/);
}

t.test('a scheme-less OIDC_TOKEN_URL is an input error naming the variable (exit 3), not a bug', async (t) => {
  const bare = new URL(sb.env.OIDC_TOKEN_URL).href.replace(/^https:\/\//, '');
  const r = await runCli(['bootstrap-env', '-f', bindingFile(), '-u', sb.bindUrl, '--ca-file', sb.caFile], {
    env: { ...sb.env, OIDC_TOKEN_URL: bare },
  });
  t.equal(r.code, 3, r.stderr);
  t.match(
    r.stderr,
    `error: cannot request an access token (OIDC client-credentials grant):\n  - OIDC_TOKEN_URL ` +
      `${JSON.stringify(bare)} is not a URL: the scheme is missing (did you mean https://${bare}?)\n`,
  );
  clean(t, r);
});

t.test('a token URL answering 404 text/plain: the status, and a hint at OIDC_TOKEN_URL (exit 4)', async (t) => {
  // The backend's server answers every unknown path with 404 text/plain.
  const r = await runCli(['bootstrap-env', '-f', bindingFile(), '-u', sb.bindUrl, '--ca-file', sb.caFile], {
    env: { ...sb.env, OIDC_TOKEN_URL: `${backendOrigin}/oauth/token` },
  });
  t.equal(r.code, 4, r.stderr);
  t.match(
    r.stderr,
    `error: token endpoint ${new URL(backendOrigin).host} answered HTTP 404 (text/plain; charset=utf-8), not ` +
      `an OAuth token response\nhint: check OIDC_TOKEN_URL: it must be the provider's token endpoint`,
  );
  t.notMatch(r.stderr, /OAUTH_RESPONSE_IS_NOT_JSON|retrying/, 'not retried, no library code');
  clean(t, r);
});

t.test('-u with a path the backend does not serve: 404 with a hint about the path (exit 5)', async (t) => {
  const r = await runCli(
    ['bootstrap-env', '-f', bindingFile(), '-u', `${backendOrigin}/bind`, '--ca-file', sb.caFile],
    { env: sb.env },
  );
  t.equal(r.code, 5, r.stderr);
  t.match(
    r.stderr,
    `error: backend ${new URL(backendOrigin).host} refused the binding: HTTP 404: 404 page not found\nhint: ` +
      `helper POSTed to /bind/bind-noninteractive (it appends /bind-noninteractive to -u unless -u already ` +
      `contains it); check -u / HELPER_BIND_URL`,
  );
  clean(t, r);
});

t.test('a --ca-file that does not verify the server: said so, not "pass the CA with --ca-file"', async (t) => {
  const token = await runCli(['bootstrap-env', '-f', bindingFile(), '-u', sb.bindUrl, '--ca-file', other.caFile], {
    env: sb.env,
  });
  t.equal(token.code, 4, token.stderr);
  t.match(
    token.stderr,
    new RegExp(
      `error: TLS verification of token endpoint \\S+ failed: .*\\nhint: --ca-file ` +
        `${other.caFile.replace(/[.]/g, '\\.')} was trusted too and does not verify this server's certificate: ` +
        `pass the CA that issued it`,
    ),
  );
  t.notMatch(token.stderr, /--use-system-ca/, 'no advice to trust the system store instead');
  clean(t, token);
  const without = await runCli(['bootstrap-env', '-f', bindingFile(), '-u', sb.bindUrl], { env: sb.env });
  t.equal(without.code, 4);
  t.match(
    without.stderr,
    /hint: pass the CA that issued its certificate with --ca-file\n/,
    'without --ca-file: the old hint',
  );

  const kfg = join(dir, 'wrong-ca.kubeconfig');
  writeFileSync(kfg, adminKubeconfig('wrong', sb.app.server, other.caCert, 'not-a-real-token-0123456789'), {
    mode: 0o600,
  });
  writeFileSync(
    join(dir, 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tls-msg\n  namespace: default\n',
  );
  const apply = await runCli(['apply', '-f', join(dir, 'cm.yaml'), '--kubeconfig', kfg, '--ca-file', other.caFile]);
  t.equal(apply.code, 6, apply.stderr);
  t.match(
    apply.stderr,
    `hint: --ca-file ${other.caFile} was trusted too and does not verify this server's certificate`,
  );
});

t.test(
  'a long wait prints "still waiting (Xs of Ys): ...; last seen: ..." at a steady interval on stderr',
  async (t) => {
    // keyvalueinstances has no CRD on the control plane: Klutch's example-backend keeps the request Pending, so the
    // wait runs to its end.
    const r = await runCli(
      [
        'bootstrap-env',
        '-f',
        bindingFile('keyvalueinstances'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--timeout',
        '11s',
        '--output-file',
        join(dir, 'wait.yaml'),
      ],
      { env: sb.env },
    );
    t.equal(r.code, 7, r.stderr);
    const still = r.stderr.split('\n').filter((l) => l.startsWith('still waiting'));
    t.equal(still.length, 2, `every 5s of an 11s wait: ${JSON.stringify(still)}`);
    t.match(
      still[0],
      /^still waiting \(5s of 11s\): APIServiceExportRequest cluster-\w+\/keyvalueinstances\.anynines\.com to become Succeeded; last seen: phase Pending, Ready=False \(CRDNotFound\), ExportsReady=False \(CRDNotFound\)$/,
    );
    t.match(still[1], /^still waiting \(10s of 11s\): /);
    t.match(r.stderr, /error: timed out after 11s waiting for APIServiceExportRequest/);
    t.notOk(readdirSync(dir).includes('wait.yaml'), 'nothing written');
  },
);
