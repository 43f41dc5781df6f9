/**
 * unbind's report in the one report model (report/model.ts): an item per
 * action with its result as the verdict, the hints, the text, the JSON of
 * schemas/unbind.schema.json (without the plan's internal fields) and the
 * error a run with refusals ends with.
 */
import type { ClusterError } from '../errors.ts';
import {
  countVerdicts,
  formatTable,
  gateError,
  serverOf,
  SIDE_TEXT,
  type Report,
  type ReportItem,
} from '../report/model.ts';
import type { ObjectClient } from '../kube/objects.ts';
import type { UnbindJson } from '../types.ts';
import { actionLabel } from './execute.ts';
import type { PlannedAction, UnbindOp, UnbindResult } from './plan.ts';

/** An action's verdict: its result; `not reached` when the run stopped before it. */
export type UnbindVerdict = UnbindResult | 'not reached';
/** The run's verdict: incomplete when the kubeconfig's RBAC refused something (exit 6). */
export type UnbindOverall = 'done' | 'dry run' | 'nothing to do' | 'incomplete';

/** One action of the report: the model's item (detail: the result's message, else why), and what was done. */
export interface UnbindItem extends ReportItem<UnbindVerdict> {
  apiVersion: string;
  op: UnbindOp;
  /** Why it is deleted this way, or why it is kept. */
  note?: string | undefined;
  /** What the server said (a refusal), or why it was skipped. */
  message?: string | undefined;
  /** For claims: the bound resource, `<plural>.<group>`. */
  resource?: string | undefined;
}

export interface UnbindReport extends Report<UnbindVerdict, UnbindOverall> {
  dryRun: boolean;
  purge: boolean;
  clusterNamespace: string;
  controlPlane: { server: string };
  appCluster: { server: string } | null;
  /** True when nothing had to be deleted or unmarked (a second run). */
  nothingToDo: boolean;
  items: UnbindItem[];
  /** What to do next: how to delete kept claims, how to re-bind. */
  hints: string[];
}

export interface UnbindWhere {
  cp: ObjectClient;
  app?: ObjectClient | undefined;
  clusterNamespace: string;
  /** For the hints (the command that would delete the kept claims). */
  kubeconfigPath: string;
  /** For the hints (the App Cluster's commands). */
  appKubeconfigPath?: string | undefined;
  purge: boolean;
  dryRun: boolean;
}

const itemOf = (a: PlannedAction): UnbindItem => ({
  side: a.side,
  apiVersion: a.apiVersion,
  kind: a.kind,
  name: a.name,
  ...(a.namespace ? { namespace: a.namespace } : {}),
  op: a.op,
  verdict: a.result ?? 'not reached',
  detail: a.message || a.note || '',
  ...(a.note ? { note: a.note } : {}),
  ...(a.message ? { message: a.message } : {}),
  ...(a.resource ? { resource: a.resource } : {}),
});

/** The report of a carried-out plan. */
export function unbindReport(w: UnbindWhere, actions: PlannedAction[]): UnbindReport {
  const items = actions.map(itemOf);
  const nothingToDo = !actions.some((a) => a.op !== 'keep');
  const incomplete = items.some((i) => i.verdict === 'refused' || i.verdict === 'skipped');
  return {
    verdict: incomplete ? 'incomplete' : nothingToDo ? 'nothing to do' : w.dryRun ? 'dry run' : 'done',
    dryRun: w.dryRun,
    purge: w.purge,
    clusterNamespace: w.clusterNamespace,
    controlPlane: { server: serverOf('control-plane', w.cp) },
    appCluster: w.app ? { server: serverOf('app-cluster', w.app) } : null,
    nothingToDo,
    items,
    hints: unbindHints(w, actions),
  };
}

/**
 * What to do next: how to delete the kept claims; how to re-bind, on a new App Cluster and on this same one (the kept
 * CRDs, the namespaces the App Cluster needs first). Commands in backticks, ready to run.
 */
export function unbindHints(
  w: Pick<UnbindWhere, 'kubeconfigPath' | 'appKubeconfigPath' | 'purge'>,
  actions: PlannedAction[],
): string[] {
  const out: string[] = [];
  const k = w.kubeconfigPath;
  const claims = actions.filter((a) => a.resource !== undefined && a.side === 'control-plane' && a.op !== 'delete');
  if (claims.length) {
    const one = claims[0]!;
    out.push(
      `${claims.length} claim(s) stay on the control plane (the data services keep running); delete all of them ` +
        `with: \`helper unbind --kubeconfig ${k} --purge --yes\`; or one with e.g.: ` +
        `\`kubectl --kubeconfig ${k} -n ${one.namespace} delete ${one.resource} ${one.name}\``,
    );
  }
  if (w.purge) return out;
  const sns = actions.filter(
    (a) => a.kind === 'APIServiceNamespace' && a.op === 'keep' && a.step === 'kept' && !a.note?.includes('left alone'),
  );
  // The bound CRDs this unbind kept as the binding's: on the same App Cluster, helper apply hands them back.
  const crds = actions.filter((a) => a.kind === 'CustomResourceDefinition' && a.op === 'keep' && a.provable);
  if (!claims.length && !sns.length && !crds.length) return out;
  const app = w.appKubeconfigPath ?? '<app-cluster-kubeconfig>';
  const parts = [
    'to re-bind (the same clusterID, on a new App Cluster or on this same App Cluster): ' +
      '`helper bootstrap-env -f binding.json -u <bind-url> --output-file all.yaml ' +
      `--write-kubeconfig ${k}\`, then \`helper apply -f all.yaml --kubeconfig ${app}\``,
  ];
  if (sns.length)
    parts.push(
      `it creates the namespace(s) ${sns.map((a) => a.name).join(', ')} on the App Cluster before the konnector ` +
        'starts (with kubectl apply, create them yourself first, or the konnector deletes their ' +
        'APIServiceNamespaces and the claims with them)',
    );
  if (crds.length)
    parts.push(
      `on the same App Cluster it hands the kept CRD(s) ${crds.map((a) => a.name).join(', ')} to the new ` +
        "APIServiceBinding(s), their objects (the claims' copies) stay; kubectl apply does not, and the konnector " +
        'then refuses them (ForeignCustomResourceDefinition)',
    );
  out.push(parts.join('; '));
  return out;
}

const SUMMARY: readonly UnbindResult[] = [
  'deleted',
  'would delete',
  'unmarked',
  'would unmark',
  'marked',
  'would mark',
  'gone',
  'refused',
  'skipped',
  'kept',
];

/** Text: the table (a header row, one row per action), then the binding and a summary line (the hints go to stderr:
 * flows/unbind.ts). */
export function formatUnbind(r: UnbindReport): string {
  const where = r.appCluster ? `, App Cluster ${r.appCluster.server}` : ' (no --app-kubeconfig: control plane only)';
  const dry = r.dryRun ? ' — dry run: nothing is changed' : '';
  const purge = r.purge ? ', with --purge' : '';
  const cp = `${SIDE_TEXT['control-plane']} ${r.controlPlane.server}`;
  const head = `unbind ${r.clusterNamespace}: ${cp}${where}${dry}${purge}`;
  const count = (res: UnbindResult) => r.items.filter((i) => i.verdict === res).length;
  const parts = SUMMARY.filter((x) => count(x)).map((x) => `${count(x)} ${x}`);
  const summary = r.nothingToDo
    ? `nothing to do: the binding is already unbound${count('kept') ? ` (${count('kept')} kept)` : ''}`
    : `${r.dryRun ? 'dry run' : 'done'}: ${parts.join(', ')}`;
  return [...formatTable(r.items), '', head, summary].join('\n') + '\n';
}

/** Every verdict an action can have, for the JSON's counts. */
const UNBIND_VERDICTS: readonly UnbindVerdict[] = [...SUMMARY, 'not reached'];

/**
 * The report as schemas/unbind.schema.json has it (schemaVersion 2: the one
 * envelope, the actions are its `items`): every action with its result, no
 * internal field of the plan.
 */
export function unbindJson(r: UnbindReport): UnbindJson {
  return {
    schemaVersion: 2,
    kind: 'UnbindReport',
    verdict: r.verdict,
    counts: countVerdicts(UNBIND_VERDICTS, r.items) as UnbindJson['counts'],
    items: r.items.map((i) => ({
      side: i.side,
      apiVersion: i.apiVersion,
      kind: i.kind,
      name: i.name,
      ...(i.namespace ? { namespace: i.namespace } : {}),
      op: i.op,
      ...(i.note ? { note: i.note } : {}),
      ...(i.resource ? { resource: i.resource } : {}),
      result: i.verdict,
      ...(i.message ? { message: i.message } : {}),
    })),
    dryRun: r.dryRun,
    purge: r.purge,
    clusterNamespace: r.clusterNamespace,
    controlPlane: r.controlPlane,
    appCluster: r.appCluster,
    nothingToDo: r.nothingToDo,
    hints: r.hints,
  };
}

/** The error for a run that finished with refusals (the report itself is on stdout). */
export function unbindError(r: UnbindReport): ClusterError | undefined {
  if (r.verdict !== 'incomplete') return undefined;
  const named = (v: UnbindVerdict) =>
    r.items
      .filter((i) => i.verdict === v)
      .map(actionLabel)
      .join(', ');
  const skipped = named('skipped');
  const message =
    `unbind of ${r.clusterNamespace} is incomplete: the kubeconfig's RBAC refused ${named('refused')}` +
    `${skipped ? `; not attempted because of that: ${skipped}` : ''}; these remain`;
  return gateError('refused', 'HELPER_UNBIND_REFUSED', message, {
    status: 403,
    hint: 'grant the missing permissions (or run with a kubeconfig that has them) and run the same command again',
  }) as ClusterError;
}
