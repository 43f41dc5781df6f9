/**
 * The one in-memory Kubernetes cluster of the unit tests: an ObjectClient (src/kube/objects.ts) for the seams
 * where flows and step modules read and change objects (status, unbind, control-plane check/apply/adopt,
 * the binding Secret). Objects are keyed by apiVersion, kind, namespace and name and get a uid and a
 * resourceVersion; label selectors k=v[,k=v]; kinds in `unserved` answer list/get as a server that does not serve
 * them; every call is recorded; refusals (403, 401) and outages are injected per call through `rule`.
 * A CRD added without a status is Established at once (nothing else would set its condition).
 * The e2e tests run the same code against the sandbox's real API servers.
 */
import { ClusterError } from '../../src/errors.ts';
import type { DeleteOptions, ObjectClient } from '../../src/kube/objects.ts';
import type { KObject, Kind } from '../../src/kube/resources.ts';

export interface Call {
  verb: 'list' | 'get' | 'delete' | 'patch' | 'review' | 'apply';
  kind: string;
  name?: string | undefined;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  dryRun?: boolean | undefined;
  propagationPolicy?: string | undefined;
  patch?: object | undefined;
}

export type Rule = (c: Call) => 'forbid' | 'unreachable' | 'unauthorized' | undefined;

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

export class MemoryCluster implements ObjectClient {
  /** How errors name the server: `<label> <address>`, as KubeClient's label and host. */
  readonly server: string;
  readonly calls: Call[] = [];
  readonly objects = new Map<string, KObject>();
  /** Kinds the server does not serve (list answers undefined, as for an unknown kind). */
  readonly unserved = new Set<string>();
  rule: Rule = () => undefined;
  /** Called after each delete/patch that changed something (tests act as controllers). */
  onChange: (c: Call) => void = () => {};
  /** What a SelfSubjectReview answers; what a SelfSubjectAccessReview answers. */
  username = 'system:serviceaccount:cluster-abc:klutch-binder';
  allowed = false;
  private rv = 1;

  constructor(label: string, address = '127.0.0.1:1') {
    this.server = `${label} ${address}`;
  }

  private static key(kind: Kind | { apiVersion?: string; kind?: string }, name: string, namespace?: string): string {
    return `${kind.apiVersion}|${kind.kind}|${namespace ?? ''}|${name}`;
  }

  /** Stores a copy (with a uid and the next resourceVersion) and returns the stored object. */
  add(obj: object): KObject {
    const o = structuredClone(obj) as KObject;
    if (o.apiVersion === CRD.apiVersion && o.kind === CRD.kind && !o.status) {
      o.status = { conditions: [{ type: 'Established', status: 'True' }] };
    }
    o.metadata = { uid: `uid-${this.rv}`, ...o.metadata, resourceVersion: String(this.rv++) };
    this.objects.set(MemoryCluster.key(o as Kind, o.metadata.name!, o.metadata.namespace), o);
    return o;
  }

  /** Adds each object; chainable: `new MemoryCluster('control plane').with(a, b).crds([...])`. */
  with(...objs: object[]): this {
    for (const o of objs) this.add(o);
    return this;
  }

  /** Adds CRDs by name, Established (or not). */
  crds(names: readonly string[], established = true): this {
    const status = { conditions: [{ type: 'Established', status: established ? 'True' : 'False' }] };
    return this.with(...names.map((name) => ({ ...CRD, metadata: { name }, status })));
  }

  /** The stored object itself (not a copy: a test may change it as a controller would). */
  find(kind: Kind, name: string, namespace?: string): KObject | undefined {
    return this.objects.get(MemoryCluster.key(kind, name, namespace));
  }

  /** Every stored object, the objects themselves. */
  all(): KObject[] {
    return [...this.objects.values()];
  }

  private check(c: Call): void {
    this.calls.push(c);
    const r = this.rule(c);
    const what = `${c.kind}${c.name ? ` "${c.name}"` : ''}${c.namespace ? ` in namespace "${c.namespace}"` : ''}`;
    if (r === 'forbid') {
      throw new ClusterError(
        'HELPER_CLUSTER_FORBIDDEN',
        `${this.server} refused to ${c.verb} ${what} (403 Forbidden): forbidden`,
        { status: 403 },
      );
    }
    if (r === 'unauthorized') {
      throw new ClusterError(
        'HELPER_CLUSTER_UNAUTHORIZED',
        `${this.server} did not accept the kubeconfig's credentials (401)`,
        { status: 401 },
      );
    }
    if (r === 'unreachable') {
      throw new ClusterError(
        'HELPER_CLUSTER_UNREACHABLE',
        `cannot reach ${this.server} to ${c.verb} ${c.kind}: ECONNREFUSED`,
      );
    }
  }

  async list(kind: Kind, namespace?: string, opts: { labelSelector?: string } = {}): Promise<KObject[] | undefined> {
    this.check({ verb: 'list', kind: kind.kind, namespace, labelSelector: opts.labelSelector });
    if (this.unserved.has(kind.kind)) return undefined;
    const want = (opts.labelSelector ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]);
    const labels = (o: KObject) => (o.metadata?.labels as Record<string, string> | undefined) ?? {};
    return this.all()
      .filter(
        (o) =>
          o.apiVersion === kind.apiVersion &&
          o.kind === kind.kind &&
          (namespace === undefined || o.metadata?.namespace === namespace) &&
          want.every(([k, v]) => labels(o)[k] === v),
      )
      .map((o) => structuredClone(o));
  }

  async get(kind: Kind, name: string, namespace?: string): Promise<KObject | undefined> {
    this.check({ verb: 'get', kind: kind.kind, name, namespace });
    const o = this.find(kind, name, namespace);
    return o ? structuredClone(o) : undefined;
  }

  async delete(
    kind: Kind,
    name: string,
    namespace: string | undefined,
    opts: DeleteOptions = {},
  ): Promise<'deleted' | 'gone'> {
    const c: Call = {
      verb: 'delete',
      kind: kind.kind,
      name,
      namespace,
      dryRun: opts.dryRun,
      propagationPolicy: opts.propagationPolicy,
    };
    this.check(c);
    const key = MemoryCluster.key(kind, name, namespace);
    if (!this.objects.has(key)) return 'gone';
    if (!opts.dryRun) {
      this.objects.delete(key);
      this.onChange(c);
    }
    return 'deleted';
  }

  /** A merge patch of what the code under test patches: annotations (null removes one) and finalizers. */
  async mergePatch(
    kind: Kind,
    name: string,
    namespace: string | undefined,
    patch: object,
    opts: { dryRun?: boolean } = {},
  ): Promise<'patched' | 'gone'> {
    const c: Call = { verb: 'patch', kind: kind.kind, name, namespace, dryRun: opts.dryRun, patch };
    this.check(c);
    const o = this.find(kind, name, namespace);
    if (!o) return 'gone';
    if (!opts.dryRun) {
      const meta = (patch as { metadata?: { annotations?: Record<string, string | null>; finalizers?: string[] } })
        .metadata;
      const ann = { ...((o.metadata!.annotations as Record<string, string> | undefined) ?? {}) };
      for (const [k, v] of Object.entries(meta?.annotations ?? {})) {
        if (v === null) delete ann[k];
        else ann[k] = v;
      }
      o.metadata!.annotations = ann;
      if (meta?.finalizers) o.metadata!.finalizers = [...meta.finalizers];
      const refs = (patch as { metadata?: { ownerReferences?: unknown[] } }).metadata?.ownerReferences;
      if (refs) o.metadata!.ownerReferences = structuredClone(refs);
      o.metadata!.resourceVersion = String(this.rv++);
      this.onChange(c);
    }
    return 'patched';
  }

  /** Server-side apply as the tests need it: the object replaced; a stale resourceVersion is a 409; unchanged
   * keeps its resourceVersion. */
  async apply(obj: KObject): Promise<KObject> {
    const name = obj.metadata!.name!;
    const ns = obj.metadata!.namespace;
    this.check({ verb: 'apply', kind: String(obj.kind), name, namespace: ns });
    const before = this.find(obj as Kind, name, ns);
    const rv = obj.metadata!.resourceVersion;
    if (rv !== undefined && before?.metadata?.resourceVersion !== rv) {
      throw new ClusterError(
        'HELPER_CLUSTER_CONFLICT',
        `${this.server} refused to apply ${obj.kind} "${name}": the object has been modified (409)`,
        { status: 409 },
      );
    }
    const { resourceVersion: _rv, ...meta } = obj.metadata!;
    const next = { ...structuredClone(obj), metadata: meta };
    if (before) {
      const { resourceVersion: _b, uid: _u, ...bmeta } = before.metadata!;
      if (JSON.stringify({ ...before, metadata: bmeta }) === JSON.stringify(next)) return structuredClone(before);
    }
    return structuredClone(this.add(next));
  }

  /** SelfSubjectReview: `username`; SelfSubjectAccessReview: `allowed`. */
  async review(body: KObject): Promise<KObject> {
    this.check({ verb: 'review', kind: body.kind ?? '' });
    if (body.kind === 'SelfSubjectReview') return { ...body, status: { userInfo: { username: this.username } } };
    return { ...body, status: { allowed: this.allowed } };
  }
}
