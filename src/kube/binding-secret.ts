/**
 * bootstrap-env --write-secret: the provider kubeconfig and all.yaml as one
 * Secret in the cluster helper runs in (a Job's management cluster).
 * helper only ever changes a Secret it can prove is this binding's: one it
 * creates, or one that carries its label and this clusterID's annotation.
 * Anything else of that name is refused by name (exit 6), nothing changed.
 */
import { ClusterError, UsageError } from '../errors.ts';
import { KINDS, type KObject, type Kind } from './resources.ts';
import type { CallLabel } from './transport.ts';
import { isDnsLabel } from '../validate/names.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const CLUSTER_ID_ANNOTATION = 'helper.klutch.anynines.com/cluster-id';
export const SECRET_KEYS = { kubeconfig: 'provider.kfg.yaml', manifest: 'all.yaml' } as const;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface SecretRef {
  namespace: string;
  name: string;
}

/** --write-secret NAMESPACE/NAME, or UsageError naming the value and what is wrong with it. */
export function parseSecretRef(value: string): SecretRef {
  const shown = JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  const parts = value.split('/');
  if (parts.length !== 2) throw new UsageError(`--write-secret ${shown} is not NAMESPACE/NAME`);
  const [namespace, name] = parts as [string, string];
  if (!isDnsLabel(namespace))
    throw new UsageError(
      `--write-secret ${shown}: namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name ` +
        `(lowercase letters, digits and '-', at most 63)`,
    );
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    throw new UsageError(
      `--write-secret ${shown}: name ${JSON.stringify(name)} is not a Kubernetes object name (lowercase ` +
        `letters, digits, '-' and '.', at most 253)`,
    );
  return { namespace, name };
}

/** What the Secret's cluster must offer: KubeClient's get and server-side apply. */
export interface SecretClient {
  readonly server: string;
  get(kind: Kind, name: string, namespace?: string): Promise<KObject | undefined>;
  apply(obj: KObject, opts: { fieldManager: string; label: Omit<CallLabel, 'server'> }): Promise<KObject>;
}

export type SecretOutcome = 'created' | 'updated' | 'unchanged';

/**
 * undefined when the Secret does not exist or is this binding's (its
 * resourceVersion then); ClusterError HELPER_SECRET_FOREIGN when it is not.
 */
export async function checkBindingSecret(
  c: SecretClient,
  ref: SecretRef,
  clusterID: string,
): Promise<KObject | undefined> {
  const s = await c.get(KINDS.secret, ref.name, ref.namespace);
  if (!s) return undefined;
  const labels = (s.metadata?.labels ?? {}) as Record<string, unknown>;
  const annotations = (s.metadata?.annotations ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (s.kind !== undefined && s.kind !== 'Secret') problems.push(`the answer is a ${String(s.kind)}`);
  if (labels[MANAGED_BY] !== 'helper') problems.push(`it has no label ${MANAGED_BY}=helper`);
  if (annotations[CLUSTER_ID_ANNOTATION] !== clusterID) {
    const v = annotations[CLUSTER_ID_ANNOTATION];
    problems.push(
      typeof v === 'string'
        ? `its annotation ${CLUSTER_ID_ANNOTATION} is ${JSON.stringify(v.slice(0, 100))}, not ` +
            `${JSON.stringify(clusterID)}`
        : `it has no annotation ${CLUSTER_ID_ANNOTATION}`,
    );
  }
  if (problems.length) {
    throw new ClusterError(
      'HELPER_SECRET_FOREIGN',
      `Secret ${ref.namespace}/${ref.name} on ${c.server} exists and is not this binding's (` +
        `${problems.join('; ')}); helper does not overwrite it, nothing was written to it`,
      {
        hint: 'pick another --write-secret name, or delete that Secret if it is an old one of yours',
      },
    );
  }
  return s;
}

/**
 * Server-side applies the Secret (type Opaque, the two keys, helper's label
 * and the clusterID annotation) after checking it is absent or this
 * binding's; an existing one is applied with its resourceVersion, so a change
 * in between is a conflict, not an overwrite. The data never reaches a log.
 */
export async function writeBindingSecret(
  c: SecretClient,
  ref: SecretRef,
  clusterID: string,
  data: { kubeconfig: string; manifest: string },
): Promise<SecretOutcome> {
  const before = await checkBindingSecret(c, ref, clusterID);
  const encoded = {
    [SECRET_KEYS.kubeconfig]: Buffer.from(data.kubeconfig).toString('base64'),
    [SECRET_KEYS.manifest]: Buffer.from(data.manifest).toString('base64'),
  };
  const rv = before?.metadata?.resourceVersion;
  const body: KObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { [MANAGED_BY]: 'helper' },
      annotations: { [CLUSTER_ID_ANNOTATION]: clusterID },
      ...(rv ? { resourceVersion: rv } : {}),
    },
    data: encoded,
  };
  const after = await c.apply(body, {
    fieldManager: 'helper',
    label: { action: `apply Secret ${ref.namespace}/${ref.name}`, short: 'apply Secret' },
  });
  if (!before) return 'created';
  return after.metadata?.resourceVersion === rv ? 'unchanged' : 'updated';
}
