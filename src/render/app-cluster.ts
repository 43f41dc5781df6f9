/**
 * Pure: everything `kubectl apply -f all.yaml` needs on the App Cluster,
 * ordered so that nothing precedes what it depends on:
 *   Namespace klutch-bind → the 5 CRDs → Secret klutch-bind/kubeconfig →
 *   konnector ClusterRole, ClusterRoleBinding, ServiceAccount, Deployment →
 *   one APIServiceBinding per returned resource.
 * The reference stream (protocol.md §4.1) puts the bindings before their CRD
 * is established and the Namespace in twice; CRDs first and one Namespace is
 * what makes a single apply work far more often (kubectl may still need a
 * second pass if the CRD is not Established by the time it reaches the
 * bindings).
 */
import type { ExportRequest, PermissionClaim } from '../types.ts';
import { KLUTCH_GROUP, klutchCrds } from './crds.ts';
import { KONNECTOR_NAMESPACE, konnectorNamespace, konnectorObjects } from './konnector.ts';

export interface AppClusterInput {
  /** The provider kubeconfig, decoded YAML text. */
  kubeconfig: string;
  requests: ExportRequest[];
  konnectorImage: string;
}

const SECRET_NAME = 'kubeconfig';
const SECRET_KEY = 'kubeconfig';

/** The App Cluster's objects for one binding, in apply order; the same input always gives the same output. */
export function renderAppCluster(input: AppClusterInput): object[] {
  return [
    konnectorNamespace(),
    ...klutchCrds(),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SECRET_NAME, namespace: KONNECTOR_NAMESPACE },
      data: { [SECRET_KEY]: Buffer.from(input.kubeconfig, 'utf8').toString('base64') },
    },
    ...konnectorObjects(input.konnectorImage),
    ...apiServiceBindings(input.requests),
  ];
}

/**
 * The binding name must equal the APIServiceExport's name on the control
 * plane, because the konnector looks the export up by it: `<resource>.<group>`.
 * Upstream concatenates unconditionally, which for the core group yields
 * `<resource>.`, not a valid object name; we use the bare resource there,
 * like requestName() in kube/export-requests.ts.
 */
export function bindingName(resource: string, group: string | undefined): string {
  return group ? `${resource}.${group}` : resource;
}

/**
 * One APIServiceBinding per requests[i].spec.resources[j], in response order;
 * a later resource with an already used name is dropped (the first wins).
 * No metadata.namespace: the v1.4.0 CRD is cluster-scoped (klutchio main
 * makes it namespaced in klutch-bind; add it when the CRDs move there).
 */
function apiServiceBindings(requests: readonly ExportRequest[]): object[] {
  const out: object[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    for (const res of req.spec.resources) {
      const name = bindingName(res.resource, res.group);
      if (seen.has(name)) continue;
      seen.add(name);
      const claims = (res.permissionClaims ?? []).map(acceptClaim);
      out.push({
        apiVersion: `${KLUTCH_GROUP}/v1alpha1`,
        kind: 'APIServiceBinding',
        metadata: { name },
        spec: {
          kubeconfigSecretRef: { name: SECRET_NAME, key: SECRET_KEY, namespace: KONNECTOR_NAMESPACE },
          ...(claims.length ? { permissionClaims: claims } : {}),
        },
      });
    }
  }
  return out;
}

/**
 * helper runs unattended (the interactive plugin asks per claim): every claim
 * that reaches here was accepted by backend/answer.ts, within the default
 * policy or by binding.json's acceptClaims; the others refused the run.
 */
function acceptClaim(claim: PermissionClaim): PermissionClaim {
  return { ...structuredClone(claim), state: 'Accepted' };
}
