/**
 * create-ns end to end on the sandbox, with a provider kubeconfig made by
 * `helper bootstrap-env --write-kubeconfig` against the reference backend.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { idleControlPlane, useSandbox, type TestSandbox } from '../helpers/sandbox.ts';

const sb: TestSandbox = await useSandbox(t);

async function providerKubeconfig(dir: string): Promise<{ file: string; ns: string }> {
  const binding = join(dir, 'binding.json');
  writeFileSync(
    binding,
    JSON.stringify({
      clusterID: `ns-${randomBytes(4).toString('hex')}`,
      apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
    }),
  );
  const file = join(dir, 'provider.kfg.yaml');
  const r = await runCli(
    ['bootstrap-env', '-f', binding, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--write-kubeconfig', file, '--no-wait'],
    { env: sb.env },
  );
  if (r.code !== 0) throw new Error(`bootstrap-env failed: ${r.stderr}`);
  return { file, ns: /namespace: (\S+)/.exec(readFileSync(file, 'utf8'))![1]! };
}

function createNs(args: string[]): Promise<CliResult> {
  return runCli(['create-ns', '--ca-file', sb.caFile, ...args]);
}

const dir = t.testdir({});
const { file: kfg, ns } = await providerKubeconfig(dir);

t.test(
  "prints the control-plane namespace (made by Klutch's example-backend), the data-loss hint on stderr, and " +
    'the same name again',
  async (t) => {
    const r = await runCli(['create-ns', '--ca-file', sb.caFile, '--kubeconfig', kfg, '-n', 'team-a']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, `${ns}-team-a\n`, 'exactly the name and a newline');
    t.match(r.stderr, /create namespace "team-a" on the App Cluster BEFORE the konnector starts/);
    t.same(jwtsIn(r.stderr), []);
    const again = await createNs(['--kubeconfig', kfg, '-n', 'team-a', '-o', 'json']);
    t.equal(again.code, 0, again.stderr);
    t.same(JSON.parse(again.stdout), {
      name: 'team-a',
      namespace: `${ns}-team-a`,
      clusterNamespace: ns,
      created: false,
    });
    const made = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
      'get',
      'namespace',
      `${ns}-team-a`,
      '-o',
      'jsonpath={.metadata.name}',
    ]);
    t.equal(made.stdout, `${ns}-team-a`, 'the namespace exists on the control plane');
    t.match(again.stderr, /already exists/);
  },
);

t.test('names are checked before any call: exit 3 with the characters left', async (t) => {
  const bad = await createNs(['--kubeconfig', kfg, '-n', 'Team_A']);
  t.equal(bad.code, 3);
  t.match(bad.stderr, /not a DNS-1123 label/);
  const left = 63 - ns.length - 1;
  const long = await createNs(['--kubeconfig', kfg, '-n', 'a'.repeat(left + 3)]);
  t.equal(long.code, 3);
  t.match(long.stderr, new RegExp(`at most ${left} are left for the name \\(3 too many\\)`));
  t.equal(long.stdout, '');
});

t.test('a kubeconfig without a namespace: exit 3', async (t) => {
  const text = readFileSync(kfg, 'utf8').replace(/^\s+namespace: .*\n/m, '');
  const f = join(t.testdir({}), 'no-ns.yaml');
  writeFileSync(f, text, { mode: 0o600 });
  const r = await createNs(['--kubeconfig', f, '-n', 'team-b']);
  t.equal(r.code, 3, r.stderr);
  t.match(r.stderr, /context "default" has no namespace/);
  t.same(jwtsIn(r.stderr), []);
});

t.test('an unreachable server: exit 6 naming the host', async (t) => {
  const port = await freePort();
  const f = join(t.testdir({}), 'down.yaml');
  writeFileSync(f, readFileSync(kfg, 'utf8').replace(/server: .*/, `server: https://127.0.0.1:${port}`), {
    mode: 0o600,
  });
  const r = await createNs(['--kubeconfig', f, '-n', 'team-c', '--request-timeout', '5s']);
  t.equal(r.code, 6, r.stderr);
  t.match(
    r.stderr,
    new RegExp(`cannot reach control plane 127\\.0\\.0\\.1:${port} to create apiservicenamespaces "team-c"`),
  );
});

t.test('403: names the verb, resource and namespace refused', async (t) => {
  const f = join(t.testdir({}), 'other-ns.yaml');
  writeFileSync(f, readFileSync(kfg, 'utf8').replace(/namespace: .*/, 'namespace: default'), { mode: 0o600 });
  const r = await createNs(['--kubeconfig', f, '-n', 'team-d']);
  t.equal(r.code, 6, r.stderr);
  t.match(r.stderr, /refused to create apiservicenamespaces "team-d" in namespace "default" \(403 Forbidden\)/);
  t.same(jwtsIn(r.stderr), []);
});

// A control plane where no backend reconciles (the klutch CRDs, a cluster
// namespace, nothing else): status.namespace never comes.
t.test('timeout: exit 7 saying what it last saw', async (t) => {
  const { kubeconfig: f } = await idleControlPlane(t, sb);
  const r = await createNs(['--kubeconfig', f, '-n', 'team-e', '--timeout', '2s']);
  t.equal(r.code, 7, r.stderr);
  t.match(
    r.stderr,
    /timed out after \ds waiting for APIServiceNamespace .*team-e to report status\.namespace; last seen: status\.namespace not set yet/,
  );
  t.equal(r.stdout, '');
});
