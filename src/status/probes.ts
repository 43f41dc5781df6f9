/**
 * status's probes: what is read of a binding, in order, and how each read is
 * judged. Two tables, the control plane's and the App Cluster's (as
 * control-plane/check.ts's HEALTH); collectStatus runs them. Read-only.
 *
 * Whether the konnector is connected is judged by the ClusterBinding's
 * heartbeat age against its heartbeatInterval, not by the upstream Ready
 * condition (klutchio v1.4.0 reports Healthy=False for a heartbeat younger
 * than 10 s). A read the kubeconfig's RBAC refuses is an `unreadable` item,
 * never `missing`.
 */
import { ClusterError } from '../errors.ts';
import { KINDS, type KObject, type Resource } from '../kube/resources.ts';
import { isStatus } from '../kube/transport.ts';
import type { CredentialFacts } from '../kube/binding-clients.ts';
import {
  CLUSTER_BINDING,
  KONNECTOR_NAME,
  KONNECTOR_NS,
  KUBECONFIG_SECRET,
  boundResource,
  conditionOf,
  crdOwnership,
  humanDuration,
  inBinding,
  isMarkedBound,
  isOurBinding,
  serviceNamespaceOf,
  type BoundResource,
} from '../kube/binding-objects.ts';
import { readBindingKubeconfig } from '../kube/binding-kubeconfig.ts';
import { foreignCrdAdvice } from '../kube/bound-crds.ts';
import { registerKubeconfigSecrets } from '../kube/kubeconfig-file.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { itemId, serverOf, SIDE_TEXT, type Side } from '../report/model.ts';
import {
  heartbeatVerdict,
  judgeHeartbeat,
  statusReport,
  type KonnectorHeartbeat,
  type StatusItem,
  type StatusReport,
  type StatusVerdict,
} from './report.ts';

/** A Pending export request younger than this is still being worked on (the example-backend fails a request after 1
 * minute). */
export const PENDING_GRACE_MS = 2 * 60_000;

export interface CollectInput {
  cp: ObjectClient;
  app?: ObjectClient | undefined;
  clusterNamespace: string;
  /** The provider kubeconfig's server and namespace, to compare the App Cluster's Secret with. */
  provider: { server: string; namespace: string };
  credential: CredentialFacts;
  now: () => number;
}

/** What a probe sees: the input, the client of its side, what earlier probes found, and how it adds items. */
interface Probing {
  input: CollectInput;
  ns: string;
  client: ObjectClient;
  /** Adds an item on the probe's side. */
  add(
    kind: string,
    name: string,
    namespace: string | undefined,
    verdict: StatusVerdict,
    detail: string,
    facts?: Record<string, unknown>,
  ): void;
  /** Set by a probe after which nothing more can be read (the credential is rejected). */
  stop: boolean;
  heartbeat: KonnectorHeartbeat | null;
  requests: KObject[];
  /** Whether the export requests could be read (none read is not none there). */
  requestsRead: boolean;
  resources: BoundResource[];
  serviceNamespaces: string[];
  /** This konnector's APIServiceBindings on the App Cluster. */
  bindings: KObject[];
}

type Probe = (p: Probing) => Promise<void>;

/** Runs one read; a 403 becomes an unreadable item (the `kind name` of `at`) and resolves undefined. */
async function read<T>(
  p: Probing,
  at: [kind: string, name: string, namespace: string | undefined],
  fn: () => Promise<T>,
): Promise<{ value: T } | undefined> {
  try {
    return { value: await fn() };
  } catch (err) {
    if (!isStatus(err, 403)) throw err;
    p.add(...at, 'unreadable', `the kubeconfig may not read this: ${(err as ClusterError).message}`);
    return undefined;
  }
}

/** Who the control plane takes the kubeconfig for; a 401 stops the report (nothing else can be read). */
const credential: Probe = async (p) => {
  const cred = p.input.credential;
  const facts: Record<string, unknown> = {
    type: cred.type,
    ...(cred.expiresAt !== undefined ? { expiresAt: cred.expiresAt } : {}),
  };
  let username: string | undefined;
  try {
    const review = await p.client.review({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    const u = (review.status as { userInfo?: { username?: unknown } } | undefined)?.userInfo?.username;
    username = typeof u === 'string' ? u : undefined;
  } catch (err) {
    if (isStatus(err, 401)) {
      p.add(
        'Credential',
        'provider-kubeconfig',
        undefined,
        'missing',
        `the control plane rejects the kubeconfig's ${cred.type} (401): the binding's ServiceAccount or its ` +
          `cluster namespace ${p.ns} no longer exists, or the token was revoked`,
        facts,
      );
      p.stop = true;
      return;
    }
    // Clusters before 1.28 do not serve SelfSubjectReview; the other reads still tell.
    if (!isStatus(err, 404) && !isStatus(err, 403)) throw err;
  }
  const now = p.input.now();
  const expiry = cred.expiresAt ? Date.parse(cred.expiresAt) : undefined;
  const who = username ?? cred.subject ?? 'an identity the control plane does not name';
  const all = { ...facts, username: username ?? null };
  if (expiry !== undefined && expiry <= now) {
    p.add(
      'Credential',
      'provider-kubeconfig',
      undefined,
      'degraded',
      `${cred.type} of ${who} expired at ${cred.expiresAt}`,
      all,
    );
    return;
  }
  const exp =
    cred.expiresAt === undefined
      ? ''
      : cred.expiresAt === null
        ? ', no expiry'
        : `, expires at ${cred.expiresAt} (in ${humanDuration(expiry! - now)})`;
  p.add('Credential', 'provider-kubeconfig', undefined, 'ok', `${cred.type} of ${who}${exp}`, all);
};

const clusterNamespace: Probe = async (p) => {
  await read(p, ['Namespace', p.ns, undefined], async () => {
    const obj = await p.client.get(KINDS.namespace, p.ns);
    if (!obj) return p.add('Namespace', p.ns, undefined, 'missing', 'the cluster namespace does not exist');
    const phase = (obj.status?.phase as string | undefined) ?? 'Active';
    const deleting = Boolean(obj.metadata?.deletionTimestamp);
    p.add('Namespace', p.ns, undefined, deleting ? 'degraded' : 'ok', deleting ? 'being deleted' : phase);
  });
};

const clusterBinding: Probe = async (p) => {
  await read(p, ['ClusterBinding', CLUSTER_BINDING, p.ns], async () => {
    const cb = await p.client.get(KINDS.clusterBinding, CLUSTER_BINDING, p.ns);
    if (!cb)
      return p.add(
        'ClusterBinding',
        CLUSTER_BINDING,
        p.ns,
        'missing',
        'the backend has not created the ClusterBinding (or it was deleted)',
      );
    p.heartbeat = judgeHeartbeat(cb, p.input.now());
    const v = heartbeatVerdict(p.heartbeat, p.input.app !== undefined);
    p.add('ClusterBinding', CLUSTER_BINDING, p.ns, v.verdict, v.detail, { ...p.heartbeat });
  });
};

/** Export requests (the backend deletes finished ones after about 10 minutes, so none is fine). */
const exportRequests: Probe = async (p) => {
  const requests = await read(p, ['APIServiceExportRequest', '*', p.ns], () =>
    p.client.list(KINDS.exportRequest, p.ns),
  );
  p.requests = requests?.value ?? [];
  p.requestsRead = requests !== undefined;
  for (const r of p.requests) {
    const name = r.metadata?.name ?? '';
    const phase = (r.status?.phase as string | undefined) ?? 'Pending';
    const created = Date.parse(r.metadata?.creationTimestamp ?? '');
    const age = Number.isFinite(created) ? p.input.now() - created : undefined;
    const facts = { phase, terminalMessage: (r.status?.terminalMessage as string | undefined) ?? null };
    const add = (verdict: StatusVerdict, detail: string) =>
      p.add('APIServiceExportRequest', name, p.ns, verdict, detail, facts);
    if (phase === 'Succeeded') add('ok', 'Succeeded');
    else if (phase === 'Failed') add('degraded', `Failed: ${facts.terminalMessage ?? 'no terminal message'}`);
    else if (age !== undefined && age < PENDING_GRACE_MS) add('ok', `${phase}, created ${humanDuration(age)} ago`);
    else
      add(
        'degraded',
        `${phase}${age !== undefined ? ` for ${humanDuration(age)}` : ''}: the backend has not processed it ` +
          `(is it running?)`,
      );
  }
};

/** Exports: one per bound resource. Their Ready condition is not judged (v1.4.0 reports it False on every export). */
const exports: Probe = async (p) => {
  const list = await read(p, ['APIServiceExport', '*', p.ns], () => p.client.list(KINDS.export, p.ns));
  for (const e of list?.value ?? []) {
    const name = e.metadata?.name ?? '';
    const res = boundResource(e);
    if (res) p.resources.push(res);
    const raw = Array.isArray(e.status?.conditions)
      ? (e.status!.conditions as Array<{ type?: string; status?: string; reason?: string }>)
      : [];
    const conditions = raw.map((c) => ({ type: c.type ?? null, status: c.status ?? null, reason: c.reason ?? null }));
    if (!res)
      p.add('APIServiceExport', name, p.ns, 'degraded', 'its spec names no group, kind, plural and version', {
        conditions,
      });
    else if (e.metadata?.deletionTimestamp)
      p.add('APIServiceExport', name, p.ns, 'degraded', 'being deleted', { conditions });
    else
      p.add('APIServiceExport', name, p.ns, 'ok', `${res.kind.kind} ${res.kind.apiVersion}`, {
        kind: res.kind.kind,
        apiVersion: res.kind.apiVersion,
        conditions,
      });
  }
  if (list && list.value?.length === 0 && p.requests.length === 0) {
    p.add(
      'APIServiceExport',
      '*',
      p.ns,
      'missing',
      'nothing is exported to this binding: no APIServiceExport and no export request (run bootstrap-env)',
    );
  }
};

/**
 * APIServiceNamespaces and where they point. None, and no export request,
 * while the control plane still exports something: the binding was unbound
 * (`unbind` deletes the export requests, `--purge` the APIServiceNamespaces;
 * the exports stay), or nothing was ever made with it. Without the App
 * Cluster that is all status can see, and it is not ok (missing); with it,
 * the App Cluster's APIServiceBindings tell (each export not bound there is
 * missing).
 */
const serviceNamespaces: Probe = async (p) => {
  const list = await read(p, ['APIServiceNamespace', '*', p.ns], () => p.client.list(KINDS.serviceNamespace, p.ns));
  const none = list !== undefined && !list.value?.length && p.requestsRead && !p.requests.length;
  if (none && p.resources.length && !p.input.app) {
    p.add(
      'APIServiceNamespace',
      '*',
      p.ns,
      'missing',
      'unbound: no APIServiceNamespace and no export request (unbind deletes them; the exports stay); ' +
        'or never used (create-ns makes one); --app-kubeconfig shows whether the App Cluster still binds it',
      { unbound: true },
    );
  }
  for (const s of list?.value ?? []) {
    const name = s.metadata?.name ?? '';
    const target = serviceNamespaceOf(s);
    const add = (verdict: StatusVerdict, detail: string) =>
      p.add('APIServiceNamespace', name, p.ns, verdict, detail, { namespace: target ?? null });
    if (s.metadata?.deletionTimestamp) add('degraded', 'being deleted');
    else if (!target)
      add('degraded', 'status.namespace not set: the backend has not made its namespace (is it running?)');
    else if (!inBinding(p.ns, target)) add('degraded', `status.namespace ${target} is not a ${p.ns}-* namespace`);
    else {
      p.serviceNamespaces.push(target);
      add('ok', `→ ${target}`);
    }
  }
};

/** Claims: objects of every bound resource in every namespace of the binding. */
const claims: Probe = async (p) => {
  for (const res of p.resources) {
    if (!res.namespaced) {
      p.add('Claims', res.name, undefined, 'ok', 'cluster-scoped resource: not counted', { count: null });
      continue;
    }
    for (const sns of p.serviceNamespaces) {
      await read(p, ['Claims', res.name, sns], async () => {
        const list = (await p.client.list(res.kind, sns)) ?? [];
        const notSynced = list.filter((o) => !isMarkedBound(o)).length;
        const names = list.map((o) => o.metadata?.name ?? '');
        p.add('Claims', res.name, sns, 'ok', `${list.length} ${res.kind.kind}${list.length === 1 ? '' : '(s)'}`, {
          count: list.length,
          names,
          notSynced,
        });
      });
    }
  }
};

/** The konnector's leader-election Lease (v1.4.0: `klutch-bind` in its namespace), renewed every few seconds. */
export const KONNECTOR_LEASE = { name: 'klutch-bind', namespace: KONNECTOR_NS };
const LEASE: Resource = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true };

/** Whether a konnector holds its Lease now: a holder, renewed within leaseDurationSeconds (15 s when not said). */
export function judgeLease(lease: KObject | undefined, now: number): { running: boolean; detail: string } {
  if (!lease) return { running: false, detail: 'no konnector has ever held its Lease (never started on this cluster)' };
  const spec = (lease.spec ?? {}) as { holderIdentity?: unknown; renewTime?: unknown; leaseDurationSeconds?: unknown };
  const holder = typeof spec.holderIdentity === 'string' && spec.holderIdentity ? spec.holderIdentity : undefined;
  const duration = typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 15;
  const renewed = typeof spec.renewTime === 'string' ? Date.parse(spec.renewTime) : NaN;
  const age = Number.isFinite(renewed) ? Math.max(0, now - renewed) : undefined;
  const ago = age === undefined ? 'never renewed' : `renewed ${humanDuration(age)} ago`;
  if (!holder) return { running: false, detail: `released (${ago}): no konnector runs` };
  if (age === undefined || age > duration * 1000)
    return { running: false, detail: `held by ${holder}, ${ago}, past its ${duration}s: no konnector runs` };
  return { running: true, detail: `held by ${holder}, ${ago} (within ${duration}s): a konnector runs` };
}

/**
 * The konnector on the App Cluster: its Lease says whether one runs now
 * (a stopped konnector stops renewing it at once, while the ClusterBinding's
 * heartbeat stays fresh for minutes); its Deployment whether it is deployed
 * and its replicas ready (they stay 0 where no kubelet runs it: then the
 * Lease counts).
 */
const konnectorDeployment: Probe = async (p) => {
  const lease = await read(p, ['Lease', KONNECTOR_LEASE.name, KONNECTOR_LEASE.namespace], () =>
    p.client.get(LEASE, KONNECTOR_LEASE.name, KONNECTOR_LEASE.namespace),
  );
  const held = lease ? judgeLease(lease.value, p.input.now()) : undefined;
  await read(p, ['Deployment', KONNECTOR_NAME, KONNECTOR_NS], async () => {
    const add = (verdict: StatusVerdict, detail: string, facts?: Record<string, unknown>) =>
      p.add('Deployment', KONNECTOR_NAME, KONNECTOR_NS, verdict, detail, facts);
    const d = await p.client.get(KINDS.deployment, KONNECTOR_NAME, KONNECTOR_NS);
    if (!d) return add('missing', 'the konnector is not deployed (apply all.yaml)');
    const spec = d.spec as
      | { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } }
      | undefined;
    const replicas = spec?.replicas ?? 1;
    const ready = Number(d.status?.readyReplicas ?? 0);
    const image = spec?.template?.spec?.containers?.[0]?.image ?? null;
    const facts = { replicas, readyReplicas: ready, image };
    const counted = `${ready} of ${replicas} replica(s) ready`;
    if (held?.running === false)
      add('degraded', `${counted}, but no konnector runs: its Lease is not renewed (see the Lease)`, facts);
    else if (ready > 0 || held?.running) add('ok', `${counted}; image ${image ?? 'unknown'}`, facts);
    else if (!held && p.heartbeat?.state === 'fresh')
      add('ok', `${counted} (the Lease is unreadable; the heartbeat is within the interval); image ${image}`, facts);
    else add('degraded', `${counted}: the konnector is not running`, facts);
  });
  if (!lease || !held) return;
  const facts = { running: held.running, ...(lease.value ? { spec: leaseFacts(lease.value) } : {}) };
  const where: [string, string, string] = ['Lease', KONNECTOR_LEASE.name, KONNECTOR_LEASE.namespace];
  p.add(...where, held.running ? 'ok' : 'degraded', held.detail, facts);
};

function leaseFacts(l: KObject): Record<string, unknown> {
  const spec = (l.spec ?? {}) as Record<string, unknown>;
  return {
    holderIdentity: spec.holderIdentity ?? null,
    renewTime: spec.renewTime ?? null,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? null,
  };
}

/** The konnector's kubeconfig Secret must point at this binding. */
const kubeconfigSecret: Probe = async (p) => {
  await read(p, ['Secret', KUBECONFIG_SECRET, KONNECTOR_NS], async () => {
    const add = (verdict: StatusVerdict, detail: string, facts?: Record<string, unknown>) =>
      p.add('Secret', KUBECONFIG_SECRET, KONNECTOR_NS, verdict, detail, facts);
    const s = await p.client.get(KINDS.secret, KUBECONFIG_SECRET, KONNECTOR_NS);
    if (!s) return add('missing', "the konnector's kubeconfig Secret does not exist (apply all.yaml)");
    const b64 = (s.data as Record<string, string> | undefined)?.kubeconfig;
    const text = b64 ? Buffer.from(b64, 'base64').toString('utf8') : '';
    if (text) registerKubeconfigSecrets(text);
    // The strict reader: the konnector's client-go would honour more than helper writes, and client-node
    // would read a token-file from this machine's disk (a FIFO there hung status).
    const k = text ? readBindingKubeconfig(text) : undefined;
    if (!k?.ok)
      return add(
        'degraded',
        `data.kubeconfig is not a kubeconfig helper writes${k && !k.ok ? `: ${k.problems[0]}` : ' (empty)'}`,
      );
    const { server, namespace } = k.value.facts;
    const provider = p.input.provider;
    const same = sameServer(server, provider.server) && namespace === provider.namespace;
    if (same) add('ok', `points at ${server}, namespace ${namespace}`, { server, namespace });
    else
      add(
        'degraded',
        `points at ${server}, namespace ${namespace}; the provider kubeconfig at ${provider.server}, ` +
          `namespace ${provider.namespace}: another binding`,
        { server, namespace },
      );
  });
};

/** This konnector's APIServiceBindings, and one for every export. */
const serviceBindings: Probe = async (p) => {
  const list = await read(p, ['APIServiceBinding', '*', undefined], () => p.client.list(KINDS.serviceBinding));
  if (list && list.value === undefined)
    p.add(
      'APIServiceBinding',
      '*',
      undefined,
      'missing',
      'the App Cluster does not serve APIServiceBindings (the klutch CRDs are not installed: apply all.yaml)',
    );
  p.bindings = (list?.value ?? []).filter(isOurBinding);
  for (const b of p.bindings) {
    const name = b.metadata?.name ?? '';
    const ready = conditionOf(b, 'Ready');
    const msg = ready?.message ? `: ${ready.message}` : '';
    if (ready?.status === 'True') {
      p.add('APIServiceBinding', name, undefined, 'ok', 'Ready', { ready: true, reason: ready.reason ?? null });
      continue;
    }
    const why = ready
      ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`
      : 'no Ready condition yet (is the konnector running?)';
    p.add('APIServiceBinding', name, undefined, 'degraded', `${why}${msg}`, {
      ready: false,
      reason: ready?.reason ?? null,
    });
  }
  if (!list?.value) return;
  for (const e of p.resources) {
    if (!p.bindings.some((b) => b.metadata?.name === e.name)) {
      p.add(
        'APIServiceBinding',
        e.name,
        undefined,
        'missing',
        'the control plane exports it, the App Cluster does not bind it (apply all.yaml)',
      );
    }
  }
};

/** The bound CRDs the konnector creates, owned by their binding. */
const boundCrds: Probe = async (p) => {
  for (const b of p.bindings) {
    const name = b.metadata?.name ?? '';
    const add = (verdict: StatusVerdict, detail: string) =>
      p.add('CustomResourceDefinition', name, undefined, verdict, detail);
    await read(p, ['CustomResourceDefinition', name, undefined], async () => {
      const crd = await p.client.get(KINDS.crd, name);
      if (!crd)
        return add(
          'missing',
          'the konnector has not created the bound CRD (is it running? is the APIServiceExport there?)',
        );
      const established = conditionOf(crd, 'Established')?.status === 'True';
      const owners = Array.isArray(crd.metadata?.ownerReferences)
        ? (crd.metadata!.ownerReferences as Array<{ kind?: string; name?: string; uid?: string }>)
        : [];
      const owned = owners.some((o) => o.kind === 'APIServiceBinding' && o.name === name && o.uid === b.metadata?.uid);
      if (!established) add('degraded', 'not Established');
      else if (!owned)
        add(
          'degraded',
          `not owned by APIServiceBinding ${name}; the konnector v1.4.0 refuses to manage it ` +
            `(ForeignCustomResourceDefinition); ` +
            `${foreignCrdAdvice(name, p.ns, crdOwnership(crd, p.bindings, p.ns).owner === 'orphaned')}`,
        );
      else add('ok', 'Established, owned by its APIServiceBinding');
    });
  }
};

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The probes, in report order: the control plane's, then (when given) the App Cluster's. */
export const PROBES: Readonly<Record<Side, readonly Probe[]>> = {
  'control-plane': [credential, clusterNamespace, clusterBinding, exportRequests, exports, serviceNamespaces, claims],
  'app-cluster': [konnectorDeployment, kubeconfigSecret, serviceBindings, boundCrds],
};

type At = [kind: string, name: string, namespace: string | undefined];
/** The items a probe reports when its cluster cannot be reached (claims and CRDs: none, nothing names them then). */
const UNREACHED = new Map<Probe, (ns: string) => At[]>([
  [credential, () => [['Credential', 'provider-kubeconfig', undefined]]],
  [clusterNamespace, (ns) => [['Namespace', ns, undefined]]],
  [clusterBinding, (ns) => [['ClusterBinding', CLUSTER_BINDING, ns]]],
  [exportRequests, (ns) => [['APIServiceExportRequest', '*', ns]]],
  [exports, (ns) => [['APIServiceExport', '*', ns]]],
  [serviceNamespaces, (ns) => [['APIServiceNamespace', '*', ns]]],
  [
    konnectorDeployment,
    () => [
      ['Deployment', KONNECTOR_NAME, KONNECTOR_NS],
      ['Lease', KONNECTOR_LEASE.name, KONNECTOR_LEASE.namespace],
    ],
  ],
  [kubeconfigSecret, () => [['Secret', KUBECONFIG_SECRET, KONNECTOR_NS]]],
  [serviceBindings, () => [['APIServiceBinding', '*', undefined]]],
]);

const UNREACHABLE_CODES = new Set([
  'HELPER_CLUSTER_UNREACHABLE',
  'HELPER_CLUSTER_TIMEOUT',
  'HELPER_CLUSTER_TLS',
  'HELPER_CLUSTER_RESPONSE',
]);

/** A failure that says nothing of the object, only that its cluster could not be reached (or not be trusted). */
export function isUnreachable(err: unknown): err is ClusterError {
  return err instanceof ClusterError && err.status === undefined && UNREACHABLE_CODES.has(err.code);
}

/** Reads both clusters and judges every item; a cluster that cannot be reached makes its items `unreachable`. */
export async function collectStatus(input: CollectInput): Promise<StatusReport> {
  const items: StatusItem[] = [];
  let side: Side = 'control-plane';
  const p: Probing = {
    input,
    ns: input.clusterNamespace,
    client: input.cp,
    stop: false,
    heartbeat: null,
    requests: [],
    requestsRead: false,
    resources: [],
    serviceNamespaces: [],
    bindings: [],
    add: (kind, name, namespace, verdict, detail, facts) => {
      items.push({
        side,
        kind,
        name,
        ...(namespace ? { namespace } : {}),
        verdict,
        detail,
        ...(facts ? { facts } : {}),
      });
    },
  };
  for (const [s, client] of [
    ['control-plane', input.cp],
    ['app-cluster', input.app],
  ] as const) {
    if (!client || p.stop) continue;
    [side, p.client] = [s, client];
    let unreachable: ClusterError | undefined;
    let first = '';
    for (const probe of PROBES[s]) {
      if (p.stop) break;
      if (unreachable) {
        for (const at of UNREACHED.get(probe)?.(p.ns) ?? []) p.add(...at, 'unreachable', `not read: ${first}`);
        continue;
      }
      const before = items.length;
      try {
        await probe(p);
      } catch (err) {
        // One cluster unreachable: its items say so, the other is still read (one call's retries, not one per item).
        if (!isUnreachable(err)) throw err;
        unreachable = err;
        items.splice(before);
        const ats = UNREACHED.get(probe)?.(p.ns) ?? [];
        for (const at of ats) p.add(...at, 'unreachable', err.message);
        first = ats[0]
          ? `${SIDE_TEXT[s]} unreachable, as ${itemId({ kind: ats[0][0], name: ats[0][1], namespace: ats[0][2] })} says`
          : err.message;
      }
    }
  }
  const where = {
    clusterNamespace: input.clusterNamespace,
    controlPlane: { server: serverOf('control-plane', input.cp) },
    appCluster: input.app ? { server: serverOf('app-cluster', input.app) } : null,
  };
  return statusReport(where, items, p.heartbeat);
}
