/**
 * unbind, step by step (the reverse of bootstrap-env + apply, safe by default):
 *   load the kubeconfigs → plan: read what exists of the binding on both
 *   clusters → (--purge without --yes: confirm or refuse) → App Cluster:
 *   konnector Deployment, wait until its pods are gone, APIServiceBindings
 *   (orphaning: the bound CRDs and their objects stay), RBAC, ServiceAccount,
 *   kubeconfig Secret → control plane: the export requests; then either
 *   keep the claims (and drop the konnector's `bound` mark from them, so a
 *   re-bind adopts them instead of deleting them) or, with --purge, delete
 *   the claims, wait until they are gone, then the APIServiceNamespaces.
 *
 * Never touched: anything outside the cluster namespace and its `<ns>-*`
 * namespaces on the control plane; the cluster namespace itself with its
 * ClusterBinding and APIServiceExports (the binding's identity; the binder's
 * RBAC may not delete them); on the App Cluster the klutch-bind Namespace,
 * the klutch CRDs and the bound CRDs with their objects.
 *
 * --dry-run sends every delete and patch as a server-side dry run and waits
 * for nothing, so it lists exactly the set a real run deletes. Deletes are
 * idempotent (404 = already gone), so a second run has nothing to do and an
 * interrupted one is finished by running it again.
 */
import { ClusterError, InputError, TimeoutError, UsageError } from '../errors.ts';
import { KINDS, type KObject, type Kind } from '../kube/resources.ts';
import { isStatus } from '../kube/transport.ts';
import {
  BOUND_ANNOTATION, CLUSTER_BINDING, KONNECTOR_NAME, KONNECTOR_NS, KONNECTOR_RBAC, KUBECONFIG_SECRET, SYNCER_FINALIZER,
  ORPHANED_FROM_ANNOTATION, boundResource, crdOwnership, humanDuration, inBinding, isMarkedBound, isOurBinding, listClaims, serviceNamespaceOf, unmarkBound, type BoundResource,
} from '../kube/binding-objects.ts';
import { mayI, type ObjectClient } from '../kube/objects.ts';
import { log } from '../log.ts';
import { sleep } from '../retry.ts';
import type { UnbindOptions } from '../options/unbind.ts';
import { flowDeps, type FlowDeps, type Outcome } from './deps.ts';
import { bindingKube, type BindingKube } from './kube.ts';

export type Side = 'control-plane' | 'app-cluster';
export type Op = 'delete' | 'unmark' | 'mark' | 'keep';
export type Result = 'deleted' | 'would delete' | 'gone' | 'unmarked' | 'would unmark' | 'marked' | 'would mark' | 'kept' | 'refused' | 'skipped';

export interface Action {
  side: Side;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  op: Op;
  /** Why it is deleted this way, or why it is kept. */
  note?: string | undefined;
  result?: Result | undefined;
  message?: string | undefined;
  /** For claims: the bound resource, `<plural>.<group>` (what kubectl calls it). */
  resource?: string | undefined;
  /** internal: the delete's propagation policy; an unmark's merge patch; the step it belongs to. */
  propagationPolicy?: 'Orphan' | undefined;
  patch?: object | undefined;
  step: 'konnector' | 'record' | 'app' | 'appObjects' | 'crds' | 'requests' | 'claims' | 'serviceNamespaces' | 'kept';
}

export interface UnbindReport {
  schemaVersion: 1;
  kind: 'UnbindReport';
  dryRun: boolean;
  purge: boolean;
  clusterNamespace: string;
  controlPlane: { server: string };
  appCluster: { server: string } | null;
  /** True when nothing had to be deleted or unmarked (a second run). */
  nothingToDo: boolean;
  actions: Action[];
  /** What to do next: how to delete kept claims, how to re-bind. */
  hints: string[];
}

export type { UnbindOptions };

export interface UnbindDeps extends FlowDeps {
  kube: BindingKube;
  /** Asks the user on a terminal; absent without one (then --purge needs --yes). Default: a y/N question when stdin and stderr are a terminal. */
  confirm: ((question: string) => Promise<boolean>) | undefined;
  /** Poll interval of the waits (tests make it short). */
  pollMs: number;
}

/** The command's flow: the report on stdout, also when some deletions were refused; then the refusal's error (exit 6). */
export async function unbindFlow(opts: Readonly<UnbindOptions>, given: Partial<UnbindDeps> = {}): Promise<Outcome> {
  const report = await runUnbind(opts, given);
  return { stdout: opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatUnbind(report), error: refusalError(report) };
}

/** One y/N question on the terminal (only ever asked when stdin and stderr are a TTY). */
async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function runUnbind(opts: Readonly<UnbindOptions>, given: Partial<UnbindDeps> = {}): Promise<UnbindReport> {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const deps: UnbindDeps = {
    ...flowDeps(given), kube: given.kube ?? bindingKube,
    confirm: 'confirm' in given ? given.confirm : interactive ? ask : undefined, pollMs: given.pollMs ?? 1000,
  };
  if (opts.purge && !opts.dryRun && !opts.yes && !deps.confirm) {
    throw new UsageError('--purge deletes the claims (the data services) of this binding and cannot be undone; without a terminal it needs --yes (nothing was changed)');
  }
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new TimeoutError('HELPER_UNBIND_TIMEOUT', `unbind did not finish within ${humanDuration(opts.timeoutMs)} (--timeout)`)), opts.timeoutMs);
  const signal = AbortSignal.any([deps.signal, deadline.signal]);
  try {
    const c = deps.kube.connect({ ...opts, explicitKubeconfig: true, signal });
    return await unbind({
      cp: c.cp, app: c.app, clusterNamespace: c.provider.namespace, kubeconfigPath: opts.kubeconfig,
      purge: opts.purge, deleteCrds: opts.deleteCrds, dryRun: opts.dryRun, yes: opts.yes, confirm: deps.confirm,
      deadline: Date.now() + opts.timeoutMs, signal, pollMs: deps.pollMs,
    });
  } finally {
    clearTimeout(timer);
  }
}

export interface UnbindInput {
  cp: ObjectClient;
  app?: ObjectClient | undefined;
  clusterNamespace: string;
  /** For the hints (the command that would delete the kept claims). */
  kubeconfigPath: string;
  purge: boolean;
  deleteCrds?: boolean | undefined;
  dryRun: boolean;
  yes: boolean;
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** Epoch ms by which the waits must end. */
  deadline: number;
  signal?: AbortSignal | undefined;
  pollMs: number;
}

/** Plans and carries out the unbind; throws (after logging what was done and what remains) when it cannot finish. */
export async function unbind(input: UnbindInput): Promise<UnbindReport> {
  const actions = await plan(input);
  const report: UnbindReport = {
    schemaVersion: 1,
    kind: 'UnbindReport',
    dryRun: input.dryRun,
    purge: input.purge,
    clusterNamespace: input.clusterNamespace,
    controlPlane: { server: input.cp.server.replace(/^control plane /, '') },
    appCluster: input.app ? { server: input.app.server.replace(/^App Cluster /, '') } : null,
    nothingToDo: !actions.some((a) => a.op !== 'keep'),
    actions,
    hints: hints(input, actions),
  };
  const claims = actions.filter((a) => a.step === 'claims' && a.op === 'delete');
  if (input.purge && !input.dryRun && !input.yes && claims.length) {
    if (!input.confirm) throw new UsageError('--purge deletes the claims (the data services) of this binding and cannot be undone; without a terminal it needs --yes (nothing was changed)');
    const ok = await input.confirm(`delete ${claims.length} claim(s) of binding ${input.clusterNamespace} (${claims.map((a) => `${a.kind} ${a.namespace}/${a.name}`).join(', ')}) and its APIServiceNamespaces? This deletes the data services and cannot be undone. [y/N] `);
    if (!ok) throw new UsageError('--purge was not confirmed; nothing was changed');
  }
  try {
    await execute(input, actions);
  } catch (err) {
    const remains = actions.filter((a) => a.op !== 'keep' && (a.result === undefined || a.result === 'refused'));
    const done = actions.filter((a) => a.result === 'deleted' || a.result === 'unmarked' || a.result === 'marked');
    log.warn(`unbind of ${input.clusterNamespace} stopped${input.dryRun ? ' (dry run)' : ''}: done ${done.length ? done.map(label).join(', ') : 'nothing'}; remains ${remains.length ? remains.map(label).join(', ') : 'nothing'}; re-running the same command continues from there`);
    throw err;
  }
  return report;
}

function label(a: Pick<Action, 'kind' | 'name' | 'namespace' | 'side'>): string {
  return `${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name} (${a.side === 'app-cluster' ? 'App Cluster' : 'control plane'})`;
}

const act = (side: Side, kind: Kind, name: string, namespace: string | undefined, op: Op, step: Action['step'], note?: string, extra: Partial<Action> = {}): Action =>
  ({ side, apiVersion: kind.apiVersion, kind: kind.kind, name, ...(namespace ? { namespace } : {}), op, step, ...(note ? { note } : {}), ...extra });

/** Reads what exists of the binding: the set of objects to delete, unmark and keep. */
async function plan(input: UnbindInput): Promise<Action[]> {
  const { cp, app, clusterNamespace: ns } = input;
  const out: Action[] = [];
  // A namespace without the backend's ClusterBinding is no binding's cluster namespace: touch nothing there.
  const hint = { hint: 'pass the provider kubeconfig that bootstrap-env --write-kubeconfig wrote for the binding' };
  let cb: KObject | undefined;
  try {
    cb = await cp.get(KINDS.clusterBinding, CLUSTER_BINDING, ns);
  } catch (err) {
    if (!isStatus(err, 403)) throw err;
    throw new InputError('HELPER_UNBIND_NOT_A_BINDING', `cannot tell whether namespace ${ns} (the kubeconfig's context namespace) on ${cp.server} is a binding's cluster namespace: the kubeconfig may not read its ClusterBinding (403); nothing was changed`, [], hint);
  }
  if (!cb) throw new InputError('HELPER_UNBIND_NOT_A_BINDING', `namespace ${ns} (the kubeconfig's context namespace) on ${cp.server} holds no ClusterBinding "${CLUSTER_BINDING}": it is not a binding's cluster namespace; nothing was changed`, [], hint);
  const exports = await cp.list(KINDS.export, ns) ?? [];
  const resources = exports.map(boundResource).filter((r): r is BoundResource => r !== undefined);
  if (app) {
    const a = (kind: Kind, name: string, namespace: string | undefined, step: Action['step'], note?: string, extra?: Partial<Action>) => out.push(act('app-cluster', kind, name, namespace, 'delete', step, note, extra));
    // An object already being deleted (e.g. a binding whose CRDs the garbage collector is orphaning) is not deleted again.
    const live = (o: KObject | undefined) => o !== undefined && !o.metadata?.deletionTimestamp;
    if (live(await app.get(KINDS.deployment, KONNECTOR_NAME, KONNECTOR_NS))) a(KINDS.deployment, KONNECTOR_NAME, KONNECTOR_NS, 'konnector', 'first, so no konnector syncs while the binding is taken apart');
    const allBindings = await app.list(KINDS.serviceBinding) ?? [];
    const bindings = allBindings.filter(isOurBinding);
    for (const b of bindings.filter(live)) a(KINDS.serviceBinding, b.metadata?.name ?? '', undefined, 'app', 'orphaning: its bound CRD and the objects in it stay', { propagationPolicy: 'Orphan' });
    if (live(await app.get(KINDS.clusterRoleBinding, KONNECTOR_RBAC))) a(KINDS.clusterRoleBinding, KONNECTOR_RBAC, undefined, 'app');
    if (live(await app.get(KINDS.clusterRole, KONNECTOR_RBAC))) a(KINDS.clusterRole, KONNECTOR_RBAC, undefined, 'app');
    if (live(await app.get(KINDS.serviceAccount, KONNECTOR_NAME, KONNECTOR_NS))) a(KINDS.serviceAccount, KONNECTOR_NAME, KONNECTOR_NS, 'app');
    if (live(await app.get(KINDS.secret, KUBECONFIG_SECRET, KONNECTOR_NS))) a(KINDS.secret, KUBECONFIG_SECRET, KONNECTOR_NS, 'app', 'the provider kubeconfig (a live credential)');
    // The bound CRDs: those of this binding's exports and bindings (a second run finds them by the exports). Only a CRD that
    // is provably this binding's (crdOwnership) is touched, it or its objects: an export's name alone proves nothing, it
    // comes from the control plane (an export named certificates.cert-manager.io must not delete cert-manager's CRD).
    const names = [...new Set([...resources.map((r) => r.name), ...bindings.map((b) => b.metadata?.name ?? '')])].filter(Boolean).sort();
    for (const name of names) {
      const crd = await app.get(KINDS.crd, name);
      if (!crd || crd.metadata?.deletionTimestamp) continue;
      const own = crdOwnership(crd, allBindings, ns);
      if (!own.owner) {
        out.push(act('app-cluster', KINDS.crd, name, undefined, 'keep', 'kept', `not provably this binding's: ${own.why}; neither it nor its objects are touched${input.deleteCrds ? ' (not deleted despite --delete-crds)' : ''}`));
        continue;
      }
      // Recorded while the ownerReference still proves it, before the orphaning delete removes that reference.
      if (own.owner === 'binding' && live(own.binding) && (crd.metadata?.annotations as Record<string, unknown> | undefined)?.[ORPHANED_FROM_ANNOTATION] !== ns) {
        out.push(act('app-cluster', KINDS.crd, name, undefined, 'mark', 'record', `recorded as this binding's (annotation ${ORPHANED_FROM_ANNOTATION}: ${ns}) before its APIServiceBinding orphans it, so that a later --delete-crds can prove it`, { patch: { metadata: { annotations: { [ORPHANED_FROM_ANNOTATION]: ns } } } }));
      }
      const kind = crdKind(crd);
      // The konnector's finalizer on the App Cluster's copies: with no konnector left it would block deleting them (and their namespaces) forever.
      for (const o of kind ? await app.list(kind) ?? [] : []) {
        const fins = Array.isArray(o.metadata?.finalizers) ? o.metadata!.finalizers as string[] : [];
        if (!fins.includes(SYNCER_FINALIZER)) continue;
        out.push(act('app-cluster', kind!, o.metadata?.name ?? '', o.metadata?.namespace, 'unmark', 'appObjects', `the konnector's finalizer ${SYNCER_FINALIZER} is removed: with no konnector it would block deleting this copy`, { patch: { metadata: { finalizers: fins.filter((f) => f !== SYNCER_FINALIZER) } } }));
      }
      if (input.deleteCrds) out.push(act('app-cluster', KINDS.crd, name, undefined, 'delete', 'crds', `--delete-crds (${own.owner === 'binding' ? 'owned by this binding\'s APIServiceBinding' : `recorded by an earlier unbind of ${ns}`}): with it go the App Cluster's copies of its objects; the claims on the control plane stay`));
      else out.push(act('app-cluster', KINDS.crd, name, undefined, 'keep', 'kept', 'the bound CRD stays: deleting it deletes every object of it on the App Cluster (--delete-crds does, e.g. before re-binding this App Cluster)'));
    }
  }

  for (const r of await cp.list(KINDS.exportRequest, ns) ?? []) out.push(act('control-plane', KINDS.exportRequest, r.metadata?.name ?? '', ns, 'delete', 'requests'));
  const snsList = await cp.list(KINDS.serviceNamespace, ns) ?? [];
  const namespaces: string[] = [];
  const snsActions: Action[] = [];
  for (const s of snsList) {
    const target = serviceNamespaceOf(s);
    const name = s.metadata?.name ?? '';
    if (target && !inBinding(ns, target)) {
      snsActions.push(act('control-plane', KINDS.serviceNamespace, name, ns, 'keep', 'kept', `its status.namespace ${target} is not a ${ns}-* namespace: left alone`));
      continue;
    }
    if (target) namespaces.push(target);
    if (input.purge) snsActions.push(act('control-plane', KINDS.serviceNamespace, name, ns, 'delete', 'serviceNamespaces', target ? `after its claims; the backend then deletes namespace ${target}` : 'status.namespace not set'));
    else snsActions.push(act('control-plane', KINDS.serviceNamespace, name, ns, 'keep', 'kept', `kept with namespace ${target ?? '(not made yet)'}: deleted with --purge`));
  }

  for (const group of await claimsOrRefusals(cp, resources, namespaces, out, input.purge)) {
    for (const c of group.items) {
      const name = c.metadata?.name ?? '';
      if (input.purge) {
        out.push(act('control-plane', group.resource.kind, name, group.namespace, 'delete', 'claims', `a claim of ${group.resource.name}`, { resource: group.resource.name }));
        continue;
      }
      if (isMarkedBound(c)) {
        out.push(act('control-plane', group.resource.kind, name, group.namespace, 'unmark', 'claims', `kept; its annotation ${BOUND_ANNOTATION} is removed, so a re-bind copies it to the App Cluster instead of deleting it`, { resource: group.resource.name }));
      } else {
        out.push(act('control-plane', group.resource.kind, name, group.namespace, 'keep', 'kept', 'kept', { resource: group.resource.name }));
      }
    }
  }

  // Listed in the order they are deleted: the claims first.
  out.push(...snsActions);

  // The binding's identity stays: say whether this kubeconfig could remove it at all.
  const may = await mayDelete(cp, ns);
  out.push(act('control-plane', KINDS.namespace, ns, undefined, 'keep', 'kept', `the cluster namespace stays with its ClusterBinding, ${exports.length} APIServiceExport(s) and the binding's ServiceAccount; a re-bind with the same clusterID reuses it; ${may ? 'to remove it: ' : 'the kubeconfig may not delete it (RBAC); a control-plane admin removes it with: '}kubectl delete namespace ${ns}`));
  return out;
}

/** Lists the claims; a namespace whose claims the kubeconfig may not list is recorded as a refused action (named, never skipped silently). */
async function claimsOrRefusals(cp: ObjectClient, resources: BoundResource[], namespaces: string[], out: Action[], purge: boolean) {
  const groups = [];
  for (const r of resources) {
    for (const n of namespaces) {
      try {
        groups.push(...await listClaims(cp, [r], [n]));
      } catch (err) {
        if (!isStatus(err, 403)) throw err;
        out.push(act('control-plane', r.kind, '*', n, purge ? 'delete' : 'keep', purge ? 'claims' : 'kept', undefined, { result: 'refused', message: `cannot list ${r.name} in ${n}: ${(err as ClusterError).message}` }));
      }
    }
  }
  return groups;
}

/** The kind a CRD serves (its first served version). */
function crdKind(crd: KObject): Kind | undefined {
  const spec = (crd.spec ?? {}) as { group?: unknown; names?: { kind?: unknown }; versions?: Array<{ name?: unknown; served?: unknown }> };
  const v = (Array.isArray(spec.versions) ? spec.versions : []).find((x) => x.served !== false && typeof x.name === 'string');
  return typeof spec.group === 'string' && typeof spec.names?.kind === 'string' && v ? { apiVersion: `${spec.group}/${v.name as string}`, kind: spec.names.kind } : undefined;
}

async function mayDelete(cp: ObjectClient, ns: string): Promise<boolean> {
  try {
    return await mayI(cp, { verb: 'delete', resource: 'namespaces', name: ns });
  } catch (err) {
    if (err instanceof ClusterError && err.status !== undefined && err.status < 500) return false;
    throw err;
  }
}

/** Carries out the plan in order; fills each action's result. */
async function execute(input: UnbindInput, actions: Action[]): Promise<void> {
  const { dryRun } = input;
  const client = (a: Action) => (a.side === 'app-cluster' ? input.app! : input.cp);
  const run = async (a: Action) => {
    if (a.result) return; // refused while planning
    const kind = { apiVersion: a.apiVersion, kind: a.kind };
    try {
      if (a.op === 'delete') {
        const r = await client(a).delete(kind, a.name, a.namespace, { dryRun, ...(a.propagationPolicy ? { propagationPolicy: a.propagationPolicy } : {}) });
        a.result = r === 'gone' ? 'gone' : dryRun ? 'would delete' : 'deleted';
      } else if (a.op === 'unmark') {
        const r = a.patch ? await client(a).mergePatch(kind, a.name, a.namespace, a.patch, { dryRun }) : await unmarkBound(client(a), kind, a.name, a.namespace!, dryRun);
        a.result = r === 'gone' ? 'gone' : dryRun ? 'would unmark' : 'unmarked';
      } else if (a.op === 'mark') {
        const r = await client(a).mergePatch(kind, a.name, a.namespace, a.patch!, { dryRun });
        a.result = r === 'gone' ? 'gone' : dryRun ? 'would mark' : 'marked';
      } else {
        a.result = 'kept';
      }
      if (a.result !== 'kept') log.info(`${a.result} ${label(a)}`);
    } catch (err) {
      if (!isStatus(err, 403)) throw err;
      a.result = 'refused';
      a.message = (err as ClusterError).message;
      log.warn(`refused: ${a.message}`);
    }
  };
  const step = (s: Action['step']) => actions.filter((a) => a.step === s);

  for (const a of step('konnector')) await run(a);
  if (!dryRun && input.app && step('konnector').some((a) => a.result === 'deleted')) await waitKonnectorGone(input);
  for (const a of step('record')) await run(a);
  for (const a of step('app')) await run(a);
  // An orphaning delete only marks the binding; it is gone once the garbage collector has freed its CRDs.
  if (!dryRun) await waitGone(input, step('app').filter((a) => a.kind === 'APIServiceBinding' && a.result === 'deleted'), 'APIServiceBindings (the App Cluster\'s garbage collector orphans their CRDs first)');
  for (const a of step('appObjects')) await run(a);
  for (const a of step('crds')) await run(a);
  if (!dryRun) await waitGone(input, step('crds').filter((a) => a.result === 'deleted'), 'bound CRDs (the App Cluster deletes their objects first)');
  for (const a of step('requests')) await run(a);
  for (const a of step('claims')) await run(a);
  if (input.purge) {
    const claims = step('claims');
    if (claims.some((a) => a.result === 'refused')) {
      for (const a of step('serviceNamespaces')) { a.result = 'skipped'; a.message = 'not deleted: claims the kubeconfig may not delete or list remain'; }
    } else {
      if (!dryRun) await waitGone(input, claims.filter((a) => a.result === 'deleted'), 'claims');
      for (const a of step('serviceNamespaces')) await run(a);
      if (!dryRun) await waitGone(input, step('serviceNamespaces').filter((a) => a.result === 'deleted'), 'APIServiceNamespaces');
    }
  }
  for (const a of step('kept')) if (!a.result) a.result = 'kept';
}

/** After the Deployment is deleted: its pods must be gone before the rest, or a konnector still running could recreate the Secret or re-mark claims. */
async function waitKonnectorGone(input: UnbindInput): Promise<void> {
  const app = input.app!;
  let seen = '';
  for (;;) {
    let pods;
    try {
      pods = await app.list(KINDS.pod, KONNECTOR_NS, { labelSelector: `app=${KONNECTOR_NAME}` }) ?? [];
    } catch (err) {
      if (!isStatus(err, 403)) throw err;
      log.warn(`${app.server}: the kubeconfig may not list pods in ${KONNECTOR_NS}; not waiting for the konnector's pods to stop`);
      return;
    }
    if (!pods.length) return;
    seen = pods.map((p) => `${p.metadata?.name} (${p.status?.phase ?? 'unknown'})`).join(', ');
    await pause(input, `the konnector's pods to stop`, seen);
  }
}

/** Waits until every deleted object is gone (finalizers: Crossplane deprovisions the data service first). */
async function waitGone(input: UnbindInput, deleted: Action[], what: string): Promise<void> {
  let left = [...deleted];
  while (left.length) {
    const still: Action[] = [];
    for (const a of left) {
      const c = a.side === 'app-cluster' ? input.app! : input.cp;
      if (await c.get({ apiVersion: a.apiVersion, kind: a.kind }, a.name, a.namespace)) still.push(a);
    }
    left = still;
    if (!left.length) return;
    await pause(input, `the deleted ${what} to be gone`, left.map((a) => `${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`).join(', '));
  }
}

async function pause(input: UnbindInput, what: string, seen: string): Promise<void> {
  const left = input.deadline - Date.now();
  if (left <= 0) throw new TimeoutError('HELPER_UNBIND_TIMEOUT', `timed out waiting for ${what}; still there: ${seen}`, { hint: 'raise --timeout; re-running the same command continues' });
  log.debug(`waiting for ${what}: ${seen}`);
  await sleep(Math.min(input.pollMs, left), input.signal);
}

function hints(input: UnbindInput, actions: Action[]): string[] {
  const out: string[] = [];
  const k = input.kubeconfigPath;
  const claims = actions.filter((a) => a.resource !== undefined && a.op !== 'delete');
  if (claims.length) {
    const one = claims[0]!;
    out.push(`${claims.length} claim(s) stay on the control plane (the data services keep running); delete all of them with: helper unbind --kubeconfig ${k} --purge --yes; or one with e.g.: kubectl --kubeconfig ${k} -n ${one.namespace} delete ${one.resource} ${one.name}`);
  }
  const sns = actions.filter((a) => a.kind === 'APIServiceNamespace' && a.op === 'keep' && a.step === 'kept' && !a.note?.includes('left alone'));
  if (sns.length) {
    out.push(`to re-bind: bootstrap-env with the same clusterID, then helper apply all.yaml, which does this for you: create the namespace(s) ${sns.map((a) => a.name).join(', ')} on the App Cluster BEFORE the konnector starts (with kubectl apply, create them yourself first; otherwise the konnector deletes their APIServiceNamespaces and the claims with them)`);
  }
  return out;
}

/** Text: one line per action, then a summary line. */
export function formatUnbind(r: UnbindReport): string {
  const side = (s: Side) => (s === 'control-plane' ? 'control plane' : 'App Cluster');
  const what = (a: Action) => `${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
  const width = Math.max(10, ...r.actions.map((a) => what(a).length));
  const lines = [`unbind ${r.clusterNamespace} on control plane ${r.controlPlane.server}${r.appCluster ? `, App Cluster ${r.appCluster.server}` : ' (no --app-kubeconfig: control plane only)'}${r.dryRun ? ' — dry run: nothing is changed' : ''}${r.purge ? ', with --purge' : ''}`];
  for (const a of r.actions) {
    lines.push(`${(a.result ?? 'not reached').padEnd(13)} ${side(a.side).padEnd(13)} ${what(a).padEnd(width)}${a.message ? `  ${a.message}` : a.note ? `  ${a.note}` : ''}`.trimEnd());
  }
  const count = (res: Result) => r.actions.filter((a) => a.result === res).length;
  const parts = (['deleted', 'would delete', 'unmarked', 'would unmark', 'marked', 'would mark', 'gone', 'refused', 'skipped', 'kept'] as const).filter((x) => count(x)).map((x) => `${count(x)} ${x}`);
  lines.push(r.nothingToDo ? `nothing to do: the binding is already unbound${count('kept') ? ` (${count('kept')} kept)` : ''}` : `${r.dryRun ? 'dry run' : 'done'}: ${parts.join(', ')}`);
  for (const h of r.hints) lines.push(`hint: ${h}`);
  return lines.join('\n') + '\n';
}

/** The error for a run that finished with refusals (the report itself is on stdout). */
export function refusalError(r: UnbindReport): ClusterError | undefined {
  const refused = r.actions.filter((a) => a.result === 'refused' || a.result === 'skipped');
  if (!refused.length) return undefined;
  return new ClusterError('HELPER_UNBIND_REFUSED', `unbind of ${r.clusterNamespace} is incomplete: the kubeconfig's RBAC refused ${refused.filter((a) => a.result === 'refused').map(label).join(', ')}${refused.some((a) => a.result === 'skipped') ? `; not attempted because of that: ${refused.filter((a) => a.result === 'skipped').map(label).join(', ')}` : ''}; these remain`, { status: 403, hint: 'grant the missing permissions (or run with a kubeconfig that has them) and run the same command again' });
}
