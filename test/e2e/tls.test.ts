/**
 * TLS is verified by every command that talks to a cluster or a server: a
 * certificate from a CA the user did not trust fails at once (no retries),
 * with a message naming the server and the verification error and a hint;
 * --insecure-skip-tls-verify proceeds and prints a warning on every use.
 * The untrusted certificates come from a second CA made for this test; the
 * servers behind them are the real sandbox servers (the backend through a
 * forwarding proxy that presents the other CA's certificate).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { cpEnv, valuesFile } from '../helpers/control-plane.ts';
import { startFaultProxy } from '../helpers/faults.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { createCa } from '../sandbox/tls.ts';

const sb = await useSandbox(t);
const dir = t.testdir({});
const other = await createCa(join(dir, 'other-ca'));
const otherCaB64 = Buffer.from(other.caCert).toString('base64');
const TLS_ERROR =
  /(unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|self[- ]signed certificate|unable to get local issuer certificate|certificate signature failure)/i;

/** The kubeconfig with its CA replaced by the other CA (so the real server's certificate is not trusted). */
function untrusting(file: string): string {
  const out = join(dir, `untrusting-${randomBytes(3).toString('hex')}.yaml`);
  const text = readFileSync(file, 'utf8');
  if (!/certificate-authority-data: /.test(text)) throw new Error(`${file} has no certificate-authority-data`);
  writeFileSync(out, text.replace(/certificate-authority-data: \S+/g, `certificate-authority-data: ${otherCaB64}`), {
    mode: 0o600,
  });
  return out;
}

function tlsFailure(t: Test, r: CliResult, code: number, server: RegExp): void {
  t.equal(r.code, code, r.stderr);
  t.match(r.stderr, server, 'names the server');
  t.match(r.stderr, TLS_ERROR, 'and the verification error');
  t.match(r.stderr, /hint: .*--ca-file/, 'with a hint');
  t.notMatch(r.stderr, /retrying in/, 'not retried: a TLS failure is not passing');
  t.equal(r.stdout, '');
}

// A binding whose provider kubeconfig the create-ns cells use; its APIServiceNamespace
// status is set by Klutch's example-backend.
const binding = join(dir, 'binding.json');
writeFileSync(
  binding,
  JSON.stringify({
    clusterID: `tls-${randomBytes(4).toString('hex')}`,
    apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
  }),
);
const kfg = join(dir, 'provider.kfg.yaml');
const b = await runCli(
  ['bootstrap-env', '-f', binding, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait', '--write-kubeconfig', kfg],
  { env: sb.env },
);
if (b.code !== 0) throw new Error(b.stderr);
const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;

t.test(
  'create-ns: a control plane whose CA is not trusted: exit 6; --insecure-skip-tls-verify warns and works',
  async (t) => {
    const bad = untrusting(kfg);
    const r = await runCli(['create-ns', '--kubeconfig', bad, '-n', 'team-t']);
    tlsFailure(t, r, 6, /error: TLS verification of control plane 127\.0\.0\.1:\d+ failed: /);
    t.equal(
      (
        await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
          'get',
          'apiservicenamespaces.klutch.anynines.com',
          'team-t',
          '-n',
          ns,
        ])
      ).code,
      1,
      'nothing was created',
    );

    // Klutch's example-backend sets status.namespace.
    const ok = await runCli(['create-ns', '--kubeconfig', bad, '-n', 'team-t', '--insecure-skip-tls-verify']);
    t.equal(ok.code, 0, ok.stderr);
    t.equal(ok.stdout, `${ns}-team-t\n`);
    t.match(ok.stderr, /^warn: --insecure-skip-tls-verify: the control plane's TLS certificate is NOT verified/m);
    t.same(jwtsIn(ok.stderr), []);
  },
);

t.test(
  'apply: an App Cluster whose CA is not trusted: exit 6, nothing applied; insecure warns and applies',
  async (t) => {
    const name = `tls-${randomBytes(3).toString('hex')}`;
    const manifest = join(dir, 'cm.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  a: b\n`,
    );
    const bad = untrusting(sb.app.kubeconfig);
    const r = await runCli(['apply', '-f', manifest, '--kubeconfig', bad]);
    tlsFailure(t, r, 6, /error: TLS verification of cluster 127\.0\.0\.1:\d+ failed: /);
    t.equal(
      (await kubectl(sb.bin, sb.app.kubeconfig, ['get', 'configmap', name, '-n', 'default'])).code,
      1,
      'nothing was applied',
    );
    const ok = await runCli(['apply', '-f', manifest, '--kubeconfig', bad, '--insecure-skip-tls-verify']);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stderr, /^warn: --insecure-skip-tls-verify: the App Cluster's TLS certificate is NOT verified/m);
    t.equal((await kubectl(sb.bin, sb.app.kubeconfig, ['get', 'configmap', name, '-n', 'default'])).code, 0);
  },
);

t.test('control-plane apply and check: exit 6 naming the control plane; insecure warns on every use', async (t) => {
  const { file: values } = await valuesFile(dir, cpEnv, 'postgresql');
  const bad = untrusting(sb.controlPlane.kubeconfig);
  const apply = await runCli(['control-plane', 'apply', '-f', values, '--kubeconfig', bad], { env: cpEnv });
  tlsFailure(t, apply, 6, /error: TLS verification of control plane 127\.0\.0\.1:\d+ failed: /);
  const check = await runCli(['control-plane', 'check', '--kubeconfig', bad], { env: cpEnv });
  tlsFailure(t, check, 6, /error: TLS verification of control plane 127\.0\.0\.1:\d+ failed: /);
  // With the flag the check runs (and reports this sandbox control plane as not set up: exit 6 with a report on
  // stdout).
  const insecure = await runCli(
    ['control-plane', 'check', '--kubeconfig', bad, '--insecure-skip-tls-verify', '-o', 'json'],
    { env: cpEnv },
  );
  t.match(insecure.stderr, /^warn: --insecure-skip-tls-verify: the control plane's TLS certificate is NOT verified/m);
  t.notMatch(insecure.stderr, TLS_ERROR);
  t.ok(Array.isArray((JSON.parse(insecure.stdout) as { items: unknown[] }).items), 'the report was made');
});

t.test(
  'bootstrap-env: a backend whose certificate comes from an untrusted CA: exit 5 naming the backend, nothing written',
  async (t) => {
    const leaf = await other.issue('backend', { sans: ['IP:127.0.0.1'] });
    const proxy = await startFaultProxy({
      target: new URL(sb.bindUrl).origin,
      caFile: sb.caFile,
      tls: { certFile: leaf.certFile, keyFile: leaf.keyFile },
      script: () => 'forward',
    });
    t.teardown(() => proxy.close());
    const out = t.testdir({});
    const f = join(out, 'binding.json');
    writeFileSync(
      f,
      JSON.stringify({
        clusterID: `tls-${randomBytes(4).toString('hex')}`,
        apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
      }),
    );
    const r = await runCli(
      [
        'bootstrap-env',
        '-f',
        f,
        '-u',
        `${proxy.url}/bind-noninteractive`,
        '--ca-file',
        sb.caFile,
        '-o',
        join(out, 'all.yaml'),
        '--write-kubeconfig',
        join(out, 'k.yaml'),
      ],
      { env: sb.env },
    );
    t.equal(r.code, 5, r.stderr);
    t.match(
      r.stderr,
      new RegExp(`error: TLS verification of backend 127\\.0\\.0\\.1:${new URL(proxy.url).port} failed: `),
    );
    t.match(r.stderr, TLS_ERROR);
    t.equal(proxy.seen.length, 0, 'no request reached the backend');
    t.same(readdirSync(out), ['binding.json'], 'no file written');
    t.same(jwtsIn(r.stderr), [], 'the token obtained before is not shown');
    t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET!), 'nor the client secret');
  },
);

t.test(
  'bootstrap-env --insecure-skip-tls-verify covers the token endpoint, the backend and the control plane, ' +
    'each named; never the --apply-to App Cluster, never http:// (issue 20, finding 6)',
  async (t) => {
    const app = await extraCluster(t, sb, 'tls-app');
    const out = t.testdir({});
    const f = join(out, 'binding.json');
    writeFileSync(
      f,
      JSON.stringify({
        clusterID: `tls-${randomBytes(4).toString('hex')}`,
        apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
      }),
    );
    const host = (u: string) => new URL(u).host.replace(/\./g, '\\.');
    const r = await runCli(
      [
        'bootstrap-env',
        '-f',
        f,
        '-u',
        sb.bindUrl,
        '--insecure-skip-tls-verify',
        '--no-wait',
        '--apply-to',
        untrusting(app.kubeconfig),
        '--output-file',
        join(out, 'all.yaml'),
      ],
      { env: sb.env },
    );
    tlsFailure(t, r, 6, new RegExp(`error: TLS verification of App Cluster ${host(app.server)} failed: `));
    t.match(
      r.stderr,
      new RegExp(
        `^warn: --insecure-skip-tls-verify: the TLS certificates of the token endpoint ` +
          `${host(sb.env.OIDC_TOKEN_URL)}, the backend ${host(sb.bindUrl)} and the control plane the backend ` +
          `names are NOT verified$`,
        'm',
      ),
    );
    t.match(
      r.stderr,
      new RegExp(
        `^warn: --insecure-skip-tls-verify: the TLS certificate of the control plane ` +
          `${host(sb.controlPlane.server)} \\(from the backend's kubeconfig\\) is NOT verified$`,
        'm',
      ),
    );
    t.match(
      r.stderr,
      /^warn: --insecure-skip-tls-verify does not cover the App Cluster of --apply-to \S+: its kubeconfig decides how it is verified$/m,
    );
    t.not((await kubectl(sb.bin, app.kubeconfig, ['get', 'namespace', 'klutch-bind'])).code, 0, 'nothing was applied');
    t.same(readdirSync(out), ['binding.json'], 'nothing written');

    const http = sb.bindUrl.replace(/^https:/, 'http:');
    const plain = await runCli(['bootstrap-env', '-f', f, '-u', http, '--insecure-skip-tls-verify', '--no-wait'], {
      env: sb.env,
    });
    t.equal(plain.code, 3, plain.stderr);
    t.match(
      plain.stderr,
      `error: -u must be an https:// URL (got http://${new URL(http).host}): plain http would send the ` +
        `access token in clear; --insecure-skip-tls-verify does not allow it`,
    );
    t.equal(plain.stdout, '');
  },
);
