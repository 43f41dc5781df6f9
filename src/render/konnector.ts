/**
 * Pure: the konnector's objects on the App Cluster, as in klutchio v1.4.0
 * bind/deploy/konnector/ (protocol.md §4.4), for a given image.
 */

export const KONNECTOR_NAMESPACE = 'klutch-bind';
export const DEFAULT_KONNECTOR_IMAGE = 'public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0';

const NAME = 'konnector';
const RBAC_NAME = 'klutch-bind-konnector';

/** The Namespace the konnector, its Secret and its lease live in. */
export function konnectorNamespace(): object {
  // A Namespace applied with its name alone owns no field, so every
  // server-side re-apply would rewrite it; the label makes re-applies no-ops.
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: KONNECTOR_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'helper' } },
  };
}

/** ClusterRole, ClusterRoleBinding, ServiceAccount and Deployment of the konnector (not the Namespace), in apply order.
 * */
export function konnectorObjects(image: string): object[] {
  const labels = (): Record<string, string> => ({ app: NAME });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: RBAC_NAME },
      // The konnector syncs arbitrary exported resources and creates their CRDs, so upstream grants everything.
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: RBAC_NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: RBAC_NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: KONNECTOR_NAMESPACE }],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: KONNECTOR_NAMESPACE } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NAME, namespace: KONNECTOR_NAMESPACE, labels: labels() },
      spec: {
        // Two replicas with leader election (lease klutch-bind in POD_NAMESPACE), as upstream.
        replicas: 2,
        selector: { matchLabels: labels() },
        template: {
          metadata: { labels: labels() },
          spec: {
            restartPolicy: 'Always',
            serviceAccountName: NAME,
            containers: [
              {
                name: NAME,
                image,
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                ],
                readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
              },
            ],
          },
        },
      },
    },
  ];
}
