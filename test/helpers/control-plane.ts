/**
 * What the control-plane end-to-end tests share: the credentials a values
 * file refers to, the values file `control-plane init` prints, and the
 * schema-less stand-in CRDs for what Crossplane, cert-manager and the two
 * provider packages would install (nothing reconciles them).
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
/** Writes the values file `init` prints, used as is (its credentials are env: references). */
export async function valuesFile(dir: string, env: Record<string, string> = cpEnv): Promise<{ file: string; stderr: string }> {
  const r = await runCli(['control-plane', 'init', '--data-services', 'postgresql,mariadb'], { env });
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  const file = join(dir, 'values.yaml');
  writeFileSync(file, r.stdout);
  return { file, stderr: r.stderr };
}

function standInCrd(group: string, version: string, kind: string, plural: string, scope: 'Cluster' | 'Namespaced'): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      }],
    },
  };
}

/** Stand-ins for what Crossplane, cert-manager and the provider packages install, plus Crossplane's namespace. */
export async function installStandIns(sb: TestSandbox, c: Cluster): Promise<void> {
  const crds = [
    standInCrd('pkg.crossplane.io', 'v1', 'Provider', 'providers', 'Cluster'),
    standInCrd('pkg.crossplane.io', 'v1', 'Configuration', 'configurations', 'Cluster'),
    standInCrd('pkg.crossplane.io', 'v1beta1', 'DeploymentRuntimeConfig', 'deploymentruntimeconfigs', 'Cluster'),
    standInCrd('cert-manager.io', 'v1', 'Issuer', 'issuers', 'Namespaced'),
    standInCrd('dataservices.anynines.com', 'v1', 'ProviderConfig', 'providerconfigs', 'Cluster'),
    standInCrd('kubernetes.crossplane.io', 'v1alpha1', 'ProviderConfig', 'providerconfigs', 'Cluster'),
  ];
  const r = await kubectl(sb.bin, c.kubeconfig, ['apply', '--server-side', '--field-manager=test-stand-ins', '-f', '-'], toYaml([...crds, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crossplane-system' } }]));
  if (r.code !== 0) throw new Error(`stand-ins: ${r.stderr}`);
  const w = await kubectl(sb.bin, c.kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  if (w.code !== 0) throw new Error(`stand-ins not Established: ${w.stderr}`);
}

