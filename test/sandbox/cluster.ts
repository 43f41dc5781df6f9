/**
 * One real Kubernetes control plane for the sandbox: kube-apiserver and
 * kube-controller-manager from the `kube` binary (test/sandbox/kube), on
 * loopback, free ports, TLS from the sandbox CA, RBAC on, ServiceAccount
 * tokens working. Several clusters share one embedded etcd, each under its
 * own key prefix.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { poll } from './poll.ts';
import { freePort, type Proc, type Procs } from './procs.ts';

const run = promisify(execFile);

export interface Binaries {
  kube: string;
  kubectl: string;
  /** Klutch v1.4.0's konnector and example-backend (test/sandbox/bind). */
  konnector: string;
  exampleBackend: string;
  /** The klutchio bind module's source in the Go module cache (its CRDs live there). */
  bindSrc: string;
  /** The OpenTofu CLI (test/sandbox/tofu), for the Terraform module's test. */
  tofu: string;
}

/** The environment that hands built binaries to child processes (test/run.ts → tap → test files). */
export function binariesEnv(bin: Binaries): Record<string, string> {
  return {
    HELPER_SANDBOX_BIN: join(bin.kube, '..'),
    HELPER_SANDBOX_BIND_BIN: join(bin.konnector, '..'),
    HELPER_SANDBOX_BIND_SRC: bin.bindSrc,
    HELPER_SANDBOX_TOFU_BIN: join(bin.tofu, '..'),
  };
}

/** Builds (or finds cached) sandbox binaries via build.sh; the HELPER_SANDBOX_BIN* variables skip the script. */
export async function sandboxBinaries(): Promise<Binaries> {
  let kube = process.env.HELPER_SANDBOX_BIN;
  let bind = process.env.HELPER_SANDBOX_BIND_BIN;
  let src = process.env.HELPER_SANDBOX_BIND_SRC;
  let tofu = process.env.HELPER_SANDBOX_TOFU_BIN;
  if (!kube || !bind || !src || !tofu) {
    const script = new URL('./build.sh', import.meta.url).pathname;
    const { stdout } = await run('bash', [script], { maxBuffer: 1 << 20, timeout: 80 * 60_000 });
    const line = (name: string) => {
      const v = new RegExp(`^${name}=(.+)$`, 'm').exec(stdout)?.[1];
      if (!v) throw new Error(`build.sh printed no ${name}=DIR line: ${stdout}`);
      return v;
    };
    kube = line('kube');
    bind = line('bind');
    src = line('bind-src');
    tofu = line('tofu');
  }
  return {
    kube: join(kube, 'kube'),
    kubectl: join(kube, 'kubectl'),
    konnector: join(bind, 'konnector'),
    exampleBackend: join(bind, 'example-backend'),
    bindSrc: src,
    tofu: join(tofu, 'tofu'),
  };
}

export interface Pki {
  caFile: string;
  caPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  saPubFile: string;
  saKeyFile: string;
}

export interface Etcd {
  url: string;
  proc: Proc;
}

export async function startEtcd(procs: Procs, bin: Binaries, dir: string): Promise<Etcd> {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const proc = procs.start('etcd', bin.kube, [
    'etcd',
    '--data-dir',
    join(dir, 'etcd-data'),
    '--client-url',
    url,
    '--peer-url',
    `http://127.0.0.1:${peer}`,
  ]);
  await until(`etcd on ${url}`, 60_000, proc, procs, async () => {
    const res = await fetch(`${url}/health`).catch(() => undefined);
    return res?.ok === true;
  });
  return { url, proc };
}

export interface Cluster {
  name: string;
  server: string;
  adminToken: string;
  /** Admin kubeconfig file (token auth, sandbox CA). */
  kubeconfig: string;
  caPem: string;
  apiserver: Proc;
  controllerManager: Proc;
}

/** Starts kube-apiserver + kube-controller-manager for one cluster; resolves when /readyz is ok. */
export async function startCluster(
  procs: Procs,
  bin: Binaries,
  pki: Pki,
  etcdUrl: string,
  name: string,
  dir: string,
): Promise<Cluster> {
  const cdir = join(dir, name);
  mkdirSync(cdir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const adminToken = randomBytes(24).toString('hex');
  const tokenFile = join(cdir, 'tokens.csv');
  writeFileSync(tokenFile, `${adminToken},sandbox-admin,sandbox-admin,system:masters\n`, { mode: 0o600 });
  const apiserver = procs.start(`${name}-apiserver`, bin.kube, [
    'apiserver',
    `--etcd-servers=${etcdUrl}`,
    `--etcd-prefix=/registry-${name}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.serverCertFile}`,
    `--tls-private-key-file=${pki.serverKeyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${pki.saPubFile}`,
    `--service-account-signing-key-file=${pki.saKeyFile}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--endpoint-reconciler-type=none',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    `--cert-dir=${cdir}`,
    '-v=1',
  ]);
  const ca = new Agent({ connect: { ca: pki.caPem } });
  await until(`${name} kube-apiserver /readyz on ${server}`, 120_000, apiserver, procs, async () => {
    const res = await fetch(`${server}/readyz`, { dispatcher: ca }).catch(() => undefined);
    if (!res) return false;
    await res.body?.cancel();
    return res.status === 200;
  });
  await ca.close();
  const kubeconfig = join(cdir, 'admin.kubeconfig');
  writeFileSync(kubeconfig, adminKubeconfig(name, server, pki.caPem, adminToken), { mode: 0o600 });
  const controllerManager = procs.start(`${name}-controller-manager`, bin.kube, [
    'controller-manager',
    `--kubeconfig=${kubeconfig}`,
    `--service-account-private-key-file=${pki.saKeyFile}`,
    `--root-ca-file=${pki.caFile}`,
    '--controllers=serviceaccount-token-controller,serviceaccount-controller,namespace-controller,garbage-collector-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller',
    '--leader-elect=false',
    '--use-service-account-credentials=false',
    '--secure-port=0',
    '-v=1',
  ]);
  return { name, server, adminToken, kubeconfig, caPem: pki.caPem, apiserver, controllerManager };
}

export function adminKubeconfig(name: string, server: string, caPem: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    '    user: admin',
    `current-context: ${name}`,
    '',
  ].join('\n');
}

/** Polls ok() until true (poll.ts); throws with the process's log tail, early if the process died. */
export async function until(
  what: string,
  timeoutMs: number,
  proc: Proc | undefined,
  procs: Procs | undefined,
  ok: () => Promise<boolean>,
): Promise<void> {
  const watched = proc && procs ? { proc, procs } : undefined;
  await poll(
    {
      what,
      timeoutMs,
      intervalMs: 250,
      stop: () => (watched && !watched.procs.alive(watched.proc) ? `process ${watched.proc.name} exited` : undefined),
      ...(watched ? { detail: () => watched.procs.tail(watched.proc) } : {}),
    },
    async () => ((await ok()) ? { value: true, seen: '' } : { seen: 'not ready' }),
  );
}

/** Runs the sandbox's kubectl; resolves with stdout/stderr/exit code (never throws on non-zero). */
export async function kubectl(
  bin: Binaries,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // kubectl caches discovery under ~/.kube/cache by host:port only, and the sandbox's clusters take free
  // ports: a new cluster on a port an earlier one used would be mapped with that cluster's kinds. One cache
  // per kubeconfig content (each cluster and binding has its own token) keeps them apart.
  let cacheDir = join(tmpdir(), 'helper-kubectl-cache', 'unreadable');
  try {
    cacheDir = join(
      tmpdir(),
      'helper-kubectl-cache',
      createHash('sha256').update(readFileSync(kubeconfig)).digest('hex').slice(0, 16),
    );
  } catch {
    /* kubectl names the unreadable kubeconfig itself */
  }
  return new Promise((resolve) => {
    const child = execFile(
      bin.kubectl,
      [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args],
      { maxBuffer: 32 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
