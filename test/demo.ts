/**
 * `npm run demo`: one full local binding against the sandbox, as a user
 * would run it: start the sandbox, write binding.json, run
 * `helper bootstrap-env ... --write-kubeconfig provider.kfg.yaml > all.yaml`,
 * `helper create-ns`, apply all.yaml to the App Cluster with kubectl, show
 * what exists on both clusters, and stop the sandbox. Files stay in the
 * printed directory.
 *
 * The export requests are created with --no-wait: the Klutch example-backend
 * that turns them into APIServiceExports cannot be built here (the Go module
 * proxy refuses github.com/anynines/klutchio/bind), so nothing on the control
 * plane would ever mark them Succeeded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl } from './sandbox/cluster.ts';
import { startSandbox } from './sandbox/sandbox.ts';

const say = (m: string) => process.stderr.write(`\ndemo: ${m}\n`);
const work = mkdtempSync(join(tmpdir(), 'helper-demo-'));
const helper = fileURLToPath(new URL('../bin/helper', import.meta.url));

const sb = await startSandbox({ dir: join(work, 'sandbox') });
let failed = false;
const stop = async () => { await sb.stop(); };
process.on('SIGINT', () => void stop().then(() => process.exit(130)));
process.on('SIGTERM', () => void stop().then(() => process.exit(143)));
try {
  const binding = join(work, 'binding.json');
  writeFileSync(binding, JSON.stringify({
    clusterID: 'demo-cluster',
    apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }, { group: 'anynines.com', resource: 'servicebindings' }],
  }, null, 2));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...sb.env };
  // Asynchronous on purpose: the OIDC provider and the backend run in this
  // process, so a synchronous spawn would block them from answering helper.
  const helperRun = (args: string[]) => new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
    process.stderr.write(`\n$ helper ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [helper, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
  const run = async (args: string[]) => {
    const r = await helperRun(args);
    if (r.status !== 0) throw new Error(`helper ${args[0]} exited ${r.status}`);
    return r.stdout;
  };

  say('1. bind the App Cluster (all.yaml on stdout, provider kubeconfig written 0600)');
  const allYaml = await run(['bootstrap-env', '-f', binding, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--write-kubeconfig', join(work, 'provider.kfg.yaml'), '--no-wait']);
  writeFileSync(join(work, 'all.yaml'), allYaml, { mode: 0o600 });
  process.stderr.write(`all.yaml: ${allYaml.split('\n---\n').length} documents, ${allYaml.length} bytes\n`);

  say('2. create a namespace in the binding before the App Cluster exists');
  const nsOut = await helperRun(['create-ns', '--kubeconfig', join(work, 'provider.kfg.yaml'), '-n', 'team-a', '--timeout', '5s']);
  if (nsOut.status !== 0) process.stderr.write(`(create-ns exited ${nsOut.status}: without the example-backend nobody sets status.namespace)\n`);

  say('3. apply all.yaml to the App Cluster in one pass (helper apply: CRDs, wait until Established, the rest)');
  await run(['apply', '-f', join(work, 'all.yaml'), '--kubeconfig', sb.app.kubeconfig]);

  say('4. what exists now');
  for (const [name, kc, args] of [
    ['App Cluster', sb.app.kubeconfig, ['get', 'apiservicebindings,crd', '-o', 'name']],
    ['Control plane (binding namespace)', join(work, 'provider.kfg.yaml'), ['get', 'apiserviceexportrequests,apiservicenamespaces', '-o', 'wide']],
  ] as const) {
    const r = await kubectl(sb.bin, kc, [...args]);
    process.stderr.write(`--- ${name}\n${r.stdout}${r.stderr}`);
  }
  say(`done; files in ${work}`);
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : err}\n`);
} finally {
  await stop();
}
process.exitCode = failed ? 1 : 0;
