/**
 * The one resource table: every kind helper addresses by name, with its
 * apiVersion, its plural (the path segment of its collection) and whether it
 * is namespaced. The clients map these without discovery; any other kind is
 * mapped by discovery (client.ts). Objects are addressed by an entry of this
 * table (or any Kind), never by a plural string.
 */
// One name for the klutch API group (render/crds.ts, pure, holds it; kube/ re-exports it).
import { KLUTCH_GROUP } from '../render/crds.ts';

export { KLUTCH_GROUP };
export const KLUTCH_VERSION = 'v1alpha1';
/** apiVersion of every klutch.anynines.com object helper creates. */
export const KLUTCH_API_VERSION = `${KLUTCH_GROUP}/${KLUTCH_VERSION}`;

/** Any Kubernetes object as the API returns it. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    generateName?: string;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

/** One kind, as the API server names it. */
export interface Kind {
  apiVersion: string;
  kind: string;
}

/** A kind of the table: its REST mapping too. */
export interface Resource extends Kind {
  /** The path segment of its collection: `apiserviceexportrequests`. */
  plural: string;
  namespaced: boolean;
}

const resource = (apiVersion: string, kind: string, plural: string, namespaced: boolean): Resource => ({
  apiVersion,
  kind,
  plural,
  namespaced,
});
const RBAC = 'rbac.authorization.k8s.io/v1';
const KLUTCH = KLUTCH_API_VERSION;

/** The kinds helper reads, writes or reviews. */
export const KINDS = {
  namespace: resource('v1', 'Namespace', 'namespaces', false),
  secret: resource('v1', 'Secret', 'secrets', true),
  configMap: resource('v1', 'ConfigMap', 'configmaps', true),
  serviceAccount: resource('v1', 'ServiceAccount', 'serviceaccounts', true),
  service: resource('v1', 'Service', 'services', true),
  pod: resource('v1', 'Pod', 'pods', true),
  deployment: resource('apps/v1', 'Deployment', 'deployments', true),
  clusterRole: resource(RBAC, 'ClusterRole', 'clusterroles', false),
  clusterRoleBinding: resource(RBAC, 'ClusterRoleBinding', 'clusterrolebindings', false),
  role: resource(RBAC, 'Role', 'roles', true),
  roleBinding: resource(RBAC, 'RoleBinding', 'rolebindings', true),
  crd: resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  accessReview: resource('authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false),
  selfReview: resource('authentication.k8s.io/v1', 'SelfSubjectReview', 'selfsubjectreviews', false),
  clusterBinding: resource(KLUTCH, 'ClusterBinding', 'clusterbindings', true),
  exportRequest: resource(KLUTCH, 'APIServiceExportRequest', 'apiserviceexportrequests', true),
  export: resource(KLUTCH, 'APIServiceExport', 'apiserviceexports', true),
  serviceNamespace: resource(KLUTCH, 'APIServiceNamespace', 'apiservicenamespaces', true),
  serviceBinding: resource(KLUTCH, 'APIServiceBinding', 'apiservicebindings', false),
} as const satisfies Record<string, Resource>;

const BY_KIND = new Map<string, Resource>(Object.values(KINDS).map((r) => [`${r.apiVersion}/${r.kind}`, r]));

/** The table's entry of a kind, if it has one. */
export function resourceOf(kind: Kind): Resource | undefined {
  return BY_KIND.get(`${kind.apiVersion}/${kind.kind}`);
}

/** The kind of an object (its apiVersion and kind), to address it by. */
export const kindOf = (o: { apiVersion?: unknown; kind?: unknown }): Kind => ({
  apiVersion: String(o.apiVersion),
  kind: String(o.kind),
});

/** The base path of an apiVersion: /api/v1 or /apis/group/version. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}
