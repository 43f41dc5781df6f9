/**
 * Gives a test file the sandbox: the one test/run.ts started for the whole
 * suite (HELPER_SANDBOX_DIR), or a fresh one stopped at teardown.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { sandboxBinaries, startCluster, type Binaries, type Cluster } from '../sandbox/cluster.ts';
import { Procs } from '../sandbox/procs.ts';
import { startSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';
import { startKonnector, upstreamCrdFiles, type Konnector } from '../sandbox/klutch.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { readFileSync as readText, writeFileSync } from 'node:fs';

export type TestSandbox = SandboxInfo & { bin: Binaries };

export async function useSandbox(t: Test): Promise<TestSandbox> {
  const shared = process.env.HELPER_SANDBOX_DIR;
  if (shared) {
    const info = JSON.parse(readFileSync(join(shared, 'sandbox.json'), 'utf8')) as SandboxInfo;
    return { ...info, bin: await sandboxBinaries() };
  }
  const sb = await startSandbox({ quiet: true });
  t.teardown(() => sb.stop());
  return sb;
}

/** The env a user of helper sets for this sandbox, plus the CA. */
export function userEnv(
  sb: SandboxInfo,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return { ...sb.env, ...extra };
}

/** Starts one more, empty cluster on the sandbox's etcd (a new App Cluster); stopped at teardown. */
export async function extraCluster(t: Test, sb: TestSandbox, name: string): Promise<Cluster> {
  // Not t.testdir(): that would empty the test's own fixture directory.
  const dir = mkdtempSync(join(tmpdir(), 'helper-extra-cluster-'));
  const procs = new Procs(dir);
  t.teardown(async () => {
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });
  return startCluster(procs, sb.bin, sb.pki, sb.etcdUrl, `${name}-${randomBytes(3).toString('hex')}`, dir);
}

/**
 * Starts Klutch's real konnector against an App Cluster on which all.yaml was
 * applied (default: the sandbox's own App Cluster); stopped at teardown. One
 * konnector per machine at a time (its health port is a fixed :8080): this
 * waits for another test's konnector to stop.
 */
export async function konnector(t: Test, sb: TestSandbox, app?: Cluster): Promise<Konnector> {
  const dir = mkdtempSync(join(tmpdir(), 'helper-konnector-'));
  const procs = new Procs(dir);
  const target = app ?? { name: 'app', server: sb.app.server, caPem: sb.pki.caPem, kubeconfig: sb.app.kubeconfig };
  let k: Konnector | undefined;
  t.teardown(async () => {
    await k?.stop();
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });
  k = await startKonnector(procs, sb.bin, target, dir);
  return k;
}

/**
 * A control plane where nothing reconciles: a fresh cluster with the klutch
 * CRDs and a cluster namespace, no backend. Returns a kubeconfig whose
 * context names that namespace (what a provider kubeconfig looks like), for
 * waits that must not end (status.namespace never comes).
 */
export async function idleControlPlane(t: Test, sb: TestSandbox): Promise<{ kubeconfig: string; namespace: string }> {
  const cp = await extraCluster(t, sb, 'idle');
  const crds = await kubectl(sb.bin, cp.kubeconfig, [
    'apply',
    '--server-side',
    ...upstreamCrdFiles(sb.bin).flatMap((f) => ['-f', f]),
  ]);
  if (crds.code !== 0) throw new Error(`idle control plane: ${crds.stderr}`);
  const est = await kubectl(sb.bin, cp.kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '--all',
  ]);
  if (est.code !== 0) throw new Error(`idle control plane: ${est.stderr}`);
  const namespace = 'cluster-idle';
  const ns = await kubectl(sb.bin, cp.kubeconfig, ['create', 'namespace', namespace]);
  if (ns.code !== 0) throw new Error(`idle control plane: ${ns.stderr}`);
  const kubeconfig = join(cp.kubeconfig, '..', 'idle-provider.kubeconfig');
  writeFileSync(
    kubeconfig,
    readText(cp.kubeconfig, 'utf8').replace('    user: admin\n', `    user: admin\n    namespace: ${namespace}\n`),
    { mode: 0o600 },
  );
  return { kubeconfig, namespace };
}
