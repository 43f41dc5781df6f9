/**
 * unbind's plan: what exists of a binding, read from both clusters, as the
 * list of actions (delete, unmark, mark, keep) in the order they are carried
 * out. Read-only; unbind/execute.ts carries it out.
 *
 * Never planned: anything outside the cluster namespace and its `<ns>-*`
 * namespaces on the control plane; the cluster namespace itself with its
 * ClusterBinding and APIServiceExports (the binding's identity; the binder's
 * RBAC may not delete them); on the App Cluster the klutch-bind Namespace,
 * the klutch CRDs, and a bound CRD (or its objects) that is not provably the
 * binding's.
 */
import { ClusterError, InputError } from '../errors.ts';
import { KINDS, type Kind, type KObject } from '../kube/resources.ts';
import { isStatus } from '../kube/transport.ts';
import {
  BOUND_ANNOTATION,
  CLUSTER_BINDING,
  KONNECTOR_NAME,
  KONNECTOR_NS,
  KONNECTOR_RBAC,
  KUBECONFIG_SECRET,
  SYNCER_FINALIZER,
  ORPHANED_FROM_ANNOTATION,
  boundResource,
  crdOwnership,
  inBinding,
  isMarkedBound,
  isOurBinding,
  listClaims,
  serviceNamespaceOf,
  type BoundResource,
  type ClaimGroup,
} from '../kube/binding-objects.ts';
import { mayI, type ObjectClient } from '../kube/objects.ts';
import type { Side } from '../report/model.ts';

export type UnbindOp = 'delete' | 'unmark' | 'mark' | 'keep';
export type UnbindResult =
  | 'deleted'
  | 'would delete'
  | 'gone'
  | 'unmarked'
  | 'would unmark'
  | 'marked'
  | 'would mark'
  | 'kept'
  | 'refused'
  | 'skipped';

/** The steps of an unbind, in the order they are carried out (unbind/execute.ts). */
export const UNBIND_STEPS = [
  'konnector',
  'record',
  'app',
  'appObjects',
  'crds',
  'requests',
  'claims',
  'serviceNamespaces',
  'kept',
] as const;
export type UnbindStep = (typeof UNBIND_STEPS)[number];

/** One planned action; execute fills its result (and message). */
export interface PlannedAction {
  side: Side;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  op: UnbindOp;
  step: UnbindStep;
  /** Why it is deleted this way, or why it is kept. */
  note?: string | undefined;
  result?: UnbindResult | undefined;
  message?: string | undefined;
  /** For claims: the bound resource, `<plural>.<group>` (what kubectl calls it). */
  resource?: string | undefined;
  /** The delete's propagation policy. */
  propagationPolicy?: 'Orphan' | undefined;
  /** An unmark's or mark's merge patch. */
  patch?: object | undefined;
  /** A kept bound CRD that is provably the binding's (a re-bind of this App Cluster takes it back). */
  provable?: boolean | undefined;
}

export interface PlanInput {
  cp: ObjectClient;
  app?: ObjectClient | undefined;
  clusterNamespace: string;
  purge: boolean;
  deleteCrds?: boolean | undefined;
  /** The App Cluster's kubeconfig as given, for the commands in the notes. */
  appKubeconfigPath?: string | undefined;
}

function act(
  side: Side,
  kind: Kind,
  name: string,
  namespace: string | undefined,
  op: UnbindOp,
  step: UnbindStep,
  note?: string,
  extra: Partial<PlannedAction> = {},
): PlannedAction {
  return {
    side,
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name,
    ...(namespace ? { namespace } : {}),
    op,
    step,
    ...(note ? { note } : {}),
    ...extra,
  };
}

/** The konnector's own objects on the App Cluster, deleted after its APIServiceBindings, in this order. */
export const KONNECTOR_OBJECTS: ReadonlyArray<{ kind: Kind; name: string; namespace?: string; note?: string }> = [
  { kind: KINDS.clusterRoleBinding, name: KONNECTOR_RBAC },
  { kind: KINDS.clusterRole, name: KONNECTOR_RBAC },
  { kind: KINDS.serviceAccount, name: KONNECTOR_NAME, namespace: KONNECTOR_NS },
  {
    kind: KINDS.secret,
    name: KUBECONFIG_SECRET,
    namespace: KONNECTOR_NS,
    note: 'the provider kubeconfig (a live credential)',
  },
];

/** Reads what exists of the binding: the actions to delete, unmark and keep, in the order they are carried out. */
export async function planUnbind(input: PlanInput): Promise<PlannedAction[]> {
  const { cp, app, clusterNamespace: ns } = input;
  await requireBinding(cp, ns);
  const exports = (await cp.list(KINDS.export, ns)) ?? [];
  const resources = exports.map(boundResource).filter((r): r is BoundResource => r !== undefined);
  const out: PlannedAction[] = app ? await appClusterActions(input, app, resources) : [];
  for (const r of (await cp.list(KINDS.exportRequest, ns)) ?? [])
    out.push(act('control-plane', KINDS.exportRequest, r.metadata?.name ?? '', ns, 'delete', 'requests'));
  const { namespaces, actions: snsActions } = serviceNamespaceActions(
    input,
    (await cp.list(KINDS.serviceNamespace, ns)) ?? [],
  );
  out.push(...(await claimActions(input, resources, namespaces)));
  // Listed in the order they are deleted: the claims first.
  out.push(...snsActions);
  // The binding's identity stays: say whether this kubeconfig could remove it at all.
  const may = await mayDelete(cp, ns);
  out.push(
    act(
      'control-plane',
      KINDS.namespace,
      ns,
      undefined,
      'keep',
      'kept',
      `the cluster namespace stays with its ClusterBinding, ${exports.length} APIServiceExport(s) and the ` +
        `binding's ServiceAccount; a re-bind with the same clusterID reuses it; ` +
        (may ? 'to remove it: ' : 'the kubeconfig may not delete it (RBAC); a control-plane admin removes it with: ') +
        `kubectl delete namespace ${ns}`,
    ),
  );
  return out;
}

/** A namespace without the backend's ClusterBinding is no binding's cluster namespace: nothing there is touched. */
async function requireBinding(cp: ObjectClient, ns: string): Promise<void> {
  const hint = { hint: 'pass the provider kubeconfig that bootstrap-env --write-kubeconfig wrote for the binding' };
  let cb: KObject | undefined;
  try {
    cb = await cp.get(KINDS.clusterBinding, CLUSTER_BINDING, ns);
  } catch (err) {
    if (!isStatus(err, 403)) throw err;
    throw new InputError(
      'HELPER_UNBIND_NOT_A_BINDING',
      `cannot tell whether namespace ${ns} (the kubeconfig's context namespace) on ${cp.server} is a ` +
        `binding's cluster namespace: the kubeconfig may not read its ClusterBinding (403); nothing was changed`,
      [],
      hint,
    );
  }
  if (!cb)
    throw new InputError(
      'HELPER_UNBIND_NOT_A_BINDING',
      `namespace ${ns} (the kubeconfig's context namespace) on ${cp.server} holds no ClusterBinding "` +
        `${CLUSTER_BINDING}": it is not a binding's cluster namespace; nothing was changed`,
      [],
      hint,
    );
}

/** An object already being deleted (e.g. a binding whose CRDs the garbage collector is orphaning) is not deleted again.
 * */
const live = (o: KObject | undefined): o is KObject => o !== undefined && !o.metadata?.deletionTimestamp;

/** The App Cluster: the konnector Deployment, its APIServiceBindings (orphaning), its objects, then the bound CRDs. */
async function appClusterActions(
  input: PlanInput,
  app: ObjectClient,
  resources: BoundResource[],
): Promise<PlannedAction[]> {
  const out: PlannedAction[] = [];
  const del = (
    kind: Kind,
    name: string,
    namespace: string | undefined,
    step: UnbindStep,
    note?: string,
    extra?: Partial<PlannedAction>,
  ) => out.push(act('app-cluster', kind, name, namespace, 'delete', step, note, extra));
  if (live(await app.get(KINDS.deployment, KONNECTOR_NAME, KONNECTOR_NS))) {
    del(
      KINDS.deployment,
      KONNECTOR_NAME,
      KONNECTOR_NS,
      'konnector',
      'first, so no konnector syncs while the binding is taken apart',
    );
  }
  const allBindings = (await app.list(KINDS.serviceBinding)) ?? [];
  const bindings = allBindings.filter(isOurBinding);
  for (const b of bindings.filter(live)) {
    del(
      KINDS.serviceBinding,
      b.metadata?.name ?? '',
      undefined,
      'app',
      'orphaning: its bound CRD and the objects in it stay',
      { propagationPolicy: 'Orphan' },
    );
  }
  for (const o of KONNECTOR_OBJECTS)
    if (live(await app.get(o.kind, o.name, o.namespace))) del(o.kind, o.name, o.namespace, 'app', o.note);
  // The bound CRDs: those of this binding's exports and bindings (a second run finds them by the exports).
  const names = [...new Set([...resources.map((r) => r.name), ...bindings.map((b) => b.metadata?.name ?? '')])]
    .filter(Boolean)
    .sort();
  for (const name of names) out.push(...(await boundCrdActions(input, app, name, allBindings)));
  return out;
}

/**
 * One bound CRD. Only a CRD that is provably this binding's (crdOwnership) is touched, it or its objects: an
 * export's name alone proves nothing, it comes from the control plane (an export named certificates.cert-manager.io
 * must not delete cert-manager's CRD).
 */
async function boundCrdActions(
  input: PlanInput,
  app: ObjectClient,
  name: string,
  allBindings: KObject[],
): Promise<PlannedAction[]> {
  const ns = input.clusterNamespace;
  const crd = await app.get(KINDS.crd, name);
  if (!live(crd)) return [];
  const own = crdOwnership(crd, allBindings, ns);
  const crdAction = (op: UnbindOp, step: UnbindStep, note: string, extra?: Partial<PlannedAction>) =>
    act('app-cluster', KINDS.crd, name, undefined, op, step, note, extra);
  if (!own.owner) {
    return [
      crdAction(
        'keep',
        'kept',
        `not provably this binding's: ${own.why}; neither it nor its objects are touched` +
          `${input.deleteCrds ? ' (not deleted despite --delete-crds)' : ''}`,
      ),
    ];
  }
  const out: PlannedAction[] = [];
  // Recorded while the ownerReference still proves it, before the orphaning delete removes that reference.
  if (
    own.owner === 'binding' &&
    live(own.binding) &&
    (crd.metadata?.annotations as Record<string, unknown> | undefined)?.[ORPHANED_FROM_ANNOTATION] !== ns
  ) {
    out.push(
      crdAction(
        'mark',
        'record',
        `recorded as this binding's (annotation ${ORPHANED_FROM_ANNOTATION}: ${ns}) before its ` +
          `APIServiceBinding orphans it, so that a later --delete-crds can prove it`,
        { patch: { metadata: { annotations: { [ORPHANED_FROM_ANNOTATION]: ns } } } },
      ),
    );
  }
  const kind = crdKind(crd);
  const keep = !input.deleteCrds;
  const copies = kind ? ((await app.list(kind)) ?? []) : [];
  // The App Cluster's copies of the claims. Kept with their CRD: each listed, since they stay (with --purge, with no
  // claim behind them). The konnector's finalizer goes: with no konnector it would block deleting them forever.
  for (const o of copies) {
    const fins = Array.isArray(o.metadata?.finalizers) ? (o.metadata!.finalizers as string[]) : [];
    const has = fins.includes(SYNCER_FINALIZER);
    if (!has && !keep) continue;
    const stays = !keep
      ? ''
      : input.purge
        ? 'left on the App Cluster: --purge deletes the claims on the control plane, not their copies here ' +
          '(their CRD is kept); '
        : 'stays on the App Cluster with its CRD (its claim on the control plane is kept); ';
    const fin =
      `the konnector's finalizer ${SYNCER_FINALIZER} is removed: with no konnector it would block deleting ` +
      `this copy`;
    out.push(
      act(
        'app-cluster',
        kind!,
        o.metadata?.name ?? '',
        o.metadata?.namespace,
        has ? 'unmark' : 'keep',
        has ? 'appObjects' : 'kept',
        has ? `${stays}${fin}` : stays.replace(/; $/, ''),
        has ? { patch: { metadata: { finalizers: fins.filter((f) => f !== SYNCER_FINALIZER) } } } : {},
      ),
    );
  }
  if (input.deleteCrds)
    out.push(
      crdAction(
        'delete',
        'crds',
        '--delete-crds (' +
          (own.owner === 'binding'
            ? "owned by this binding's APIServiceBinding"
            : `recorded by an earlier unbind of ${ns}`) +
          `): with it go the App Cluster's copies of its objects; the claims on the control plane stay`,
      ),
    );
  else {
    const kc = input.appKubeconfigPath ? ` --kubeconfig ${input.appKubeconfigPath}` : '';
    const n = copies.length;
    out.push(
      crdAction(
        'keep',
        'kept',
        `the bound CRD stays with ${n} object(s) of it on the App Cluster (a re-bind of this App Cluster takes it ` +
          `back); to remove it and them: kubectl${kc} delete crd ${name} (or unbind with --delete-crds)`,
        { provable: true },
      ),
    );
  }
  return out;
}

/** The APIServiceNamespaces: deleted with --purge (after their claims), else kept; one pointing outside the binding is
 * left alone. */
function serviceNamespaceActions(
  input: PlanInput,
  list: KObject[],
): { namespaces: string[]; actions: PlannedAction[] } {
  const ns = input.clusterNamespace;
  const namespaces: string[] = [];
  const actions: PlannedAction[] = [];
  for (const s of list) {
    const target = serviceNamespaceOf(s);
    const sns = (op: UnbindOp, step: UnbindStep, note: string) =>
      actions.push(act('control-plane', KINDS.serviceNamespace, s.metadata?.name ?? '', ns, op, step, note));
    if (target && !inBinding(ns, target)) {
      sns('keep', 'kept', `its status.namespace ${target} is not a ${ns}-* namespace: left alone`);
      continue;
    }
    if (target) namespaces.push(target);
    if (input.purge)
      sns(
        'delete',
        'serviceNamespaces',
        target ? `after its claims; the backend then deletes namespace ${target}` : 'status.namespace not set',
      );
    else sns('keep', 'kept', `kept with namespace ${target ?? '(not made yet)'}: deleted with --purge`);
  }
  return { namespaces, actions };
}

/** The claims: deleted with --purge; else kept, and unmarked when the konnector marked them bound. Refused lists first.
 * */
async function claimActions(
  input: PlanInput,
  resources: BoundResource[],
  namespaces: string[],
): Promise<PlannedAction[]> {
  const { groups, refused } = await claimsOrRefusals(input.cp, resources, namespaces, input.purge);
  const out = [...refused];
  for (const group of groups) {
    const claim = (c: KObject, op: UnbindOp, step: UnbindStep, note: string) =>
      out.push(
        act('control-plane', group.resource.kind, c.metadata?.name ?? '', group.namespace, op, step, note, {
          resource: group.resource.name,
        }),
      );
    for (const c of group.items) {
      if (input.purge) claim(c, 'delete', 'claims', `a claim of ${group.resource.name}`);
      else if (isMarkedBound(c))
        claim(
          c,
          'unmark',
          'claims',
          `kept; its annotation ${BOUND_ANNOTATION} is removed, so a re-bind copies it to the App Cluster ` +
            `instead of deleting it`,
        );
      else claim(c, 'keep', 'kept', 'kept');
    }
  }
  return out;
}

/** Lists the claims; a namespace whose claims the kubeconfig may not list is a refused action (named, never skipped
 * silently). */
async function claimsOrRefusals(cp: ObjectClient, resources: BoundResource[], namespaces: string[], purge: boolean) {
  const groups: ClaimGroup[] = [];
  const refused: PlannedAction[] = [];
  for (const r of resources) {
    for (const n of namespaces) {
      try {
        groups.push(...(await listClaims(cp, [r], [n])));
      } catch (err) {
        if (!isStatus(err, 403)) throw err;
        const message = `cannot list ${r.name} in ${n}: ${(err as ClusterError).message}`;
        refused.push(
          act('control-plane', r.kind, '*', n, purge ? 'delete' : 'keep', purge ? 'claims' : 'kept', undefined, {
            result: 'refused',
            message,
          }),
        );
      }
    }
  }
  return { groups, refused };
}

/** The kind a CRD serves (its first served version). */
function crdKind(crd: KObject): Kind | undefined {
  const spec = (crd.spec ?? {}) as {
    group?: unknown;
    names?: { kind?: unknown };
    versions?: Array<{ name?: unknown; served?: unknown }>;
  };
  const v = (Array.isArray(spec.versions) ? spec.versions : []).find(
    (x) => x.served !== false && typeof x.name === 'string',
  );
  if (typeof spec.group !== 'string' || typeof spec.names?.kind !== 'string' || !v) return undefined;
  return { apiVersion: `${spec.group}/${v.name as string}`, kind: spec.names.kind };
}

async function mayDelete(cp: ObjectClient, ns: string): Promise<boolean> {
  try {
    return await mayI(cp, { verb: 'delete', resource: 'namespaces', name: ns });
  } catch (err) {
    if (err instanceof ClusterError && err.status !== undefined && err.status < 500) return false;
    throw err;
  }
}
