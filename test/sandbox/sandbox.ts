/**
 * The local sandbox: a Control Plane Cluster and an App Cluster (real
 * kube-apiserver + kube-controller-manager each, one embedded etcd), a real
 * OIDC provider, Klutch v1.4.0's real example-backend, and the project's
 * reference /bind-noninteractive backend. Everything binds to 127.0.0.1 on
 * free ports; every child is stopped by PID in stop().
 *
 * Which part is whose:
 *
 * | part | what it does | code |
 * |---|---|---|
 * | kube-apiserver, kube-controller-manager, etcd | both clusters; ServiceAccount tokens, namespace deletion, GC |
 * Kubernetes 1.37 modules (test/sandbox/kube) |
 * | OIDC provider | client-credentials tokens (JWT, aud klutch-bind) | npm oidc-provider (oidc.ts) |
 * | reference backend | only what the closed anynines backend does and no upstream controller does: verify the bearer
 * JWT, map `<sub>#<clusterID>` to a cluster namespace, its `klutch-binder` ServiceAccount, token, RoleBinding,
 * kubeconfig Secret and ClusterBinding, answer the BindingResponse | this project (bind-backend.ts) |
 * | example-backend | everything Klutch reconciles on the control plane: export requests → APIServiceExports and
 * Succeeded/Failed, APIServiceNamespaces → `<cluster-ns>-<name>` + status.namespace, ClusterBindings →
 * `klutch-binder-<cluster-ns>` RBAC; bootstraps the `klutch-binder` ClusterRole | klutchio bind v1.4.0 (klutch.ts) |
 * | konnector | on demand per App Cluster (startKonnector): bindings Ready, bound CRDs, claims synced both ways,
 * heartbeat | klutchio bind v1.4.0 (klutch.ts) |
 * | CRDs on the control plane | the five klutch.anynines.com CRDs and the export-template CRD | read from the bind
 * module's deploy/crd/ and contrib/deploy/crd/ |
 * | claim CRDs, export templates | postgresqlinstances and servicebindings (what Crossplane's configuration package
 * would install), their templates; keyvalueinstances has a template but no CRD, so its export requests stay Pending
 * (CRDNotFound) and end Failed on the example-backend's first reconcile after a minute | stand-ins written here (no
 * Crossplane) |
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../src/render/to-yaml.ts';
import { startBindBackend } from './bind-backend.ts';
import { kubectl, sandboxBinaries, startCluster, startEtcd, type Binaries, type Cluster, type Pki } from './cluster.ts';
import { startExampleBackend, upstreamCrdFiles } from './klutch.ts';
import { startOidcProvider } from './oidc.ts';
import { Procs } from './procs.ts';
import { createCa, createRsaKeyPair } from './tls.ts';

export const BACKEND_AUDIENCE = 'klutch-bind';
export const TEMPLATE_GROUP = 'example-backend.klutch.anynines.com';

export interface SandboxInfo {
  dir: string;
  caFile: string;
  /** The serving certificate (127.0.0.1) the sandbox's HTTPS servers use; tests reuse it for fault proxies. */
  serverTls: { certFile: string; keyFile: string };
  /** What a test needs to start more clusters on the same etcd. */
  etcdUrl: string;
  pki: Pki;
  /** token: the admin bearer token (also in kubeconfig), for tests that start another reference backend. */
  controlPlane: { server: string; kubeconfig: string; token: string };
  app: { server: string; kubeconfig: string };
  oidc: {
    issuer: string;
    tokenUrl: string;
    jwksUrl: string;
    clientId: string;
    clientSecret: string;
    audience: string;
    /** A second client without a secret: private_key_jwt with the public key of keyFile (PEM, 0600) registered, kid its
     * RFC 7638 thumbprint. */
    keyless: { clientId: string; keyFile: string; kid: string };
  };
  bindUrl: string;
  /** Klutch's example-backend process (its log shows what it reconciled). */
  exampleBackend: { pid: number; logFile: string };
  /** The environment a user of helper sets. */
  env: { OIDC_CLIENT_ID: string; OIDC_CLIENT_SECRET: string; OIDC_TOKEN_URL: string };
  pidFile: string;
}

export interface Sandbox extends SandboxInfo {
  bin: Binaries;
  controlPlaneCluster: Cluster;
  appCluster: Cluster;
  stop(): Promise<void>;
}

const say = (msg: string) => process.stderr.write(`sandbox: ${msg}\n`);

/** Starts the whole sandbox in `dir` (a new temp dir by default). */
export async function startSandbox(opts: { dir?: string; quiet?: boolean } = {}): Promise<Sandbox> {
  const log = opts.quiet ? () => {} : say;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'helper-sandbox-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const procs = new Procs(dir);
  const closers: Array<() => Promise<void>> = [];
  let failed = false;
  const stop = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    closers.length = 0;
    await procs.stopAll();
    // A directory the caller did not name is ours: nothing of it outlives the
    // sandbox, unless starting failed (its logs are kept for the error).
    if (!opts.dir && !failed) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const t0 = Date.now();
    const bin = await sandboxBinaries();
    log(`binaries ready (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    const ca = await createCa(join(dir, 'pki'));
    // proxied.sandbox.test: a name only a test's proxy resolves (test/e2e/proxy.test.ts; loopback is never proxied).
    const server = await ca.issue('server', {
      sans: ['IP:127.0.0.1', 'DNS:localhost', 'DNS:proxied.sandbox.test'],
      cn: '127.0.0.1',
    });
    const sa = await createRsaKeyPair(join(dir, 'pki'), 'sa');
    const pki = {
      caFile: ca.caFile,
      caPem: ca.caCert,
      serverCertFile: server.certFile,
      serverKeyFile: server.keyFile,
      saPubFile: sa.publicKeyFile,
      saKeyFile: sa.privateKeyFile,
    };

    const etcd = await startEtcd(procs, bin, dir);
    log(`etcd ready (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    const [cpc, app] = await Promise.all([
      startCluster(procs, bin, pki, etcd.url, 'control-plane', dir),
      startCluster(procs, bin, pki, etcd.url, 'app', dir),
    ]);
    log(`clusters ready: control plane ${cpc.server}, app ${app.server} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);

    await installControlPlane(bin, cpc);
    log(`control plane objects installed (${((Date.now() - t0) / 1000).toFixed(1)}s)`);

    const clientId = 'helper-ci';
    const clientSecret = randomBytes(24).toString('base64url');
    const keyless = await keylessClient(dir);
    const oidc = await startOidcProvider({
      tls: { cert: server.cert, key: server.key },
      clients: [
        { clientId, clientSecret },
        { clientId: keyless.clientId, jwks: keyless.jwks },
      ],
      audience: BACKEND_AUDIENCE,
    });
    closers.push(oidc.stop);
    const eb = await startExampleBackend(
      procs,
      bin,
      pki,
      cpc,
      { issuer: oidc.issuer, clientId: BACKEND_AUDIENCE },
      dir,
    );
    log(`example-backend v1.4.0 reconciling the control plane (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    const backend = await startBindBackend({
      tls: { cert: server.cert, key: server.key },
      issuer: oidc.issuer,
      jwksUrl: oidc.jwksUrl,
      caPem: ca.caCert,
      audience: BACKEND_AUDIENCE,
      controlPlane: { server: cpc.server, caPem: ca.caCert, token: cpc.adminToken },
      templateGroup: TEMPLATE_GROUP,
    });
    closers.push(backend.stop);
    log(`OIDC provider ${oidc.issuer}, bind backend ${backend.url} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);

    return {
      dir,
      caFile: ca.caFile,
      serverTls: { certFile: server.certFile, keyFile: server.keyFile },
      etcdUrl: etcd.url,
      pki,
      controlPlane: { server: cpc.server, kubeconfig: cpc.kubeconfig, token: cpc.adminToken },
      app: { server: app.server, kubeconfig: app.kubeconfig },
      oidc: {
        issuer: oidc.issuer,
        tokenUrl: oidc.tokenUrl,
        jwksUrl: oidc.jwksUrl,
        clientId,
        clientSecret,
        audience: BACKEND_AUDIENCE,
        keyless: { clientId: keyless.clientId, keyFile: keyless.keyFile, kid: keyless.kid },
      },
      bindUrl: backend.url,
      exampleBackend: { pid: eb.proc.pid, logFile: eb.proc.logFile },
      env: { OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret, OIDC_TOKEN_URL: oidc.tokenUrl },
      pidFile: procs.pidFile,
      bin,
      controlPlaneCluster: cpc,
      appCluster: app,
      stop,
    };
  } catch (err) {
    failed = true;
    await stop();
    throw err;
  }
}

/** The keyless client's key pair: the private key in a 0600 PEM file, the public one as the client's JWKS. */
async function keylessClient(
  dir: string,
): Promise<{ clientId: string; keyFile: string; kid: string; jwks: { keys: object[] } }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(dir, 'keyless-client.key');
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  const pub = publicKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint(pub as JWK, 'sha256');
  return { clientId: 'helper-keyless', keyFile, kid, jwks: { keys: [{ ...pub, kid, alg: 'RS256', use: 'sig' }] } };
}

/** APIs with an export template but no CRD: the example-backend keeps their export requests Pending (CRDNotFound) and
 * fails them on a reconcile after a minute. */
export const FAILING_APIS = ['keyvalueinstances'] as const;

/**
 * Stand-ins for what the Klutch setup installs through Crossplane (claim CRDs)
 * and its configure bundle (export templates); the klutch CRDs themselves come
 * from the bind module (upstreamCrdFiles).
 */
export function controlPlaneObjects(): { crds: object[]; rest: object[] } {
  const claimCrd = (plural: string, kind: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.anynines.com` },
    spec: {
      group: 'anynines.com',
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          // Stand-in for a Crossplane claim CRD: the sandbox has no Crossplane.
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  });
  const claims = (withConfigmaps: boolean) => [
    { group: '', resource: 'secrets', version: 'v1', selector: { owner: 'Provider' } },
    ...(withConfigmaps ? [{ group: '', resource: 'configmaps', version: 'v1', selector: { owner: 'Provider' } }] : []),
  ];
  const template = (resource: string, withConfigmaps: boolean) => ({
    apiVersion: `${TEMPLATE_GROUP}/v1alpha1`,
    kind: 'APIServiceExportTemplate',
    metadata: { name: resource, namespace: 'crossplane-system' },
    spec: { APIServiceSelector: { group: 'anynines.com', resource }, permissionClaims: claims(withConfigmaps) },
  });
  return {
    crds: [claimCrd('postgresqlinstances', 'PostgresqlInstance'), claimCrd('servicebindings', 'ServiceBinding')],
    rest: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crossplane-system' } },
      template('postgresqlinstances', true),
      template('servicebindings', true),
      ...FAILING_APIS.map((r) => template(r, false)),
    ],
  };
}

async function installControlPlane(bin: Binaries, cpc: Cluster): Promise<void> {
  const { crds, rest } = controlPlaneObjects();
  const apply = async (args: string[], input?: string) => {
    const r = await kubectl(bin, cpc.kubeconfig, ['apply', '--server-side', '--field-manager=sandbox', ...args], input);
    if (r.code !== 0) throw new Error(`kubectl apply on the control plane failed: ${r.stderr}`);
  };
  await apply(upstreamCrdFiles(bin).flatMap((f) => ['-f', f]));
  await apply(['-f', '-'], toYaml(crds));
  const w = await kubectl(bin, cpc.kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '--all',
  ]);
  if (w.code !== 0) throw new Error(`CRDs not Established: ${w.stderr}`);
  await apply(['-f', '-'], toYaml(rest));
}

/** What a running sandbox tells other processes (sandbox.json): everything but its processes and stop(). */
export function sandboxInfo(sb: Sandbox): SandboxInfo {
  const { dir, caFile, serverTls, etcdUrl, pki, controlPlane, app, oidc, bindUrl, exampleBackend, env, pidFile } = sb;
  return { dir, caFile, serverTls, etcdUrl, pki, controlPlane, app, oidc, bindUrl, exampleBackend, env, pidFile };
}

/** Writes the user-facing facts of a running sandbox as an env file and JSON. */
export function writeSandboxInfo(info: SandboxInfo, file: string): void {
  const lines = [
    `export OIDC_CLIENT_ID=${info.env.OIDC_CLIENT_ID}`,
    `export OIDC_CLIENT_SECRET=${info.env.OIDC_CLIENT_SECRET}`,
    `export OIDC_TOKEN_URL=${info.env.OIDC_TOKEN_URL}`,
    `export HELPER_BIND_URL=${info.bindUrl}`,
    `export HELPER_CA_FILE=${info.caFile}`,
    `export CONTROL_PLANE_KUBECONFIG=${info.controlPlane.kubeconfig}`,
    `export APP_KUBECONFIG=${info.app.kubeconfig}`,
    '',
  ];
  writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  writeFileSync(file.replace(/\.env$/, '') + '.json', JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}
