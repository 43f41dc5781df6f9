/**
 * The generic object client interface: list, get, delete and patch any kind
 * by a Kind (resources.ts), on either cluster. KubeClient (client.ts)
 * implements it, each call bounded, retried and translated by callApi (transport.ts).
 * Flows depend only on this interface, so their branches are tested in
 * process with an in-memory client (test/helpers/memory-cluster.ts).
 */
import { KINDS, type KObject, type Kind } from './resources.ts';

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
  mergePatch(
    kind: Kind,
    name: string,
    namespace: string | undefined,
    patch: object,
    opts?: { dryRun?: boolean },
  ): Promise<'patched' | 'gone'>;
  /** Creates a review object (SelfSubjectAccessReview, SelfSubjectReview) and returns the server's answer. */
  review(body: KObject): Promise<KObject>;
}

/** What a SelfSubjectAccessReview asks about: `verb` on `resource` (of `group`), in `namespace`, named `name`. */
export interface ResourceAttributes {
  verb: string;
  group?: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/** Whether the client's identity may do it, by a SelfSubjectAccessReview. */
export async function mayI(client: Pick<ObjectClient, 'review'>, attributes: ResourceAttributes): Promise<boolean> {
  const r = await client.review({
    apiVersion: KINDS.accessReview.apiVersion,
    kind: KINDS.accessReview.kind,
    spec: { resourceAttributes: attributes },
  });
  return (r.status as { allowed?: unknown } | undefined)?.allowed === true;
}

/** `ns/name` or `name`, for lines and JSON. */
export function ref(obj: { metadata?: { name?: string; namespace?: string } | undefined }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}
