/**
 * The local sandbox: a Control Plane Cluster and an App Cluster (real
 * kube-apiserver + kube-controller-manager each, one embedded etcd), the
 * klutch CRDs and export templates on the control plane, a real OIDC
 * provider (oidc-provider) and the project's reference /bind-noninteractive
 * backend. Everything binds to 127.0.0.1 on free ports; every child is
 * stopped by PID in stop().
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { klutchCrds, exportTemplateCrd } from '../../src/render/crds.ts';
import { binderClusterRole } from '../../src/control-plane/render.ts';
import { toYaml } from '../../src/render/to-yaml.ts';
import { startBindBackend } from './bind-backend.ts';
import { kubectl, sandboxBinaries, startCluster, startEtcd, type Binaries, type Cluster, type Pki } from './cluster.ts';
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
  oidc: { issuer: string; tokenUrl: string; jwksUrl: string; clientId: string; clientSecret: string; audience: string };
  bindUrl: string;
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
    const server = await ca.issue('server', { sans: ['IP:127.0.0.1', 'DNS:localhost'], cn: '127.0.0.1' });
    const sa = await createRsaKeyPair(join(dir, 'pki'), 'sa');
    const pki = { caFile: ca.caFile, caPem: ca.caCert, serverCertFile: server.certFile, serverKeyFile: server.keyFile, saPubFile: sa.publicKeyFile, saKeyFile: sa.privateKeyFile };

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
    const oidc = await startOidcProvider({ tls: { cert: server.cert, key: server.key }, clients: [{ clientId, clientSecret }], audience: BACKEND_AUDIENCE });
    closers.push(oidc.stop);
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
      oidc: { issuer: oidc.issuer, tokenUrl: oidc.tokenUrl, jwksUrl: oidc.jwksUrl, clientId, clientSecret, audience: BACKEND_AUDIENCE },
      bindUrl: backend.url,
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

/** Control-plane objects the Klutch setup would install, minus what needs a kubelet. */
export function controlPlaneObjects(): { crds: object[]; rest: object[] } {
  const claimCrd = (plural: string, kind: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.anynines.com` },
    spec: {
      group: 'anynines.com',
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        // Stand-in for a Crossplane claim CRD: the sandbox has no Crossplane.
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      }],
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
    crds: [...klutchCrds(), exportTemplateCrd(TEMPLATE_GROUP), claimCrd('postgresqlinstances', 'PostgresqlInstance'), claimCrd('servicebindings', 'ServiceBinding')],
    rest: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crossplane-system' } },
      // The same binder role `helper control-plane` installs, under the name the reference backend binds.
      binderClusterRole('klutch-binder'),
      template('postgresqlinstances', true),
      template('servicebindings', true),
    ],
  };
}

async function installControlPlane(bin: Binaries, cpc: Cluster): Promise<void> {
  const { crds, rest } = controlPlaneObjects();
  const apply = async (objs: object[]) => {
    const r = await kubectl(bin, cpc.kubeconfig, ['apply', '--server-side', '--field-manager=sandbox', '-f', '-'], toYaml(objs));
    if (r.code !== 0) throw new Error(`kubectl apply on the control plane failed: ${r.stderr}`);
  };
  await apply(crds);
  const w = await kubectl(bin, cpc.kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  if (w.code !== 0) throw new Error(`CRDs not Established: ${w.stderr}`);
  await apply(rest);
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
