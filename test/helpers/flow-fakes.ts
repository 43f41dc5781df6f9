/**
 * What the flows' unit tests inject (the seams of flows/deps.ts): a healthy binding on two MemoryClusters,
 * in-memory files, and the Kubernetes factory of bootstrap-env, apply and create-ns over MemoryClusters.
 */
import { ClusterError, FailedError, InputError } from '../../src/errors.ts';
import { appliedLine, type ApplyObject, type ApplyResult } from '../../src/kube/apply.ts';
import type { KObject, Kind } from '../../src/kube/resources.ts';
import { requestName, type CreatedRequest } from '../../src/kube/export-requests.ts';
import type { NamespaceResult } from '../../src/kube/namespaces.ts';
import { checkBindingSecret, writeBindingSecret, type SecretRef } from '../../src/kube/binding-secret.ts';
import type { ExportRequest } from '../../src/types.ts';
import { MemoryCluster } from './memory-cluster.ts';

const KLUTCH = 'klutch.anynines.com/v1alpha1';
export const NS = 'cluster-abc';
export const NOW = Date.parse('2026-12-01T09:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

/** A healthy binding with one bound resource, one APIServiceNamespace and two claims, on both clusters. */
export function healthyBinding(): { cp: MemoryCluster; app: MemoryCluster } {
  const cp = new MemoryCluster('control plane');
  const app = new MemoryCluster('App Cluster');
  cp.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS }, status: { phase: 'Active' } });
  cp.add({
    apiVersion: KLUTCH,
    kind: 'ClusterBinding',
    metadata: { name: 'cluster', namespace: NS },
    status: { lastHeartbeatTime: ago(60_000), heartbeatInterval: '5m0s', konnectorVersion: 'v1.4.0' },
  });
  cp.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceExportRequest',
    metadata: { name: 'postgresqlinstances.anynines.com', namespace: NS, creationTimestamp: ago(300_000) },
    status: { phase: 'Succeeded' },
  });
  cp.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceExport',
    metadata: { name: 'postgresqlinstances.anynines.com', namespace: NS },
    spec: {
      group: 'anynines.com',
      names: { plural: 'postgresqlinstances', kind: 'PostgresqlInstance' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true }],
    },
    // What v1.4.0 reports on every export, healthy or not.
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'Unknown',
          message:
            'APIServiceBinding postgresqlinstances.anynines.com in the consumer cluster does not have a ' +
            'SchemaInSync condition.',
        },
      ],
    },
  });
  cp.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceNamespace',
    metadata: { name: 'team-a', namespace: NS },
    status: { namespace: `${NS}-team-a` },
  });
  for (const n of ['db1', 'db2'])
    cp.add({
      apiVersion: 'anynines.com/v1',
      kind: 'PostgresqlInstance',
      metadata: { name: n, namespace: `${NS}-team-a`, annotations: { 'klutch.anynines.com/bound': 'true' } },
    });
  // Someone else's object in a namespace outside the binding: never touched.
  cp.add({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name: 'other', namespace: 'cluster-xyz-team-a', annotations: { 'klutch.anynines.com/bound': 'true' } },
  });

  app.add({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'konnector', namespace: 'klutch-bind' },
    spec: { replicas: 2, template: { spec: { containers: [{ image: 'konnector:v1.4.0' }] } } },
    status: { readyReplicas: 2 },
  });
  // The konnector's leader-election Lease, renewed 2 s ago: a konnector runs.
  app.add({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'klutch-bind', namespace: 'klutch-bind' },
    spec: {
      holderIdentity: 'konnector-7d9f_1',
      leaseDurationSeconds: 15,
      renewTime: new Date(NOW - 2000).toISOString(),
    },
  });
  app.add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'konnector', namespace: 'klutch-bind' } });
  app.add({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'klutch-bind-konnector' },
  });
  app.add({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'klutch-bind-konnector' },
  });
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: default, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users: [{name: default, user: {token: not-a-real-token-value}}]',
    `contexts: [{name: default, context: {cluster: default, user: default, namespace: ${NS}}}]`,
    'current-context: default',
    '',
  ].join('\n');
  app.add({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'kubeconfig', namespace: 'klutch-bind' },
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  });
  const b = app.add({
    apiVersion: KLUTCH,
    kind: 'APIServiceBinding',
    metadata: { name: 'postgresqlinstances.anynines.com' },
    spec: { kubeconfigSecretRef: { name: 'kubeconfig', namespace: 'klutch-bind', key: 'kubeconfig' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  app.add({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: 'postgresqlinstances.anynines.com',
      ownerReferences: [
        {
          apiVersion: KLUTCH,
          kind: 'APIServiceBinding',
          name: 'postgresqlinstances.anynines.com',
          uid: b.metadata!.uid,
        },
      ],
    },
    spec: {
      group: 'anynines.com',
      names: { plural: 'postgresqlinstances', kind: 'PostgresqlInstance' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true }],
    },
    status: { conditions: [{ type: 'Established', status: 'True' }] },
  });
  // The App Cluster's copies: one made there (the konnector put its finalizer on it), one adopted from the control
  // plane.
  app.add({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: {
      name: 'db1',
      namespace: 'team-a',
      finalizers: ['klutch.anynines.com/syncer', 'other/keep'],
      annotations: { 'klutch.anynines.com/bound': 'true' },
    },
  });
  app.add({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name: 'db2', namespace: 'team-a', annotations: { 'klutch.anynines.com/bound': 'true' } },
  });
  return { cp, app };
}

export const PROVIDER = { server: 'https://127.0.0.1:6443', namespace: NS };

/** In-memory files for the flows' `deps.files`: what was written (with its mode), stdin as '-'. */
export class FakeFiles {
  readonly data = new Map<string, Buffer>();
  readonly written = new Map<string, { text: string; mode: number }>();
  readonly dirs = new Set<string>();
  readonly secured: string[] = [];
  unwritable = new Set<string>();

  constructor(files: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(files)) this.data.set(k, Buffer.from(v));
  }

  read(path: string): Buffer {
    const b = this.data.get(path);
    if (!b) throw Object.assign(new Error(`ENOENT: ${path}`), { code: this.dirs.has(path) ? 'EISDIR' : 'ENOENT' });
    return b;
  }

  isDirectory(path: string): boolean {
    return this.dirs.has(path);
  }

  list(dir: string): string[] {
    return [...this.data.keys()].filter((k) => k.startsWith(`${dir}/`)).map((k) => k.slice(dir.length + 1));
  }

  assertWritable(path: string, flag: string): void {
    if (this.unwritable.has(path)) throw new InputError('HELPER_WRITE_FILE', `${flag} ${path}: not writable`);
  }

  write(path: string, text: string, mode = 0o600): void {
    this.written.set(path, { text, mode });
  }

  mkdir(path: string): void {
    this.dirs.add(path);
  }

  secureStdout(what: string): void {
    this.secured.push(what);
  }
}

/**
 * The Kubernetes factory of bootstrap-env, apply and create-ns over MemoryClusters:
 * export requests and APIServiceNamespaces are objects in `cp`, applied
 * objects land in `app`; `failAfter` makes the apply fail after that many objects.
 */
export function fakeKube(
  cp: MemoryCluster,
  app = new MemoryCluster('App Cluster'),
  opts: { failAfter?: number; failedRequest?: string; konnector?: boolean; secrets?: MemoryCluster } = {},
) {
  const seen: {
    tls?: unknown;
    policy?: unknown;
    connection?: unknown;
    namespace?: string;
    applyTo?: string;
    secretKubeconfig?: string | undefined;
  } = {};
  const secrets = opts.secrets ?? new MemoryCluster('management cluster');
  const binding = (namespace: string) => ({
    async createExportRequests(
      requests: ExportRequest[],
      onCreated: (r: CreatedRequest) => void,
    ): Promise<CreatedRequest[]> {
      const out: CreatedRequest[] = [];
      for (const r of requests) {
        const name = requestName(r);
        const action = cp.find({ apiVersion: KLUTCH, kind: 'APIServiceExportRequest' }, name, namespace)
          ? ('reused' as const)
          : ('created' as const);
        cp.add({
          apiVersion: KLUTCH,
          kind: 'APIServiceExportRequest',
          metadata: { name, namespace },
          spec: r.spec as Record<string, unknown>,
        });
        out.push({ name, action });
        onCreated({ name, action });
      }
      return out;
    },
    async waitForExportRequests(names: string[]): Promise<void> {
      const bad = names.find((n) => n === opts.failedRequest);
      if (bad)
        throw new FailedError(
          'HELPER_EXPORT_FAILED',
          `APIServiceExportRequest ${namespace}/${bad} Failed: no such resource`,
        );
    },
    async ensureServiceNamespace(name: string): Promise<NamespaceResult> {
      const kind = { apiVersion: KLUTCH, kind: 'APIServiceNamespace' };
      const created = !cp.find(kind, name, namespace);
      cp.add({ ...kind, metadata: { name, namespace }, status: { namespace: `${namespace}-${name}` } });
      return {
        name,
        namespace: `${namespace}-${name}`,
        clusterNamespace: namespace,
        created,
        konnectorConnected: Boolean(opts.konnector),
      };
    },
  });
  const target = {
    server: 'App Cluster 127.0.0.1:7443',
    async apply(
      objects: ApplyObject[],
      o: { dryRun?: boolean; onApplied: (what: string) => void; onObject?: (line: string) => void },
    ): Promise<ApplyResult> {
      const applied: ApplyResult['applied'] = [];
      for (const [i, obj] of objects.entries()) {
        if (opts.failAfter !== undefined && i >= opts.failAfter)
          throw new ClusterError(
            'HELPER_CLUSTER_UNREACHABLE',
            `cannot reach App Cluster 127.0.0.1:7443 to apply ${obj.kind} ${obj.metadata.name}: ECONNREFUSED`,
          );
        const existed = Boolean(app.find(obj as Kind, obj.metadata.name, obj.metadata.namespace));
        if (!o.dryRun) app.add(obj as KObject);
        const item = {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          phase: 1 as const,
          outcome: existed ? ('unchanged' as const) : ('created' as const),
        };
        applied.push(item);
        o.onObject?.(appliedLine(item, o.dryRun ?? false));
        o.onApplied(`${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`);
      }
      return { applied } as ApplyResult;
    },
    async waitBindings(): Promise<void> {},
  };
  return {
    seen,
    bootstrap: {
      controlPlane: (connection: unknown, namespace: string, tls: unknown, policy: unknown) => {
        Object.assign(seen, { connection, namespace, tls, policy });
        return binding(namespace);
      },
      appCluster: (path: string) => {
        seen.applyTo = path;
        return target;
      },
      secretCluster: (path: string | undefined) => {
        seen.secretKubeconfig = path;
        return {
          server: secrets.server,
          check: async (ref: SecretRef, clusterID: string) => {
            await checkBindingSecret(secrets, ref, clusterID);
          },
          write: (ref: SecretRef, clusterID: string, data: { kubeconfig: string; manifest: string }) =>
            writeBindingSecret(secrets, ref, clusterID, data),
        };
      },
    },
    secrets,
    resolve: (o: { flag?: string | undefined }) => ({
      text: PROVIDER_KUBECONFIG,
      files: [o.flag ?? 'kubeconfig'],
      source: '--kubeconfig',
      label: o.flag ?? 'kubeconfig',
      where: `--kubeconfig ${o.flag ?? 'kubeconfig'}`,
      context: 'default',
    }),
    caPem: () => undefined,
    createNsControlPlane: (_connection: unknown, namespace: string) => binding(namespace),
    target,
  };
}

/** A provider kubeconfig whose current context's namespace is NS. */
export const PROVIDER_KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: default, cluster: {server: "https://127.0.0.1:6443"}}]',
  'users: [{name: default, user: {token: provider-token-not-real}}]',
  `contexts: [{name: default, context: {cluster: default, user: default, namespace: ${NS}}}]`,
  'current-context: default',
  '',
].join('\n');
