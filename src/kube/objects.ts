/**
 * A generic object client for status and unbind: list, get, delete and
 * patch any kind by apiVersion and kind, on either cluster, each call
 * bounded, retried and translated by callApi (client.ts). The flows depend
 * only on the ObjectClient interface, so their branches are tested in
 * process with an in-memory client (test/unit/flows/fake-cluster.ts).
 */
import * as k8s from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { hostOf } from '../http.ts';
import { callApi, isStatus, type CallPolicy, type KObject } from './client.ts';

/** One kind, as the API server names it. */
export interface Kind {
  apiVersion: string;
  kind: string;
}

export interface DeleteOptions {
  dryRun?: boolean;
  /** Orphan keeps the dependents (e.g. the CRDs an APIServiceBinding owns); default: the server's. */
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export interface ObjectClient {
  /** How messages name the server: `control plane 127.0.0.1:6443`, `App Cluster 127.0.0.1:7443`. */
  readonly server: string;
  /** Every object of a kind (in one namespace when given); undefined when the server does not serve the kind. */
  list(kind: Kind, namespace?: string, opts?: { labelSelector?: string }): Promise<KObject[] | undefined>;
  /** The object, or undefined when it (or its kind) does not exist. */
  get(kind: Kind, name: string, namespace?: string): Promise<KObject | undefined>;
  /** 'deleted' (or, dry run, 'would be deleted'), or 'gone' when it did not exist. */
  delete(kind: Kind, name: string, namespace: string | undefined, opts?: DeleteOptions): Promise<'deleted' | 'gone'>;
  /** A JSON merge patch; 'gone' when the object does not exist. */
  mergePatch(kind: Kind, name: string, namespace: string | undefined, patch: object, opts?: { dryRun?: boolean }): Promise<'patched' | 'gone'>;
  /** Creates a review object (SelfSubjectAccessReview, SelfSubjectReview) and returns the server's answer. */
  review(body: KObject): Promise<KObject>;
}

/** How error and retry lines name one call (action, and its short form), and the hint of a 403. */
export interface Wording {
  action(verb: 'list' | 'get' | 'delete' | 'patch', kind: Kind, name: string | undefined, namespace: string | undefined, dryRun?: boolean): { action: string; short: string };
  forbiddenHint: string;
}

/** `get Secret "a" in namespace "b"`, short `get Secret`. */
export const DEFAULT_WORDING: Wording = {
  action: (verb, kind, name, namespace, dryRun) => ({
    action: `${verb} ${describeKind(kind)}${name === undefined ? '' : ` ${JSON.stringify(name)}`}${where(namespace)}${dryRun ? ' (dry run)' : ''}`,
    short: `${verb} ${kind.kind}`,
  }),
  forbiddenHint: 'the kubeconfig\'s identity lacks this permission',
};

/** The client-node implementation: one KubernetesObjectApi (its discovery cache lives for the run). */
export class KubeObjectClient implements ObjectClient {
  readonly server: string;
  private readonly api: k8s.KubernetesObjectApi;
  private readonly policy: CallPolicy;
  private readonly wording: Wording;

  constructor(kc: k8s.KubeConfig, label: string, policy: CallPolicy, wording: Wording = DEFAULT_WORDING) {
    this.server = `${label} ${hostOf(kc.getCurrentCluster()?.server ?? '')}`;
    this.api = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.policy = policy;
    this.wording = wording;
  }

  private call<T>(name: { action: string; short: string }, fn: () => Promise<T>): Promise<T> {
    return callApi({ server: this.server, ...name, forbiddenHint: this.wording.forbiddenHint }, this.policy, fn);
  }

  async list(kind: Kind, namespace?: string, opts: { labelSelector?: string } = {}): Promise<KObject[] | undefined> {
    try {
      const r = await this.call(this.wording.action('list', kind, undefined, namespace), async () => {
        const out = await this.api.list(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, opts.labelSelector) as unknown;
        if (!out || typeof out !== 'object' || !Array.isArray((out as { items?: unknown }).items)) throw new SyntaxError(`the answer is not a list of ${kind.kind}`);
        return out as { items: KObject[] };
      });
      return r.items.map((o) => plain({ apiVersion: kind.apiVersion, kind: kind.kind, ...o }));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async get(kind: Kind, name: string, namespace?: string): Promise<KObject | undefined> {
    try {
      return await this.call(this.wording.action('get', kind, name, namespace), async () => {
        const out = await this.api.read({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as unknown;
        if (!out || typeof out !== 'object' || typeof (out as KObject).metadata !== 'object') throw new SyntaxError(`the answer is not a ${kind.kind}`);
        return plain(out as KObject);
      });
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async delete(kind: Kind, name: string, namespace: string | undefined, opts: DeleteOptions = {}): Promise<'deleted' | 'gone'> {
    try {
      await this.call(this.wording.action('delete', kind, name, namespace, opts.dryRun), () =>
        this.api.delete({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name, ...(namespace ? { namespace } : {}) } }, undefined, opts.dryRun ? 'All' : undefined, undefined, undefined, opts.propagationPolicy));
      return 'deleted';
    } catch (err) {
      if (isStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  async mergePatch(kind: Kind, name: string, namespace: string | undefined, patch: object, opts: { dryRun?: boolean } = {}): Promise<'patched' | 'gone'> {
    try {
      await this.call(this.wording.action('patch', kind, name, namespace, opts.dryRun), () =>
        this.api.patch(patchBody(kind, name, namespace, patch), undefined, opts.dryRun ? 'All' : undefined, 'helper', undefined, k8s.PatchStrategy.MergePatch));
      return 'patched';
    } catch (err) {
      if (isStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  review(body: KObject): Promise<KObject> {
    return this.call({ action: `create ${body.kind}`, short: `create ${body.kind}` }, async () => {
      const out = await this.api.create(body as k8s.KubernetesObject) as unknown;
      if (!out || typeof out !== 'object') throw new SyntaxError(`the answer is not a ${body.kind}`);
      return out as KObject;
    });
  }
}

/**
 * An object with the API's own field names. client-node hands a CRD back in
 * its model's shape (`_enum`, `xKubernetesValidations`, ...), which would not
 * compare with a rendered one.
 */
function plain(o: KObject): KObject {
  return o.kind === 'CustomResourceDefinition' ? ObjectSerializer.serialize(o, 'V1CustomResourceDefinition', '') as KObject : o;
}

/** The merge patch as client-node sends it: the object's header (it routes on it) merged with the patch. */
function patchBody(kind: Kind, name: string, namespace: string | undefined, patch: object): k8s.KubernetesObject {
  const p = patch as { metadata?: Record<string, unknown> };
  return { ...patch, apiVersion: kind.apiVersion, kind: kind.kind, metadata: { ...(p.metadata ?? {}), name, ...(namespace ? { namespace } : {}) } } as k8s.KubernetesObject;
}

function describeKind(k: Kind): string {
  const group = k.apiVersion.includes('/') ? k.apiVersion.split('/')[0] : '';
  return group ? `${k.kind} (${group})` : k.kind;
}

function where(namespace: string | undefined): string {
  return namespace ? ` in namespace ${JSON.stringify(namespace)}` : '';
}

/** `ns/name` or `name`, for lines and JSON. */
export function ref(obj: { metadata?: { name?: string; namespace?: string } | undefined }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}
