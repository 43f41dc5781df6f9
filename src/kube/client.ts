/**
 * The one client of Kubernetes objects, over the transport (transport.ts):
 * KubeClient, the ObjectClient of objects.ts, addresses objects of any kind
 * by a Kind (the resource table's entries, resources.ts, mapped without
 * discovery; any other kind by discovery of its group version). ControlPlane
 * is its view of the klutch objects in one cluster namespace, labelled as
 * create-ns and bootstrap-env name them.
 */
import { ClusterError } from '../errors.ts';
import { hostOf } from '../http.ts';
import type { Connection } from './kubeconfig.ts';
import type { DeleteOptions, ObjectClient } from './objects.ts';
import { groupVersionPath, resourceOf, type KObject, type Kind, type Resource } from './resources.ts';
import {
  callApi,
  expectList,
  expectObject,
  isStatus,
  LIST_PAGE,
  MAX_PAGES,
  openWatch,
  proxyOf,
  sendRequest,
  UnknownKindError,
  type CallLabel,
  type CallPolicy,
  type RequestSpec,
  type WatchStart,
} from './transport.ts';

export interface KubeOptions extends Partial<CallPolicy> {
  /** How messages name the server: "control plane", "App Cluster", "cluster". */
  label: string;
  /** Hint attached to a 403 of the generic object calls. */
  forbiddenHint?: string | undefined;
  /** How messages name each generic call; default `get Secret "a" in namespace "b"`. */
  wording?: Wording | undefined;
}

/** How a client's messages name a call: the whole action for errors, a short form for progress lines. */
export type Wording = (
  verb: string,
  kind: Kind,
  name: string | undefined,
  namespace: string | undefined,
  dryRun?: boolean,
) => { action: string; short: string };

/** What flows take to reach a cluster: a connection (from readKubeconfig) and options → a client. */
export type KubeFactory = (conn: Connection, opts: KubeOptions) => KubeClient;

/** The default KubeFactory. */
export const connect: KubeFactory = (conn, opts) => new KubeClient(conn, opts);

/** One REST mapping: the path segment of a kind and whether it is namespaced. */
type Mapping = Pick<Resource, 'plural' | 'namespaced'>;

const seg = encodeURIComponent;

/**
 * A client for one API server: every call through callApi, objects of any
 * kind by apiVersion and kind. Discovery results are cached for the
 * client's life (a run), and fetched again when a kind is missing (its CRD
 * may have just been created).
 */
export class KubeClient implements ObjectClient {
  /** How messages name the server: `control plane 127.0.0.1:6443`. */
  readonly server: string;
  /** host:port of the server. */
  readonly host: string;
  readonly conn: Connection;
  readonly policy: CallPolicy;
  private readonly forbiddenHint: string;
  private readonly wording: Wording | undefined;
  private readonly discovery = new Map<string, Promise<Array<Mapping & { kind: string }>>>();

  constructor(conn: Connection, opts: KubeOptions) {
    this.conn = conn;
    this.host = hostOf(conn.server);
    this.server = `${opts.label} ${this.host}`;
    this.policy = {
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      attempts: opts.attempts ?? 4,
      baseDelayMs: opts.baseDelayMs ?? 500,
      signal: opts.signal,
      dispatcher: opts.dispatcher,
    };
    this.forbiddenHint = opts.forbiddenHint ?? "the kubeconfig's identity lacks this permission";
    this.wording = opts.wording;
    // A proxy variable helper cannot use is an input error now, not a failed call later.
    if (!opts.dispatcher) proxyOf(conn);
  }

  /** One HTTP exchange with this client's connection (sendRequest: no retry, no translation). */
  request(spec: RequestSpec, signal?: AbortSignal): Promise<unknown> {
    return sendRequest(this.conn, this.policy, spec, signal);
  }

  /** callApi with this client's policy (attempts overridable: a wait's read is a single attempt). */
  call<T>(
    label: Omit<CallLabel, 'server'> & { server?: string },
    fn: (signal: AbortSignal) => Promise<T>,
    attempts?: number,
  ): Promise<T> {
    return callApi(
      { server: this.server, ...label },
      attempts === undefined ? this.policy : { ...this.policy, attempts },
      fn,
    );
  }

  /** The REST mapping of a kind: the resource table's, else by discovery of its group version (cached; fetched again on
   * a miss). */
  async mapping(kind: Kind, signal?: AbortSignal): Promise<Mapping> {
    const known = resourceOf(kind);
    if (known) return known;
    for (let fresh = false; ; fresh = true) {
      let p = this.discovery.get(kind.apiVersion);
      if (!p || fresh) {
        p = this.request({ method: 'GET', path: groupVersionPath(kind.apiVersion) }, signal).then((v) => {
          const list = (v as { resources?: unknown } | null)?.resources;
          if (!Array.isArray(list)) throw new SyntaxError(`the answer is not an APIResourceList of ${kind.apiVersion}`);
          return (list as Array<{ name?: unknown; kind?: unknown; namespaced?: unknown }>)
            .filter((r) => typeof r.name === 'string' && !r.name.includes('/') && typeof r.kind === 'string')
            .map((r) => ({ plural: r.name as string, namespaced: r.namespaced === true, kind: r.kind as string }));
        });
        this.discovery.set(kind.apiVersion, p);
        p.catch(() => this.discovery.delete(kind.apiVersion));
      }
      const found = ((await p) as Array<Mapping & { kind: string }>).find((m) => m.kind === kind.kind);
      if (found) return found;
      if (fresh) throw new UnknownKindError(kind.apiVersion, kind.kind);
    }
  }

  /** The path of a kind's collection (namespace when namespaced), or of one object. */
  async pathOf(kind: Kind, namespace: string | undefined, name?: string, signal?: AbortSignal): Promise<string> {
    const m = await this.mapping(kind, signal);
    return (
      `${groupVersionPath(kind.apiVersion)}${m.namespaced && namespace ? `/namespaces/${seg(namespace)}` : ''}/` +
      `${m.plural}${name !== undefined ? `/${seg(name)}` : ''}`
    );
  }

  // ObjectClient: the generic calls status and unbind make, labelled as they name them.

  private label(
    verb: string,
    kind: Kind,
    name: string | undefined,
    namespace: string | undefined,
    dryRun?: boolean,
  ): Omit<CallLabel, 'server'> {
    if (this.wording)
      return { ...this.wording(verb, kind, name, namespace, dryRun), forbiddenHint: this.forbiddenHint };
    return {
      action:
        `${verb} ${describeKind(kind)}${name !== undefined ? ` ${JSON.stringify(name)}` : ''}` +
        `${where(namespace)}${dryRun ? ' (dry run)' : ''}`,
      short: `${verb} ${kind.kind}`,
      forbiddenHint: this.forbiddenHint,
    };
  }

  /**
   * Every object of a kind, read in pages of LIST_PAGE (as kubectl reads
   * lists); one attempt reads all pages; undefined when the kind is not served.
   */
  async list(kind: Kind, namespace?: string, opts: { labelSelector?: string } = {}): Promise<KObject[] | undefined> {
    try {
      const items = await this.call(this.label('list', kind, undefined, namespace), async (signal) => {
        const path = await this.pathOf(kind, namespace, undefined, signal);
        const all: KObject[] = [];
        let next: string | undefined;
        for (let page = 1; ; page++) {
          const answer = await this.request(
            {
              method: 'GET',
              path,
              query: { labelSelector: opts.labelSelector, limit: String(LIST_PAGE), continue: next },
            },
            signal,
          );
          for (const o of expectList(answer, `a list of ${kind.kind}`)) all.push(o);
          const c = (answer as { metadata?: { continue?: unknown } }).metadata?.continue;
          if (typeof c !== 'string' || !c) return all;
          if (page >= MAX_PAGES)
            throw new SyntaxError(
              `the answer is not a list that ends: ${MAX_PAGES} pages of ${LIST_PAGE} and still a continue token`,
            );
          next = c;
        }
      });
      return items.map((o) => ({ apiVersion: kind.apiVersion, kind: kind.kind, ...o }));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async get(
    kind: Kind,
    name: string,
    namespace?: string,
    opts: { attempts?: number; label?: Omit<CallLabel, 'server'> } = {},
  ): Promise<KObject | undefined> {
    try {
      return await this.call(
        opts.label ?? this.label('get', kind, name, namespace),
        async (signal) =>
          expectObject(
            await this.request({ method: 'GET', path: await this.pathOf(kind, namespace, name, signal) }, signal),
            `the ${kind.kind} ${name}`,
            name,
          ),
        opts.attempts,
      );
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async delete(
    kind: Kind,
    name: string,
    namespace: string | undefined,
    opts: DeleteOptions & { label?: Omit<CallLabel, 'server'> } = {},
  ): Promise<'deleted' | 'gone'> {
    try {
      await this.call(opts.label ?? this.label('delete', kind, name, namespace, opts.dryRun), async (signal) =>
        this.request(
          {
            method: 'DELETE',
            path: await this.pathOf(kind, namespace, name, signal),
            query: { dryRun: opts.dryRun ? 'All' : undefined, propagationPolicy: opts.propagationPolicy },
          },
          signal,
        ),
      );
      return 'deleted';
    } catch (err) {
      if (isStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  async mergePatch(
    kind: Kind,
    name: string,
    namespace: string | undefined,
    patch: object,
    opts: { dryRun?: boolean } = {},
  ): Promise<'patched' | 'gone'> {
    try {
      await this.call(this.label('patch', kind, name, namespace, opts.dryRun), async (signal) =>
        expectObject(
          await this.request(
            {
              method: 'PATCH',
              path: await this.pathOf(kind, namespace, name, signal),
              query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: 'helper' },
              body: patch,
              contentType: 'application/merge-patch+json',
            },
            signal,
          ),
          `a ${kind.kind}`,
        ),
      );
      return 'patched';
    } catch (err) {
      if (isStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  review(body: KObject): Promise<KObject> {
    const kind = { apiVersion: String(body.apiVersion), kind: String(body.kind) };
    return this.call(
      { action: `create ${body.kind}`, short: `create ${body.kind}`, forbiddenHint: this.forbiddenHint },
      async (signal) => {
        const out = await this.request(
          { method: 'POST', path: await this.pathOf(kind, undefined, undefined, signal), body },
          signal,
        );
        if (!out || typeof out !== 'object') throw new SyntaxError(`the answer is not a ${body.kind}`);
        return out as KObject;
      },
    );
  }

  /** Creates an object; a 409 (AlreadyExists) is a ClusterError with status 409 for the caller to judge. */
  create(body: KObject, label?: Omit<CallLabel, 'server'>): Promise<KObject> {
    const kind = { apiVersion: String(body.apiVersion), kind: String(body.kind) };
    const name = body.metadata?.name;
    const ns = body.metadata?.namespace;
    return this.call(label ?? this.label('create', kind, name, ns), async (signal) =>
      expectObject(
        await this.request({ method: 'POST', path: await this.pathOf(kind, ns, undefined, signal), body }, signal),
        `the ${kind.kind} object that was sent`,
        name,
      ),
    );
  }

  /** Server-side apply (plain JSON: the API's own field names), conflicts forced. */
  apply(
    obj: KObject,
    opts: { fieldManager: string; dryRun?: boolean | undefined; label: Omit<CallLabel, 'server'> },
  ): Promise<KObject> {
    const kind = { apiVersion: String(obj.apiVersion), kind: String(obj.kind) };
    const name = obj.metadata!.name!;
    return this.call(opts.label, async (signal) =>
      expectObject(
        await this.request(
          {
            method: 'PATCH',
            path: await this.pathOf(kind, obj.metadata?.namespace, name, signal),
            query: { fieldManager: opts.fieldManager, force: 'true', dryRun: opts.dryRun ? 'All' : undefined },
            body: obj,
            contentType: 'application/apply-patch+yaml',
          },
          signal,
        ),
        `the applied ${kind.kind} ${name}`,
        name,
      ),
    );
  }

  /** A watch on one object of a collection, for waitUntil (openWatch). */
  watch(
    collectionPath: string,
    name: string,
    onEvent: () => void,
    onEnd: (err?: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return openWatch(this.conn, this.policy, collectionPath, name, onEvent, onEnd, signal);
  }
}

function describeKind(k: Kind): string {
  const group = k.apiVersion.includes('/') ? k.apiVersion.split('/')[0] : '';
  return group ? `${k.kind} (${group})` : k.kind;
}

function where(namespace: string | undefined): string {
  return namespace ? ` in namespace ${JSON.stringify(namespace)}` : '';
}

/**
 * The klutch objects in one cluster namespace on the control plane: a view
 * of a KubeClient, addressed by the resource table's entries and labelled as
 * create-ns and bootstrap-env name them (`create apiservicenamespaces "a" in
 * namespace "b"`).
 */
export class ControlPlane {
  readonly host: string;
  readonly namespace: string;
  readonly client: KubeClient;

  constructor(client: KubeClient, namespace: string) {
    this.client = client;
    this.namespace = namespace;
    this.host = client.host;
  }

  private label(verb: string, r: Resource, name?: string): Omit<CallLabel, 'server'> & { server: string } {
    return {
      server: `control plane ${this.host}`,
      action:
        `${verb} ${r.plural}${name ? ` ${JSON.stringify(name)}` : ''} in namespace ` +
        `${JSON.stringify(this.namespace)}`,
      short: `${verb} ${r.plural}`,
      forbiddenHint:
        "the kubeconfig's identity lacks this permission; was the binding created for this cluster namespace?",
    };
  }

  create(r: Resource, body: KObject): Promise<KObject> {
    return this.client.create(
      { ...body, metadata: { ...body.metadata, namespace: this.namespace } },
      this.label('create', r, body.metadata?.name),
    );
  }

  /** The object; ClusterError HELPER_CLUSTER_NOT_FOUND when it does not exist. */
  async get(r: Resource, name: string): Promise<KObject> {
    const o = await this.client.get(r, name, this.namespace, { label: this.label('get', r, name) });
    if (!o)
      throw new ClusterError(
        'HELPER_CLUSTER_NOT_FOUND',
        `control plane ${this.host} failed to ${this.label('get', r, name).action}: HTTP 404 NotFound`,
        { status: 404 },
      );
    return o;
  }

  /**
   * One read for a wait's loop: a single attempt (the loop itself is the
   * retry, bounded by the wait's deadline), undefined when the object does
   * not exist.
   */
  peek(r: Resource, name: string): Promise<KObject | undefined> {
    return this.client.get(r, name, this.namespace, { label: this.label('get', r, name), attempts: 1 });
  }

  async delete(r: Resource, name: string): Promise<void> {
    await this.client.delete(r, name, this.namespace, { label: this.label('delete', r, name) });
  }

  /** The objects of a klutch collection in the cluster namespace; undefined when the API is not served. */
  list(r: Resource): Promise<KObject[] | undefined> {
    return this.client.list(r, this.namespace);
  }

  /** Path of a collection in the cluster namespace, for watches. */
  collectionPath(r: Resource): string {
    return `${groupVersionPath(r.apiVersion)}/namespaces/${seg(this.namespace)}/${r.plural}`;
  }

  /** A watch on one object of a collection in the cluster namespace, for waitUntil. */
  watch(r: Resource, name: string): WatchStart {
    return (onEvent, onEnd, signal) => this.client.watch(this.collectionPath(r), name, onEvent, onEnd, signal);
  }
}
