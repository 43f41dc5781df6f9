/**
 * What the control-plane end-to-end tests share: the credentials a values
 * file refers to, the values file `control-plane init` prints with its
 * placeholders filled in (render and apply refuse them), and the
 * schema-less stand-in CRDs for what Crossplane, cert-manager and the
 * provider package would install (nothing reconciles them).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toYaml } from '../../src/render/to-yaml.ts';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import { runCli } from './run-cli.ts';
import type { TestSandbox } from './sandbox.ts';

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
/** Every credential the values file refers to, by its environment variable. */
export const cpEnv: Record<string, string> = {
  BACKEND_OIDC_CLIENT_SECRET: secret('oidc'),
  POSTGRESQL_SERVICE_BROKER_USERNAME: secret('pg-sb-user'),
  POSTGRESQL_SERVICE_BROKER_PASSWORD: secret('pg-sb-pass'),
  POSTGRESQL_BACKUP_MANAGER_USERNAME: secret('pg-bm-user'),
  POSTGRESQL_BACKUP_MANAGER_PASSWORD: secret('pg-bm-pass'),
  MARIADB_SERVICE_BROKER_USERNAME: secret('maria-sb-user'),
  MARIADB_SERVICE_BROKER_PASSWORD: secret('maria-sb-pass'),
  MARIADB_BACKUP_MANAGER_USERNAME: secret('maria-bm-user'),
  MARIADB_BACKUP_MANAGER_PASSWORD: secret('maria-bm-pass'),
  CP_SEED: secret('seed'),
};
/** The host names, URLs and mail address a test fills into `init`'s placeholders (.test is reserved for tests). */
export function fillPlaceholders(text: string): string {
  return text.replace(/\b([a-z0-9-]+\.)?example\.com\b/g, (m) => m.replace('example.com', 'klutch.test'));
}

/**
 * Writes the values file `init` prints, with its example.com placeholders
 * replaced by real-looking values (its credentials stay env: references);
 * every other line, e.g. `prettyName: anynines`, as init prints it.
 */
export async function valuesFile(
  dir: string,
  env: Record<string, string> = cpEnv,
  dataServices = 'postgresql,mariadb',
): Promise<{ file: string; stderr: string; init: string }> {
  const r = await runCli(['control-plane', 'init', '--data-services', dataServices], { env });
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  const file = join(dir, 'values.yaml');
  writeFileSync(file, fillPlaceholders(r.stdout));
  return { file, stderr: r.stderr, init: r.stdout };
}

function standInCrd(
  group: string,
  version: string,
  kind: string,
  plural: string,
  scope: 'Cluster' | 'Namespaced',
): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
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
  };
}

/** Stand-ins for what Crossplane, cert-manager and the provider package install, plus Crossplane's namespace. */
export async function installStandIns(sb: TestSandbox, c: Cluster): Promise<void> {
  const crds = [
    standInCrd('pkg.crossplane.io', 'v1', 'Provider', 'providers', 'Cluster'),
    standInCrd('pkg.crossplane.io', 'v1', 'Configuration', 'configurations', 'Cluster'),
    standInCrd('pkg.crossplane.io', 'v1', 'Function', 'functions', 'Cluster'),
    standInCrd('pkg.crossplane.io', 'v1beta1', 'DeploymentRuntimeConfig', 'deploymentruntimeconfigs', 'Cluster'),
    standInCrd('cert-manager.io', 'v1', 'Issuer', 'issuers', 'Namespaced'),
    standInCrd('cert-manager.io', 'v1', 'ClusterIssuer', 'clusterissuers', 'Cluster'),
    standInCrd('cert-manager.io', 'v1', 'Certificate', 'certificates', 'Namespaced'),
    standInCrd('dataservices.anynines.com', 'v1', 'ProviderConfig', 'providerconfigs', 'Cluster'),
  ];
  const r = await kubectl(
    sb.bin,
    c.kubeconfig,
    ['apply', '--server-side', '--field-manager=test-stand-ins', '-f', '-'],
    toYaml([...crds, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crossplane-system' } }]),
  );
  if (r.code !== 0) throw new Error(`stand-ins: ${r.stderr}`);
  const w = await kubectl(sb.bin, c.kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '--all',
  ]);
  if (w.code !== 0) throw new Error(`stand-ins not Established: ${w.stderr}`);
}

/**
 * The Deployments the Crossplane and cert-manager Helm charts create, and the
 * IngressClass of an ingress-nginx install: objects only (no kubelet runs
 * them here), so check can see how they were installed. `crossplaneArgs`
 * are Crossplane's container arguments (the page adds --enable-ssa-claims).
 */
export async function installPrerequisiteObjects(
  sb: TestSandbox,
  c: Cluster,
  opts: { crossplaneArgs: string[] },
): Promise<void> {
  const deployment = (
    name: string,
    namespace: string,
    labels: Record<string, string>,
    image: string,
    args: string[],
  ) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name, image, args }] } },
    },
  });
  const objs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cert-manager' } },
    deployment(
      'crossplane',
      'crossplane-system',
      { app: 'crossplane' },
      'xpkg.crossplane.io/crossplane/crossplane:v1.20.0',
      ['core', 'start', ...opts.crossplaneArgs],
    ),
    deployment(
      'cert-manager',
      'cert-manager',
      { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'controller' },
      'quay.io/jetstack/cert-manager-controller:v1.16.2',
      ['--v=2'],
    ),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx' },
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
  ];
  const r = await kubectl(
    sb.bin,
    c.kubeconfig,
    ['apply', '--server-side', '--field-manager=test-prerequisites', '-f', '-'],
    toYaml(objs),
  );
  if (r.code !== 0) throw new Error(`prerequisite objects: ${r.stderr}`);
}
