/**
 * `npm run demo`: one whole binding on real parts, as a user would run it:
 * the sandbox (real kube-apiservers, OIDC provider, the reference
 * /bind-noninteractive backend, Klutch v1.4.0's example-backend), then
 *
 *   1. bind (bootstrap-env waits until the example-backend says Succeeded)
 *   2. create-ns: a namespace in the binding before the App Cluster exists
 *   3. a claim made early on the control plane with provider.kfg.yaml
 *   4. the namespace on the App Cluster (before its konnector starts)
 *   5. all.yaml applied in one pass (helper apply)
 *   6. Klutch's konnector started against the App Cluster; helper apply
 *      --wait-bindings until both bindings are Ready
 *   7. the early claim adopted on the App Cluster
 *   8. a claim made on the App Cluster reaches the control plane
 *   9. its status, set on the control plane, comes back
 *  10. helper status of the healthy binding, both halves (exit 0)
 *  11. the App Cluster abandoned (its konnector gone, no clean-up there) and
 *      helper unbind on the control plane: the claims are kept and listed
 *  12. a re-bind of the same clusterID onto a fresh, empty App Cluster:
 *      bootstrap-env, helper apply (which protects the kept claims), its
 *      konnector; both kept claims come back there, none is deleted
 *  13. helper status of the re-bound binding (exit 0)
 *
 * and stops everything. Files stay in the printed directory. Exits non-zero
 * as soon as a step does not happen in time, saying what it last saw.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonpathStep } from './helpers/poll.ts';
import { kubectl, startCluster } from './sandbox/cluster.ts';
import { startKonnector } from './sandbox/klutch.ts';
import { poll } from './sandbox/poll.ts';
import { Procs } from './sandbox/procs.ts';
import { startSandbox } from './sandbox/sandbox.ts';

const say = (m: string) => process.stderr.write(`\n\x1b[1mdemo: ${m}\x1b[0m\n`);
const work = mkdtempSync(join(tmpdir(), 'helper-demo-'));
const helper = fileURLToPath(new URL('../bin/helper', import.meta.url));

const sb = await startSandbox({ dir: join(work, 'sandbox') });
const procs = new Procs(join(work, 'sandbox'));
let failed = false;
const stop = async () => {
  await procs.stopAll();
  await sb.stop();
};
process.on('SIGINT', () => void stop().then(() => process.exit(130)));
process.on('SIGTERM', () => void stop().then(() => process.exit(143)));

const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...sb.env };
/** Runs helper as a child (asynchronously: the OIDC provider and the backend answer from this process). */
function helperRun(args: string[]): Promise<string> {
  process.stderr.write(`\n$ helper ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [helper, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0 ? resolve(stdout) : reject(new Error(`helper ${args[0]} exited ${status}`)),
    );
  });
}
/** kubectl, shown as the user would type it (kubeconfig named by role). */
async function k(role: string, kubeconfig: string, args: string[], input?: string): Promise<string> {
  process.stderr.write(`\n$ kubectl --kubeconfig ${role} ${args.join(' ')}\n`);
  const r = await kubectl(sb.bin, kubeconfig, args, input);
  process.stderr.write(r.stdout + r.stderr);
  if (r.code !== 0) throw new Error(`kubectl ${args[0]} exited ${r.code}`);
  return r.stdout;
}
/** Waits (bounded) until a jsonpath is non-empty; throws saying what it last saw. */
function until(
  what: string,
  kubeconfig: string,
  args: string[],
  jsonpath: string,
  timeoutMs = 60_000,
): Promise<string> {
  return poll({ what, timeoutMs }, jsonpathStep(sb.bin, kubeconfig, args, jsonpath));
}
const claim = (name: string, namespace: string) =>
  JSON.stringify({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name, namespace },
    spec: { service: 'a9s-postgresql13', plan: 'postgresql-single-small' },
  });

try {
  const binding = join(work, 'binding.json');
  const all = join(work, 'all.yaml');
  const kfg = join(work, 'provider.kfg.yaml');
  const app = sb.app.kubeconfig;
  const cp = sb.controlPlane.kubeconfig;
  writeFileSync(
    binding,
    JSON.stringify(
      {
        clusterID: 'demo-cluster',
        apis: [
          { group: 'anynines.com', resource: 'postgresqlinstances' },
          { group: 'anynines.com', resource: 'servicebindings' },
        ],
      },
      null,
      2,
    ),
  );

  say(
    '1. bind the App Cluster: token, /bind-noninteractive, export requests created and waited for (the ' +
      'example-backend exports the APIs)',
  );
  await helperRun([
    'bootstrap-env',
    '-f',
    binding,
    '-u',
    sb.bindUrl,
    '--ca-file',
    sb.caFile,
    '--write-kubeconfig',
    kfg,
    '--output-file',
    all,
  ]);
  await k('provider.kfg.yaml', kfg, ['get', 'apiserviceexportrequests,apiserviceexports']);

  say('2. a namespace in the binding before the App Cluster exists');
  const teamNs = (await helperRun(['create-ns', '--kubeconfig', kfg, '-n', 'team-a', '--ca-file', sb.caFile])).trim();

  say('3. a PostgreSQL instance ordered early, on the control plane, with provider.kfg.yaml');
  await k('provider.kfg.yaml', kfg, ['create', '-f', '-'], claim('orders-db', teamNs));

  say('4. the App Cluster gets namespace team-a before its konnector starts');
  await k('app.kubeconfig', app, ['create', 'namespace', 'team-a']);

  say('5. all.yaml applied in one pass (CRDs, wait until Established, the rest)');
  await helperRun(['apply', '-f', all, '--kubeconfig', app]);

  say(
    '6. the konnector runs on the App Cluster (Klutch v1.4.0, as the ServiceAccount all.yaml created); wait ' +
      'until the bindings are Ready',
  );
  const konnector = await startKonnector(procs, sb.bin, sb.appCluster, work);
  process.stderr.write(`konnector pid ${konnector.proc.pid}, log ${konnector.proc.logFile}\n`);
  await helperRun(['apply', '-f', all, '--kubeconfig', app, '--wait-bindings', '2m']);
  await k('app.kubeconfig', app, ['get', 'apiservicebindings']);

  say('7. the early order shows up on the App Cluster');
  await until(
    'orders-db on the App Cluster',
    app,
    ['postgresqlinstances.anynines.com', 'orders-db', '-n', 'team-a'],
    '{.metadata.name}',
  );
  await k('app.kubeconfig', app, ['get', 'postgresqlinstances.anynines.com', '-n', 'team-a']);

  say('8. a new order on the App Cluster reaches the control plane');
  await k('app.kubeconfig', app, ['create', '-f', '-'], claim('billing-db', 'team-a'));
  await until(
    'billing-db on the control plane',
    cp,
    ['postgresqlinstances.anynines.com', 'billing-db', '-n', teamNs],
    '{.metadata.name}',
  );
  await k('provider.kfg.yaml', kfg, ['get', 'postgresqlinstances.anynines.com', '-n', teamNs]);

  say('9. the control plane reports it ready (what Crossplane would do here) and the App Cluster sees it');
  await k('control-plane admin', cp, [
    'patch',
    'postgresqlinstances.anynines.com',
    'billing-db',
    '-n',
    teamNs,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Available', lastTransitionTime: new Date().toISOString() },
        ],
      },
    }),
  ]);
  const reason = await until(
    'the status on the App Cluster',
    app,
    ['postgresqlinstances.anynines.com', 'billing-db', '-n', 'team-a'],
    '{.status.conditions[0].reason}',
  );
  process.stderr.write(`billing-db on the App Cluster: Ready (${reason})\n`);

  say('10. helper status: both halves of the healthy binding (exit 0 is the CI gate)');
  await helperRun(['status', '--kubeconfig', kfg, '--app-kubeconfig', app, '--ca-file', sb.caFile]);

  say(
    '11. the App Cluster is abandoned (its konnector gone, as when a CI cluster is torn down); helper unbind ' +
      'on the control plane keeps the claims and lists them',
  );
  await konnector.stop();
  await helperRun(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile]);
  await k('control-plane admin', cp, ['get', 'postgresqlinstances.anynines.com', '-n', teamNs]);

  say(
    '12. the same clusterID bound again onto a fresh, empty App Cluster: bootstrap-env, helper apply (it ' +
      'protects the kept claims), its konnector',
  );
  const app2 = await startCluster(procs, sb.bin, sb.pki, sb.etcdUrl, 'app-2', join(work, 'sandbox'));
  await helperRun([
    'bootstrap-env',
    '-f',
    binding,
    '-u',
    sb.bindUrl,
    '--ca-file',
    sb.caFile,
    '--write-kubeconfig',
    kfg,
    '--output-file',
    all,
  ]);
  await helperRun(['apply', '-f', all, '--kubeconfig', app2.kubeconfig]);
  const konnector2 = await startKonnector(procs, sb.bin, app2, work);
  process.stderr.write(`konnector pid ${konnector2.proc.pid}, log ${konnector2.proc.logFile}\n`);
  await helperRun(['apply', '-f', all, '--kubeconfig', app2.kubeconfig, '--wait-bindings', '2m']);
  for (const name of ['orders-db', 'billing-db']) {
    await until(
      `${name} on the new App Cluster`,
      app2.kubeconfig,
      ['postgresqlinstances.anynines.com', name, '-n', 'team-a'],
      '{.metadata.name}',
    );
  }
  await k('app-2.kubeconfig', app2.kubeconfig, ['get', 'postgresqlinstances.anynines.com', '-n', 'team-a']);
  await k('provider.kfg.yaml', kfg, ['get', 'postgresqlinstances.anynines.com', '-n', teamNs]);

  say('13. helper status of the re-bound binding');
  await helperRun(['status', '--kubeconfig', kfg, '--app-kubeconfig', app2.kubeconfig, '--ca-file', sb.caFile]);
  await konnector2.stop();

  say(
    `done: bound, claims travelled both ways, unbound with the claims kept, re-bound onto a new App Cluster ` +
      `with every claim back; files in ${work}`,
  );
} catch (err) {
  failed = true;
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : err}\n`);
} finally {
  await stop();
}
process.exitCode = failed ? 1 : 0;
