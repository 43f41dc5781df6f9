/**
 * Klutch v1.4.0's own controllers in the sandbox, built from the klutchio
 * `bind` Go module (test/sandbox/bind, build.sh):
 *
 * - the example-backend against the Control Plane Cluster: it reconciles
 *   APIServiceExportRequests (Succeeded / Failed, creating APIServiceExports),
 *   APIServiceNamespaces (the `<cluster-ns>-<name>` namespace and its
 *   RoleBinding, status.namespace), ClusterBindings (the per-binding
 *   `klutch-binder-<cluster-ns>` ClusterRole) and APIServiceExports, and
 *   bootstraps the `klutch-binder` ClusterRole;
 * - the konnector, started on demand against one App Cluster as a local
 *   process with a TokenRequest token of the `klutch-bind/konnector`
 *   ServiceAccount that all.yaml creates (so all.yaml's RBAC is what runs).
 *
 * The control plane's CRDs are read from the module's own deploy/crd/ and
 * contrib/deploy/crd/ in the Go module cache (never copied into the repo).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminKubeconfig, kubectl, until, type Binaries, type Cluster, type Pki } from './cluster.ts';
import { freePort, type Proc, type Procs } from './procs.ts';

/** The upstream CRD files: the five klutch.anynines.com CRDs and the example-backend's export-template CRD. */
export function upstreamCrdFiles(bin: Binaries): string[] {
  const dirs = [join(bin.bindSrc, 'deploy', 'crd'), join(bin.bindSrc, 'contrib', 'deploy', 'crd')];
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(d, f)),
  );
}

export interface ExampleBackend {
  proc: Proc;
  /** The address of its (unused) browser flow: the sandbox never opens it. */
  url: string;
}

/**
 * Starts the example-backend against the control plane. v1.4.0 has no
 * control-plane-only mode: it insists on OIDC flags (discovery runs at start,
 * so the issuer must answer) and a cookie signing key, though only its
 * browser flow uses them; it trusts the sandbox CA through SSL_CERT_FILE.
 */
export async function startExampleBackend(
  procs: Procs,
  bin: Binaries,
  pki: Pki,
  cpc: Cluster,
  oidc: { issuer: string; clientId: string },
  dir: string,
): Promise<ExampleBackend> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = procs.start(
    'example-backend',
    bin.exampleBackend,
    [
      `--kubeconfig=${cpc.kubeconfig}`,
      `--listen-address=127.0.0.1:${port}`,
      '--namespace-prefix=cluster',
      '--pretty-name=sandbox',
      '--consumer-scope=Namespaced',
      `--external-address=${cpc.server}`,
      `--external-ca-file=${pki.caFile}`,
      `--oidc-issuer-url=${oidc.issuer}`,
      `--oidc-issuer-client-id=${oidc.clientId}`,
      `--oidc-issuer-client-secret=${randomBytes(16).toString('hex')}`,
      `--oidc-callback-url=${url}/callback`,
      `--cookie-signing-key=${randomBytes(32).toString('base64')}`,
      '-v=2',
    ],
    { env: { ...process.env, SSL_CERT_FILE: pki.caFile }, cwd: dir },
  );
  // Ready once it listens and has bootstrapped its ClusterRole (its controllers start right after).
  await until(`example-backend on ${url}`, 120_000, proc, procs, async () => {
    if (!(await listening(port))) return false;
    const r = await kubectl(bin, cpc.kubeconfig, ['get', 'clusterrole', 'klutch-binder', '-o', 'name']);
    return r.code === 0;
  });
  return { proc, url };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/** The konnector's health server has a fixed :8080 (all interfaces, no flag). */
export const KONNECTOR_HEALTH_PORT = 8080;
const LOCK_DIR = join(tmpdir(), 'helper-sandbox-konnector.lock');

function lockHolder(): number | undefined {
  try {
    const pid = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One konnector on this machine at a time: a lock directory (mkdir is
 * atomic) holding the owner's PID. A lock whose owner died is taken over.
 * Waits up to timeoutMs, saying who holds it.
 */
async function acquireKonnectorLock(timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder();
    // A lock without a pid file is being written right now, unless it is old.
    const age = (() => {
      try {
        return Date.now() - statSync(LOCK_DIR).mtimeMs;
      } catch {
        return 0;
      }
    })();
    if ((holder !== undefined && !pidAlive(holder)) || (holder === undefined && age > 10_000)) {
      rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(
        `another konnector holds ${LOCK_DIR} (pid ${holder ?? 'unknown'}) for more than ${timeoutMs / 1000}` +
          `s; only one can run per machine (fixed health port :${KONNECTOR_HEALTH_PORT})`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Throws a clear error when something already listens on :8080. */
async function checkHealthPortFree(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${KONNECTOR_HEALTH_PORT} is taken (${err.code}): the v1.4.0 konnector's health server ` +
            `listens on a fixed :${KONNECTOR_HEALTH_PORT}; stop what uses it (ss -ltnp 'sport = :` +
            `${KONNECTOR_HEALTH_PORT}') and try again`,
        ),
      ),
    );
    srv.listen(KONNECTOR_HEALTH_PORT, () => srv.close(() => resolve()));
  });
}

export interface Konnector {
  proc: Proc;
  /** Its kubeconfig: the App Cluster with the konnector ServiceAccount's token. */
  kubeconfig: string;
  stop(): Promise<void>;
}

/**
 * Starts the real konnector against an App Cluster on which all.yaml was
 * applied: it authenticates as `klutch-bind/konnector` (a TokenRequest token,
 * so all.yaml's ClusterRole and binding are what it can do), leases in
 * klutch-bind, and is stopped by PID with stop(). Resolves once /healthz
 * answers 200.
 */
export async function startKonnector(
  procs: Procs,
  bin: Binaries,
  app: Pick<Cluster, 'name' | 'server' | 'caPem' | 'kubeconfig'>,
  dir: string,
  opts: { lockTimeoutMs?: number } = {},
): Promise<Konnector> {
  const release = await acquireKonnectorLock(opts.lockTimeoutMs ?? 15 * 60_000);
  let proc: Proc | undefined;
  try {
    await checkHealthPortFree();
    const tok = await kubectl(bin, app.kubeconfig, [
      'create',
      'token',
      'konnector',
      '-n',
      'klutch-bind',
      '--duration=2h',
    ]);
    if (tok.code !== 0)
      throw new Error(
        `no token for ServiceAccount klutch-bind/konnector on ${app.name} (was all.yaml applied?): ` +
          `${tok.stderr.trim()}`,
      );
    const kdir = join(dir, `konnector-${app.name}`);
    mkdirSync(kdir, { recursive: true, mode: 0o700 });
    const kubeconfig = join(kdir, 'konnector.kubeconfig');
    writeFileSync(kubeconfig, adminKubeconfig(app.name, app.server, app.caPem, tok.stdout.trim()), { mode: 0o600 });
    proc = procs.start(`konnector-${app.name}`, bin.konnector, [`--kubeconfig=${kubeconfig}`, '-v=2'], {
      env: {
        ...process.env,
        POD_NAMESPACE: 'klutch-bind',
        POD_NAME: `konnector-sandbox-${randomBytes(3).toString('hex')}`,
      },
      cwd: kdir,
    });
    const p = proc;
    await until(`konnector for ${app.name} (/healthz on :${KONNECTOR_HEALTH_PORT})`, 60_000, p, procs, async () => {
      const res = await fetch(`http://127.0.0.1:${KONNECTOR_HEALTH_PORT}/healthz`).catch(() => undefined);
      await res?.body?.cancel();
      return res?.status === 200;
    });
    let stopped: Promise<void> | undefined;
    return {
      proc: p,
      kubeconfig,
      stop: () =>
        (stopped ??= (async () => {
          if (p.child.exitCode === null && p.child.signalCode === null) {
            p.child.kill('SIGTERM');
            const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
            await p.exited;
            clearTimeout(timer);
          }
          release();
        })()),
    };
  } catch (err) {
    if (proc) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    release();
    throw err;
  }
}
