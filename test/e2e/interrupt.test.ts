/**
 * SIGINT and SIGTERM during each phase end the run with 130 / 143, leave no
 * output file and no temp file, print nothing on stdout, and say what
 * already exists on the control plane. Stalls come from a fault proxy in
 * front of the real servers.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startFaultProxy } from '../helpers/faults.ts';
import { jwtsIn, runCli, type CliOptions } from '../helpers/run-cli.ts';
import { idleControlPlane, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);

function bindingFile(
  dir: string,
  clusterID = `int-${randomBytes(4).toString('hex')}`,
  resource = 'postgresqlinstances',
): string {
  const f = join(dir, 'binding.json');
  writeFileSync(f, JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource }] }));
  return f;
}

/** Sends `signal` once stderr matches `when`. */
function interruptWhen(when: RegExp, signal: NodeJS.Signals): CliOptions['onStderr'] {
  let sent = false;
  return (text, child) => {
    if (!sent && when.test(text)) {
      sent = true;
      child.kill(signal);
    }
  };
}

async function stalling(target: string) {
  const p = await startFaultProxy({ target, caFile: sb.caFile, tls: sb.serverTls, script: () => 'stall' });
  t.teardown(() => p.close());
  return p;
}

t.test('during the token call: SIGINT → 130, nothing created, nothing written', async (t) => {
  const dir = t.testdir({});
  const idp = await stalling(new URL(sb.env.OIDC_TOKEN_URL).origin);
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile(dir),
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '-o',
      join(dir, 'all.yaml'),
      '--write-kubeconfig',
      join(dir, 'k.yaml'),
    ],
    {
      env: { ...sb.env, OIDC_TOKEN_URL: `${idp.url}/token` },
      onStderr: interruptWhen(/requesting an access token/, 'SIGINT'),
    },
  );
  t.equal(r.code, 130, r.stderr);
  t.match(r.stderr, /interrupted by SIGINT/);
  t.notMatch(r.stderr, /already done on the control plane/);
  t.equal(r.stdout, '');
  t.same(readdirSync(dir), ['binding.json'], 'no output and no temp file');
  t.ok(r.ms < 10_000, `ended promptly (${r.ms} ms)`);
});

t.test('during the POST: SIGTERM → 143', async (t) => {
  const dir = t.testdir({});
  const backend = await stalling(new URL(sb.bindUrl).origin);
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile(dir),
      '-u',
      `${backend.url}/bind-noninteractive`,
      '--ca-file',
      sb.caFile,
      '-o',
      join(dir, 'all.yaml'),
    ],
    {
      env: sb.env,
      onStderr: interruptWhen(/binding cluster/, 'SIGTERM'),
    },
  );
  t.equal(r.code, 143, r.stderr);
  t.match(r.stderr, /interrupted by SIGTERM/);
  t.equal(r.stdout, '');
  t.same(readdirSync(dir), ['binding.json']);
});

t.test('during the export-request wait: SIGINT → 130 and a line saying what exists on the control plane', async (t) => {
  const dir = t.testdir({});
  // keyvalueinstances has no CRD on the control plane: the example-backend keeps its request Pending, so the wait
  // waits.
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile(dir, undefined, 'keyvalueinstances'),
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '-o',
      join(dir, 'all.yaml'),
      '--write-kubeconfig',
      join(dir, 'k.yaml'),
      '--timeout',
      '60s',
    ],
    {
      env: sb.env,
      onStderr: interruptWhen(/waiting for APIServiceExportRequest/, 'SIGINT'),
    },
  );
  t.equal(r.code, 130, r.stderr);
  t.match(
    r.stderr,
    /already done on the control plane: bound "int-[0-9a-f]+" → namespace cluster-\S+ \(backend 127\.0\.0\.1:\d+\); APIServiceExportRequest\(s\) cluster-\S+\/keyvalueinstances\.anynines\.com; re-running the same command is safe/,
  );
  t.equal(r.stdout, '');
  // The provider kubeconfig is written as soon as the bind succeeded (issue 24, finding 4), and named with its
  // clean-up.
  t.same(readdirSync(dir).sort(), ['binding.json', 'k.yaml'], 'no partial all.yaml; the provider kubeconfig');
  t.match(r.stderr, `\`helper unbind --kubeconfig ${join(dir, 'k.yaml')}\` removes its export requests`);
  t.same(jwtsIn(r.stderr), []);
});

t.test('during the create-ns wait: SIGTERM → 143', async (t) => {
  // On the sandbox's control plane the example-backend answers within milliseconds; here nothing does, so the wait
  // waits.
  const { kubeconfig: kfg } = await idleControlPlane(t, sb);
  const r = await runCli(
    ['create-ns', '--kubeconfig', kfg, '--ca-file', sb.caFile, '-n', 'team-x', '--timeout', '60s'],
    { onStderr: interruptWhen(/APIServiceNamespace .* created/, 'SIGTERM') },
  );
  t.equal(r.code, 143, r.stderr);
  t.match(r.stderr, /interrupted by SIGTERM/);
  t.equal(r.stdout, '');
  t.ok(readFileSync(kfg, 'utf8').length > 0);
});
