/**
 * issue 24, findings 2 and 4, on the sandbox's real example-backend:
 * keyvalueinstances has an export template but no CRD on the control plane,
 * so its APIServiceExportRequest stays Pending with CRDNotFound (v1.4.0
 * never requeues it by itself).
 *
 *   2. The wait ends within the CRDNotFound grace period (90 s) as failed,
 *      exit 8, saying the control plane does not export that resource, and
 *      without "re-running the same command is safe" advice; a fleet stops
 *      waiting for that member too (exit 9, the member's exit code 8).
 *   4. The bind succeeded before that: the provider kubeconfig is already
 *      written (0600), the error names the exact clean-up command, and that
 *      command (helper unbind) reaches the binding and removes the pending
 *      export request.
 * The single run and the fleet run at the same time (each waits ~90 s).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const dir = t.testdir({ fleet: {} });
const GRACE_MS = 90_000;
/** Longer than the grace period: a run that ends by timeout (exit 7) is the old behaviour. */
const TIMEOUT = '150s';
const run = randomBytes(3).toString('hex');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mode = (f: string) => (existsSync(f) ? (statSync(f).mode & 0o777).toString(8) : 'absent');

function bindingFile(path: string, clusterID: string, resource: string): string {
  writeFileSync(path, JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource }] }));
  return path;
}

async function exportRequests(kfg: string): Promise<string> {
  const r = await kubectl(sb.bin, kfg, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  return r.code === 0 ? r.stdout.trim() : `error: ${r.stderr.trim()}`;
}

// One binding.
const single = bindingFile(join(dir, 'kv.json'), `truth-kv-${run}`, 'keyvalueinstances');
const kfg = join(dir, 'kv.provider.kfg.yaml');
const all = join(dir, 'kv.all.yaml');
const singleRun = runCli(
  [
    'bootstrap-env',
    '-f',
    single,
    '-u',
    sb.bindUrl,
    '--ca-file',
    sb.caFile,
    '--write-kubeconfig',
    kfg,
    '--output-file',
    all,
    '--timeout',
    TIMEOUT,
  ],
  { env: sb.env, timeoutMs: 300_000 },
);

// A fleet: one good member, one asking for the resource that is not exported.
const good = `truth-fleet-${run}-good`;
const bad = `truth-fleet-${run}-kv`;
bindingFile(join(dir, 'fleet', 'a-good.json'), good, 'postgresqlinstances');
bindingFile(join(dir, 'fleet', 'b-kv.json'), bad, 'keyvalueinstances');
const out = join(dir, 'out');
const fleetRun = runCli(
  [
    'bootstrap-env',
    '-f',
    join(dir, 'fleet'),
    '-u',
    sb.bindUrl,
    '--ca-file',
    sb.caFile,
    '--out-dir',
    out,
    '-o',
    'json',
    '--timeout',
    TIMEOUT,
  ],
  { env: sb.env, timeoutMs: 300_000 },
);

function noSecrets(t: Test, r: CliResult): void {
  t.same(jwtsIn(r.stdout + r.stderr), [], 'no token printed');
  t.notOk((r.stdout + r.stderr).includes(sb.env.OIDC_CLIENT_SECRET!), 'no client secret printed');
}

t.test('finding 2: not exported → exit 8 within the grace period, names it, no re-run advice', async (t) => {
  const r = await singleRun;
  t.equal(r.code, 8, r.stderr.slice(-3000));
  t.ok(r.ms < GRACE_MS + 25_000, `ended within the grace period (${Math.round(r.ms / 1000)}s)`);
  const kv = 'keyvalueinstances\\.anynines\\.com';
  const either = [`the control plane does not export.*${kv}`, `${kv}.*the control plane does not export it`];
  t.match(r.stderr, new RegExp(`error: .*(${either.join('|')})`));
  t.notMatch(r.stderr, /re-running the same command is safe/, 'no false re-run advice');
  t.equal(r.stdout, '', 'stdout empty');
  t.equal(mode(all), 'absent', 'no all.yaml');
  noSecrets(t, r);
});

t.test('finding 4: the provider kubeconfig is there after that failure (0600), its clean-up works', async (t) => {
  const r = await singleRun;
  t.equal(mode(kfg), '600', 'provider kubeconfig written, mode 0600');
  t.match(r.stderr, new RegExp(`helper unbind --kubeconfig ${esc(kfg)}`), 'the exact clean-up command');
  if (mode(kfg) === 'absent') return;
  t.equal(await exportRequests(kfg), 'keyvalueinstances.anynines.com', 'the pending export request is reachable');
  const st = await runCli(['status', '--kubeconfig', kfg, '--ca-file', sb.caFile]);
  t.match(st.stdout, /APIServiceExportRequest +\S+\/keyvalueinstances\.anynines\.com/, 'status reaches it');
  const u = await runCli(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile]);
  t.equal(u.code, 0, u.stderr);
  t.equal(await exportRequests(kfg), '', 'unbind removed the export request');
});

t.test('finding 2 in a fleet: the member fails with exit 8 within the grace period, the other kept (9)', async (t) => {
  const r = await fleetRun;
  t.equal(r.code, 9, r.stderr.slice(-3000));
  t.ok(r.ms < GRACE_MS + 25_000, `the fleet ended within the grace period (${Math.round(r.ms / 1000)}s)`);
  type Entry = { clusterID: string; status: string; error?: { exitCode: number; message: string } };
  const summary = JSON.parse(r.stdout || '{}') as { items?: Entry[] };
  const byId = new Map((summary.items ?? []).map((c) => [c.clusterID, c]));
  t.equal(byId.get(good)?.status, 'ok', 'the good member is bound');
  t.equal(byId.get(bad)?.status, 'failed');
  t.equal(byId.get(bad)?.error?.exitCode, 8, 'the member failed as a Failed export (8), not a timeout (7)');
  t.match(byId.get(bad)?.error?.message ?? '', /does not export/);
  t.notMatch(r.stderr + r.stdout, /re-running the same command is safe/, 'no false re-run advice');
  noSecrets(t, r);
});

t.test('finding 4 in a fleet: the failed member leaves a usable provider kubeconfig (0600)', async (t) => {
  const r = await fleetRun;
  const memberKfg = join(out, bad, 'provider.kfg.yaml');
  t.equal(mode(memberKfg), '600', `${bad}/provider.kfg.yaml written, mode 0600`);
  t.equal(mode(join(out, bad, 'all.yaml')), 'absent', 'no all.yaml for the failed member');
  t.equal(mode(join(out, good, 'provider.kfg.yaml')), '600', 'the good member has its files');
  t.match(r.stdout + r.stderr, new RegExp(`helper unbind --kubeconfig ${esc(memberKfg)}`), 'the clean-up command');
  if (mode(memberKfg) === 'absent') return;
  const u = await runCli(['unbind', '--kubeconfig', memberKfg, '--ca-file', sb.caFile]);
  t.equal(u.code, 0, u.stderr);
  t.equal(await exportRequests(memberKfg), '', "unbind removed the member's export request");
});
