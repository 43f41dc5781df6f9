/**
 * An in-memory ObjectClient (src/kube/objects.ts) for the control-plane
 * modules' tests: objects keyed by apiVersion, kind, namespace and name;
 * label selectors of the form k=v[,k=v]; kinds named in `unserved` answer
 * list with undefined as a server that does not serve them; every call is
 * recorded. A CRD added here is served at once (nothing else would set its
 * condition) unless `established: false` is asked for.
 */
import type { KObject, Kind } from '../../../src/kube/resources.ts';
import type { DeleteOptions, ObjectClient } from '../../../src/kube/objects.ts';

export interface Call {
  verb: 'list' | 'get' | 'delete' | 'patch' | 'review';
  kind: string;
  name?: string | undefined;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
}

export class MemoryApi implements ObjectClient {
  readonly server = 'control plane memory:6443';
  readonly objects: KObject[] = [];
  readonly calls: Call[] = [];
  readonly unserved = new Set<string>();

  add(...objs: object[]): this {
    for (const o of objs) {
      const copy = structuredClone(o) as KObject;
      if (copy.kind === 'CustomResourceDefinition' && !copy.status) copy.status = { conditions: [{ type: 'Established', status: 'True' }] };
      this.objects.push(copy);
    }
    return this;
  }

  /** Adds CRDs by name, Established (or not). */
  crds(names: readonly string[], established = true): this {
    return this.add(...names.map((name) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, status: { conditions: [{ type: 'Established', status: established ? 'True' : 'False' }] } })));
  }

  private match(o: KObject, kind: Kind): boolean {
    return o.apiVersion === kind.apiVersion && o.kind === kind.kind;
  }

  private index(kind: Kind, name: string, namespace?: string): number {
    return this.objects.findIndex((o) => this.match(o, kind) && o.metadata?.name === name && (o.metadata?.namespace ?? undefined) === namespace);
  }

  async get(kind: Kind, name: string, namespace?: string): Promise<KObject | undefined> {
    this.calls.push({ verb: 'get', kind: kind.kind, name, namespace });
    const i = this.index(kind, name, namespace);
    return i < 0 ? undefined : structuredClone(this.objects[i]);
  }

  async list(kind: Kind, namespace?: string, opts: { labelSelector?: string } = {}): Promise<KObject[] | undefined> {
    this.calls.push({ verb: 'list', kind: kind.kind, namespace, labelSelector: opts.labelSelector });
    if (this.unserved.has(kind.kind)) return undefined;
    const want = (opts.labelSelector ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]);
    return this.objects.filter((o) => this.match(o, kind) && (namespace === undefined || o.metadata?.namespace === namespace)
      && want.every(([k, v]) => (o.metadata?.labels as Record<string, string> | undefined)?.[k] === v)).map((o) => structuredClone(o));
  }

  async delete(kind: Kind, name: string, namespace: string | undefined, _opts: DeleteOptions = {}): Promise<'deleted' | 'gone'> {
    this.calls.push({ verb: 'delete', kind: kind.kind, name, namespace });
    const i = this.index(kind, name, namespace);
    if (i < 0) return 'gone';
    this.objects.splice(i, 1);
    return 'deleted';
  }

  async mergePatch(kind: Kind, name: string, namespace: string | undefined): Promise<'patched' | 'gone'> {
    this.calls.push({ verb: 'patch', kind: kind.kind, name, namespace });
    return this.index(kind, name, namespace) < 0 ? 'gone' : 'patched';
  }

  async review(body: KObject): Promise<KObject> {
    this.calls.push({ verb: 'review', kind: body.kind ?? '' });
    return body;
  }
}
