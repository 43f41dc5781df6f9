/**
 * status, step by step (read-only):
 *   load the kubeconfigs → control plane: credential, cluster namespace,
 *   ClusterBinding heartbeat, export requests, exports, APIServiceNamespaces,
 *   claims per resource and namespace → App Cluster (when given): konnector
 *   Deployment, kubeconfig Secret, APIServiceBindings, bound CRDs → a verdict
 *   per item and one overall verdict (the command prints it; the exit code
 *   follows the verdict).
 *
 * Whether the konnector is connected is judged by the ClusterBinding's
 * heartbeat age against its heartbeatInterval, not by the upstream Ready
 * condition (klutchio v1.4.0 reports Healthy=False for a heartbeat younger
 * than 10 s). A read the kubeconfig's RBAC refuses is an `unreadable` item,
 * never `missing`.
 */
import { ClusterError, ExitCode, HelperError, TimeoutError } from '../errors.ts';
import type { KObject } from '../kube/resources.ts';
import { isStatus } from '../kube/transport.ts';
import type { CredentialFacts } from '../kube/binding-clients.ts';
import {
  CLUSTER_BINDING, KONNECTOR_NAME, KONNECTOR_NS, KUBECONFIG_SECRET,
  boundResource, conditionOf, humanDuration, inBinding, isMarkedBound, isOurBinding, serviceNamespaceOf, type BoundResource,
} from '../kube/binding-objects.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatOf, parseGoDuration } from '../kube/heartbeat.ts';
import { readBindingKubeconfig } from '../kube/binding-kubeconfig.ts';
import { registerKubeconfigSecrets } from '../kube/kubeconfig-file.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { KINDS } from '../kube/resources.ts';
import type { StatusOptions } from '../options/status.ts';
import { flowDeps, type FlowDeps, type Outcome } from './deps.ts';
import { bindingKube, type BindingKube } from './kube.ts';
import { escapeControl } from '../log.ts';

export type Verdict = 'ok' | 'degraded' | 'missing' | 'unreadable';
export type Overall = 'ok' | 'degraded' | 'missing' | 'unknown';
export type Side = 'control-plane' | 'app-cluster';

export interface StatusItem {
  side: Side;
  kind: string;
  name: string;
  namespace?: string | undefined;
  verdict: Verdict;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export interface Heartbeat {
  konnectorVersion: string | null;
  lastHeartbeatTime: string | null;
  ageSeconds: number | null;
  intervalSeconds: number | null;
  /** fresh: within twice the interval; stale: older; none: never written. */
  state: 'fresh' | 'stale' | 'none';
}

export interface StatusReport {
  schemaVersion: 1;
  kind: 'BindingStatus';
  verdict: Overall;
  clusterNamespace: string;
  controlPlane: { server: string };
  appCluster: { server: string } | null;
  heartbeat: Heartbeat | null;
  counts: Record<Verdict, number>;
  items: StatusItem[];
}

export type { StatusOptions };

export interface StatusDeps extends FlowDeps {
  kube: BindingKube;
}

/** A Pending export request younger than this is still being worked on (the example-backend fails a request after 1 minute). */
export const PENDING_GRACE_MS = 2 * 60_000;

/** The command's flow: the report on stdout whatever the verdict; the verdict's error (exit 6, 11, 12) after it. */
export async function status(opts: Readonly<StatusOptions>, given: Partial<StatusDeps> = {}): Promise<Outcome> {
  const report = await runStatus(opts, given);
  // The text report carries the servers' own text (conditions, terminal messages): control characters shown escaped.
  return { stdout: opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : escapeControl(formatStatus(report)), error: verdictError(report) };
}

export async function runStatus(opts: Readonly<StatusOptions>, given: Partial<StatusDeps> = {}): Promise<StatusReport> {
  const deps = { ...flowDeps(given), kube: given.kube ?? bindingKube };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new TimeoutError('HELPER_STATUS_TIMEOUT', `status did not finish within ${humanDuration(opts.timeoutMs)} (--timeout)`)), opts.timeoutMs);
  const signal = AbortSignal.any([deps.signal, deadline.signal]);
  try {
    const c = deps.kube.connect({ ...opts, signal });
    return await collectStatus({
      cp: c.cp,
      app: c.app,
      clusterNamespace: c.provider.namespace,
      provider: { server: c.provider.server, namespace: c.provider.namespace },
      credential: c.credential,
      now: deps.clock,
    });
  } finally {
    clearTimeout(timer);
  }
}

export interface CollectInput {
  cp: ObjectClient;
  app?: ObjectClient | undefined;
  clusterNamespace: string;
  /** The provider kubeconfig's server and namespace, to compare the App Cluster's Secret with. */
  provider: { server: string; namespace: string };
  credential: CredentialFacts;
  now: () => number;
}

/** Reads both clusters and judges every item. Throws only when a cluster cannot be reached at all. */
export async function collectStatus(input: CollectInput): Promise<StatusReport> {
  const { cp, app, clusterNamespace: ns } = input;
  const items: StatusItem[] = [];
  const add = (i: StatusItem) => { items.push(i); };
  const cpItem = (kind: string, name: string, namespace: string | undefined, verdict: Verdict, message: string, details?: Record<string, unknown>) =>
    add({ side: 'control-plane', kind, name, ...(namespace ? { namespace } : {}), verdict, message, ...(details ? { details } : {}) });
  const appItem = (kind: string, name: string, namespace: string | undefined, verdict: Verdict, message: string, details?: Record<string, unknown>) =>
    add({ side: 'app-cluster', kind, name, ...(namespace ? { namespace } : {}), verdict, message, ...(details ? { details } : {}) });

  /** Runs one read; a 403 becomes an unreadable item (via onForbidden) and resolves undefined. */
  const read = async <T>(fn: () => Promise<T>, onForbidden: (message: string) => void): Promise<{ value: T } | undefined> => {
    try {
      return { value: await fn() };
    } catch (err) {
      if (isStatus(err, 403)) {
        onForbidden(`the kubeconfig may not read this: ${(err as ClusterError).message}`);
        return undefined;
      }
      throw err;
    }
  };

  // 1. The credential: who the control plane takes the kubeconfig for.
  const cred = input.credential;
  const credDetails: Record<string, unknown> = { type: cred.type, ...(cred.expiresAt !== undefined ? { expiresAt: cred.expiresAt } : {}) };
  let username: string | undefined;
  try {
    const review = await cp.review({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    const u = (review.status as { userInfo?: { username?: unknown } } | undefined)?.userInfo?.username;
    username = typeof u === 'string' ? u : undefined;
  } catch (err) {
    if (isStatus(err, 401)) {
      cpItem('Credential', 'provider kubeconfig', undefined, 'missing', `the control plane rejects the kubeconfig's ${cred.type} (401): the binding's ServiceAccount or its cluster namespace ${ns} no longer exists, or the token was revoked`, credDetails);
      return finish(input, items, null);
    }
    // Clusters before 1.28 do not serve SelfSubjectReview; the other reads still tell.
    if (!isStatus(err, 404) && !isStatus(err, 403)) throw err;
  }
  const expiry = cred.expiresAt ? Date.parse(cred.expiresAt) : undefined;
  const who = username ?? cred.subject ?? 'an identity the control plane does not name';
  if (expiry !== undefined && expiry <= input.now()) {
    cpItem('Credential', 'provider kubeconfig', undefined, 'degraded', `${cred.type} of ${who} expired at ${cred.expiresAt}`, { ...credDetails, username: username ?? null });
  } else {
    const exp = cred.expiresAt === undefined ? '' : cred.expiresAt === null ? ', no expiry' : `, expires at ${cred.expiresAt} (in ${humanDuration(expiry! - input.now())})`;
    cpItem('Credential', 'provider kubeconfig', undefined, 'ok', `${cred.type} of ${who}${exp}`, { ...credDetails, username: username ?? null });
  }

  // 2. The cluster namespace.
  await read(async () => {
    const obj = await cp.get(KINDS.namespace, ns);
    if (!obj) return cpItem('Namespace', ns, undefined, 'missing', 'the cluster namespace does not exist');
    const phase = (obj.status?.phase as string | undefined) ?? 'Active';
    cpItem('Namespace', ns, undefined, obj.metadata?.deletionTimestamp ? 'degraded' : 'ok', obj.metadata?.deletionTimestamp ? 'being deleted' : phase);
  }, (m) => cpItem('Namespace', ns, undefined, 'unreadable', m));

  // 3. The ClusterBinding and its heartbeat.
  let heartbeat: Heartbeat | null = null;
  await read(async () => {
    const cb = await cp.get(KINDS.clusterBinding, CLUSTER_BINDING, ns);
    if (!cb) return cpItem('ClusterBinding', CLUSTER_BINDING, ns, 'missing', 'the backend has not created the ClusterBinding (or it was deleted)');
    heartbeat = judgeHeartbeat(cb, input.now());
    const v = heartbeatVerdict(heartbeat, app !== undefined);
    cpItem('ClusterBinding', CLUSTER_BINDING, ns, v.verdict, v.message, { ...heartbeat });
  }, (m) => cpItem('ClusterBinding', CLUSTER_BINDING, ns, 'unreadable', m));

  // 4. Export requests (the backend deletes finished ones after about 10 minutes, so none is fine).
  const requests = await read(() => cp.list(KINDS.exportRequest, ns), (m) => cpItem('APIServiceExportRequest', '*', ns, 'unreadable', m));
  for (const r of requests?.value ?? []) {
    const name = r.metadata?.name ?? '';
    const phase = (r.status?.phase as string | undefined) ?? 'Pending';
    const created = Date.parse(r.metadata?.creationTimestamp ?? '');
    const age = Number.isFinite(created) ? input.now() - created : undefined;
    const details = { phase, terminalMessage: (r.status?.terminalMessage as string | undefined) ?? null };
    if (phase === 'Succeeded') cpItem('APIServiceExportRequest', name, ns, 'ok', 'Succeeded', details);
    else if (phase === 'Failed') cpItem('APIServiceExportRequest', name, ns, 'degraded', `Failed: ${details.terminalMessage ?? 'no terminal message'}`, details);
    else if (age !== undefined && age < PENDING_GRACE_MS) cpItem('APIServiceExportRequest', name, ns, 'ok', `${phase}, created ${humanDuration(age)} ago`, details);
    else cpItem('APIServiceExportRequest', name, ns, 'degraded', `${phase}${age !== undefined ? ` for ${humanDuration(age)}` : ''}: the backend has not processed it (is it running?)`, details);
  }

  // 5. Exports: one per bound resource.
  const exports = await read(() => cp.list(KINDS.export, ns), (m) => cpItem('APIServiceExport', '*', ns, 'unreadable', m));
  const resources: BoundResource[] = [];
  for (const e of exports?.value ?? []) {
    const name = e.metadata?.name ?? '';
    const res = boundResource(e);
    if (res) resources.push(res);
    // Its Ready condition is not judged: v1.4.0 reports Ready=False (Unknown) on every export,
    // "APIServiceBinding ... does not have a SchemaInSync condition", healthy or not; the
    // App Cluster's APIServiceBinding Ready is what tells.
    const conditions = (Array.isArray(e.status?.conditions) ? e.status!.conditions as Array<{ type?: string; status?: string; reason?: string }> : [])
      .map((c) => ({ type: c.type ?? null, status: c.status ?? null, reason: c.reason ?? null }));
    if (!res) cpItem('APIServiceExport', name, ns, 'degraded', 'its spec names no group, kind, plural and version', { conditions });
    else if (e.metadata?.deletionTimestamp) cpItem('APIServiceExport', name, ns, 'degraded', 'being deleted', { conditions });
    else cpItem('APIServiceExport', name, ns, 'ok', `${res.kind.kind} ${res.kind.apiVersion}`, { kind: res.kind.kind, apiVersion: res.kind.apiVersion, conditions });
  }
  if (exports && exports.value?.length === 0 && (requests?.value ?? []).length === 0) {
    cpItem('APIServiceExport', '*', ns, 'missing', 'nothing is exported to this binding: no APIServiceExport and no export request (run bootstrap-env)');
  }

  // 6. APIServiceNamespaces and where they point.
  const snsList = await read(() => cp.list(KINDS.serviceNamespace, ns), (m) => cpItem('APIServiceNamespace', '*', ns, 'unreadable', m));
  const serviceNamespaces: string[] = [];
  for (const s of snsList?.value ?? []) {
    const name = s.metadata?.name ?? '';
    const target = serviceNamespaceOf(s);
    if (s.metadata?.deletionTimestamp) cpItem('APIServiceNamespace', name, ns, 'degraded', 'being deleted', { namespace: target ?? null });
    else if (!target) cpItem('APIServiceNamespace', name, ns, 'degraded', 'status.namespace not set: the backend has not made its namespace (is it running?)', { namespace: null });
    else if (!inBinding(ns, target)) cpItem('APIServiceNamespace', name, ns, 'degraded', `status.namespace ${target} is not a ${ns}-* namespace`, { namespace: target });
    else {
      serviceNamespaces.push(target);
      cpItem('APIServiceNamespace', name, ns, 'ok', `→ ${target}`, { namespace: target });
    }
  }

  // 7. Claims: objects of every bound resource in every namespace of the binding.
  for (const res of resources) {
    if (!res.namespaced) {
      cpItem('Claims', res.name, undefined, 'ok', 'cluster-scoped resource: not counted', { count: null });
      continue;
    }
    for (const sns of serviceNamespaces) {
      await read(async () => {
        const list = await cp.list(res.kind, sns) ?? [];
        const unmarked = list.filter((o) => !isMarkedBound(o)).length;
        cpItem('Claims', res.name, sns, 'ok', `${list.length} ${res.kind.kind}${list.length === 1 ? '' : '(s)'}`, { count: list.length, names: list.map((o) => o.metadata?.name ?? ''), notSynced: unmarked });
      }, (m) => cpItem('Claims', res.name, sns, 'unreadable', m));
    }
  }

  if (app) await collectApp(input, app, resources, heartbeat, appItem, read);
  return finish(input, items, heartbeat);
}

type ItemFn = (kind: string, name: string, namespace: string | undefined, verdict: Verdict, message: string, details?: Record<string, unknown>) => void;
type ReadFn = <T>(fn: () => Promise<T>, onForbidden: (message: string) => void) => Promise<{ value: T } | undefined>;

async function collectApp(input: CollectInput, app: ObjectClient, exported: BoundResource[], heartbeat: Heartbeat | null, item: ItemFn, read: ReadFn): Promise<void> {
  // The konnector Deployment: ready replicas stay 0 where no kubelet runs it; a fresh heartbeat says it is connected anyway.
  await read(async () => {
    const d = await app.get(KINDS.deployment, KONNECTOR_NAME, KONNECTOR_NS);
    if (!d) return item('Deployment', KONNECTOR_NAME, KONNECTOR_NS, 'missing', 'the konnector is not deployed (apply all.yaml)');
    const spec = d.spec as { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
    const replicas = spec?.replicas ?? 1;
    const ready = Number(d.status?.readyReplicas ?? 0);
    const image = spec?.template?.spec?.containers?.[0]?.image ?? null;
    const fresh = heartbeat?.state === 'fresh';
    const details = { replicas, readyReplicas: ready, image };
    if (ready > 0 || fresh) item('Deployment', KONNECTOR_NAME, KONNECTOR_NS, 'ok', `${ready} of ${replicas} replica(s) ready${ready === 0 ? ' (the heartbeat is fresh: a konnector is connected)' : ''}; image ${image ?? 'unknown'}`, details);
    else item('Deployment', KONNECTOR_NAME, KONNECTOR_NS, 'degraded', `0 of ${replicas} replica(s) ready and no fresh heartbeat: the konnector is not running`, details);
  }, (m) => item('Deployment', KONNECTOR_NAME, KONNECTOR_NS, 'unreadable', m));

  // The kubeconfig Secret must point at this binding.
  await read(async () => {
    const s = await app.get(KINDS.secret, KUBECONFIG_SECRET, KONNECTOR_NS);
    if (!s) return item('Secret', KUBECONFIG_SECRET, KONNECTOR_NS, 'missing', 'the konnector\'s kubeconfig Secret does not exist (apply all.yaml)');
    const b64 = (s.data as Record<string, string> | undefined)?.kubeconfig;
    const text = b64 ? Buffer.from(b64, 'base64').toString('utf8') : '';
    if (text) registerKubeconfigSecrets(text);
    // The strict reader: the konnector's client-go would honour more than helper writes, and client-node
    // would read a token-file from this machine's disk (a FIFO there hung status).
    const k = text ? readBindingKubeconfig(text) : undefined;
    if (!k?.ok) return item('Secret', KUBECONFIG_SECRET, KONNECTOR_NS, 'degraded', `data.kubeconfig is not a kubeconfig helper writes${k && !k.ok ? `: ${k.problems[0]}` : ' (empty)'}`);
    const { server, namespace } = k.value.facts;
    const same = sameServer(server, input.provider.server) && namespace === input.provider.namespace;
    const details = { server, namespace };
    if (same) item('Secret', KUBECONFIG_SECRET, KONNECTOR_NS, 'ok', `points at ${server}, namespace ${namespace}`, details);
    else item('Secret', KUBECONFIG_SECRET, KONNECTOR_NS, 'degraded', `points at ${server}, namespace ${namespace}; the provider kubeconfig at ${input.provider.server}, namespace ${input.provider.namespace}: another binding`, details);
  }, (m) => item('Secret', KUBECONFIG_SECRET, KONNECTOR_NS, 'unreadable', m));

  // APIServiceBindings, and one for every export.
  const bindings = await read(() => app.list(KINDS.serviceBinding), (m) => item('APIServiceBinding', '*', undefined, 'unreadable', m));
  if (bindings && bindings.value === undefined) item('APIServiceBinding', '*', undefined, 'missing', 'the App Cluster does not serve APIServiceBindings (the klutch CRDs are not installed: apply all.yaml)');
  const ours = (bindings?.value ?? []).filter(isOurBinding);
  for (const b of ours) {
    const name = b.metadata?.name ?? '';
    const ready = conditionOf(b, 'Ready');
    const msg = ready?.message ? `: ${ready.message}` : '';
    if (ready?.status === 'True') item('APIServiceBinding', name, undefined, 'ok', 'Ready', { ready: true, reason: ready.reason ?? null });
    else item('APIServiceBinding', name, undefined, 'degraded', `${ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : 'no Ready condition yet (is the konnector running?)'}${msg}`, { ready: false, reason: ready?.reason ?? null });
  }
  if (bindings?.value) {
    for (const e of exported) {
      if (!ours.some((b) => b.metadata?.name === e.name)) item('APIServiceBinding', e.name, undefined, 'missing', 'the control plane exports it, the App Cluster does not bind it (apply all.yaml)');
    }
  }

  // The bound CRDs the konnector creates, owned by their binding.
  for (const b of ours) {
    const name = b.metadata?.name ?? '';
    await read(async () => {
      const crd = await app.get(KINDS.crd, name);
      if (!crd) return item('CustomResourceDefinition', name, undefined, 'missing', 'the konnector has not created the bound CRD (is it running? is the APIServiceExport there?)');
      const established = conditionOf(crd, 'Established')?.status === 'True';
      const owners = Array.isArray(crd.metadata?.ownerReferences) ? crd.metadata!.ownerReferences as Array<{ kind?: string; name?: string; uid?: string }> : [];
      const owned = owners.some((o) => o.kind === 'APIServiceBinding' && o.name === name && o.uid === b.metadata?.uid);
      if (!established) item('CustomResourceDefinition', name, undefined, 'degraded', 'not Established');
      else if (!owned) item('CustomResourceDefinition', name, undefined, 'degraded', `not owned by APIServiceBinding ${name} (kept from an earlier binding?); the konnector v1.4.0 refuses to manage it (ForeignCustomResourceDefinition)`);
      else item('CustomResourceDefinition', name, undefined, 'ok', 'Established, owned by its APIServiceBinding');
    }, (m) => item('CustomResourceDefinition', name, undefined, 'unreadable', m));
  }
}

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The heartbeat facts of a ClusterBinding at time `now` (the rule itself is kube/heartbeat.ts, shared with create-ns). */
export function judgeHeartbeat(cb: KObject, now: number): Heartbeat {
  const h = heartbeatOf(cb, now);
  const reported = parseGoDuration((cb.status as { heartbeatInterval?: unknown } | undefined)?.heartbeatInterval);
  return {
    konnectorVersion: h.konnectorVersion ?? null,
    lastHeartbeatTime: h.last ? (cb.status!.lastHeartbeatTime as string) : null,
    ageSeconds: h.ageMs === undefined ? null : Math.round(h.ageMs / 1000),
    intervalSeconds: reported === undefined ? null : reported / 1000,
    state: h.last === undefined ? 'none' : h.fresh ? 'fresh' : 'stale',
  };
}

/** The ClusterBinding's verdict: a stale heartbeat is degraded; none yet is fine until an App Cluster is given. */
export function heartbeatVerdict(h: Heartbeat, appGiven: boolean): { verdict: Verdict; message: string } {
  const version = h.konnectorVersion ? `konnector ${h.konnectorVersion}` : 'konnector version not reported';
  const interval = h.intervalSeconds === null ? `${humanDuration(DEFAULT_HEARTBEAT_INTERVAL_MS)} (not reported; the v1.4.0 default)` : humanDuration(h.intervalSeconds * 1000);
  if (h.state === 'none') {
    return appGiven
      ? { verdict: 'degraded', message: 'no heartbeat yet: the konnector has never connected to this binding' }
      : { verdict: 'ok', message: 'no heartbeat yet: no konnector has connected (expected until the App Cluster runs all.yaml)' };
  }
  const age = humanDuration(h.ageSeconds! * 1000);
  if (h.state === 'stale') return { verdict: 'degraded', message: `last heartbeat ${age} ago, more than twice the interval ${interval}: the konnector is not connected; ${version}` };
  return { verdict: 'ok', message: `last heartbeat ${age} ago (interval ${interval}); ${version}` };
}

function finish(input: CollectInput, items: StatusItem[], heartbeat: Heartbeat | null): StatusReport {
  const counts: Record<Verdict, number> = { ok: 0, degraded: 0, missing: 0, unreadable: 0 };
  for (const i of items) counts[i.verdict]++;
  const verdict: Overall = counts.missing ? 'missing' : counts.degraded ? 'degraded' : counts.unreadable ? 'unknown' : 'ok';
  return {
    schemaVersion: 1,
    kind: 'BindingStatus',
    verdict,
    clusterNamespace: input.clusterNamespace,
    controlPlane: { server: input.cp.server.replace(/^control plane /, '') },
    appCluster: input.app ? { server: input.app.server.replace(/^App Cluster /, '') } : null,
    heartbeat,
    counts,
    items,
  };
}

/** The report as text: one line per item, then the verdict. */
export function formatStatus(r: StatusReport): string {
  const side = (s: Side) => (s === 'control-plane' ? 'control plane' : 'App Cluster');
  const width = Math.max(...r.items.map((i) => `${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}`.length), 10);
  const lines = [`binding ${r.clusterNamespace} on control plane ${r.controlPlane.server}${r.appCluster ? `, App Cluster ${r.appCluster.server}` : ' (no --app-kubeconfig: control plane only)'}`];
  for (const i of r.items) {
    const what = `${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}`;
    lines.push(`${i.verdict.padEnd(10)} ${side(i.side).padEnd(13)} ${what.padEnd(width)}  ${i.message}`.trimEnd());
  }
  const parts = (['degraded', 'missing', 'unreadable'] as const).filter((v) => r.counts[v]).map((v) => `${r.counts[v]} ${v}`);
  lines.push(`verdict: ${r.verdict}${parts.length ? ` (${parts.join(', ')})` : ''}`);
  return lines.join('\n') + '\n';
}

/** The error that carries the verdict's exit code (the report itself is on stdout). */
export function verdictError(r: StatusReport): HelperError | undefined {
  const names = (v: Verdict) => r.items.filter((i) => i.verdict === v).map((i) => `${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}`).join(', ');
  switch (r.verdict) {
    case 'ok': return undefined;
    case 'degraded': return new HelperError('HELPER_STATUS_DEGRADED', `binding ${r.clusterNamespace} is degraded: ${names('degraded')}`, ExitCode.degraded);
    case 'missing': return new HelperError('HELPER_STATUS_MISSING', `binding ${r.clusterNamespace} is missing parts: ${names('missing')}`, ExitCode.missing);
    case 'unknown': return new ClusterError('HELPER_STATUS_UNREADABLE', `binding ${r.clusterNamespace} cannot be judged: the kubeconfig may not read ${names('unreadable')}`, { status: 403 });
  }
}
