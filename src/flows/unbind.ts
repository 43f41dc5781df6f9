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
 * The plan: unbind/plan.ts; carrying it out: unbind/execute.ts; the report,
 * its text, JSON and refusal error: unbind/report.ts.
 *
 * --dry-run sends every delete and patch as a server-side dry run and waits
 * for nothing, so it lists exactly the set a real run deletes. Deletes are
 * idempotent (404 = already gone), so a second run has nothing to do and an
 * interrupted one is finished by running it again.
 */
import { DeclinedError, TimeoutError, UsageError } from '../errors.ts';
import { humanDuration } from '../kube/binding-objects.ts';
import { log } from '../log.ts';
import type { CallFlags, TlsFlags } from '../options/flags.ts';
import { formatJson, itemId } from '../report/model.ts';
import { actionLabel, executePlan } from '../unbind/execute.ts';
import { planUnbind, type PlannedAction } from '../unbind/plan.ts';
import {
  formatUnbind,
  type UnbindReport,
  type UnbindWhere,
  unbindError,
  unbindJson,
  unbindReport,
} from '../unbind/report.ts';
import { flowDeps, type FlowDeps, type FlowOutcome } from './deps.ts';
import { bindingKube, type BindingKube } from './kube.ts';

export type { UnbindReport };

/** What the flow takes (the library's UnbindInput, lib/unbind.ts, with its defaults; format: how the CLI prints). */
export interface UnbindOptions extends CallFlags, TlsFlags {
  /** Always named (never $KUBECONFIG): it picks what is deleted. */
  kubeconfig: string;
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  appKubeconfig: string | undefined;
  purge: boolean;
  /** Also delete the bound CRDs on the App Cluster (and with them its copies of the claims). */
  deleteCrds: boolean;
  dryRun: boolean;
  yes: boolean;
  format: 'text' | 'json';
  timeoutMs: number;
}

export interface UnbindDeps extends FlowDeps {
  kube: BindingKube;
  /** Asks the user (the CLI passes a terminal question when stdin and stderr are one); absent: --purge needs --yes. */
  confirm: ((question: string) => Promise<boolean>) | undefined;
  /** Poll interval of the waits (tests make it short). */
  pollMs: number;
}

/** The command's flow: the report on stdout, also when some deletions were refused; then the refusal's error (exit 6).
 * */
export async function unbindFlow(opts: Readonly<UnbindOptions>, given: Partial<UnbindDeps> = {}): Promise<FlowOutcome> {
  return unbindOutcome(await runUnbind(opts, given), opts.format);
}

/** The CLI's output of a report: text or JSON for stdout, and the refusal's error to end with. */
export function unbindOutcome(report: UnbindReport, format: 'text' | 'json'): FlowOutcome {
  // The hints: in the JSON document, or after the text report on stderr (stdout is the report's table only).
  const json = format === 'json';
  return {
    stdout: json ? formatJson(unbindJson(report)) : formatUnbind(report),
    ...(json ? {} : { notes: report.hints.map((h) => `hint: ${h}`) }),
    error: unbindError(report),
  };
}

const PURGE_NEEDS_YES =
  '--purge deletes the claims (the data services) of this binding and cannot be undone; without a terminal ' +
  'it needs --yes (nothing was changed)';

/** Connects to the clusters of the options and unbinds, within --timeout. */
export async function runUnbind(opts: Readonly<UnbindOptions>, given: Partial<UnbindDeps> = {}): Promise<UnbindReport> {
  const deps: UnbindDeps = {
    ...flowDeps(given),
    kube: given.kube ?? bindingKube,
    confirm: given.confirm,
    pollMs: given.pollMs ?? 1000,
  };
  if (opts.purge && !opts.dryRun && !opts.yes && !deps.confirm) throw new UsageError(PURGE_NEEDS_YES);
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new TimeoutError(
          'HELPER_UNBIND_TIMEOUT',
          `unbind did not finish within ${humanDuration(opts.timeoutMs)} (--timeout)`,
        ),
      ),
    opts.timeoutMs,
  );
  const signal = AbortSignal.any([deps.signal, deadline.signal]);
  try {
    const c = deps.kube.connect({ ...opts, explicitKubeconfig: true, signal });
    return await unbindClusters({
      cp: c.cp,
      app: c.app,
      clusterNamespace: c.provider.namespace,
      kubeconfigPath: opts.kubeconfig,
      appKubeconfigPath: opts.appKubeconfig,
      purge: opts.purge,
      deleteCrds: opts.deleteCrds,
      dryRun: opts.dryRun,
      yes: opts.yes,
      confirm: deps.confirm,
      deadline: Date.now() + opts.timeoutMs,
      signal,
      pollMs: deps.pollMs,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** What carrying out an unbind takes: where (unbind/report.ts's UnbindWhere) and how. */
export interface UnbindRun extends UnbindWhere {
  deleteCrds?: boolean | undefined;
  yes: boolean;
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** Epoch ms by which the waits must end. */
  deadline: number;
  signal?: AbortSignal | undefined;
  pollMs: number;
}

/** Plans, confirms (--purge) and carries out the unbind; throws (after logging what was done and what remains) when it
 * cannot finish. */
export async function unbindClusters(input: UnbindRun): Promise<UnbindReport> {
  const actions = await planUnbind(input);
  await confirmPurge(input, actions);
  try {
    await executePlan(input, actions);
  } catch (err) {
    logStopped(input, actions);
    throw err;
  }
  return unbindReport(input, actions);
}

/** --purge without --yes: the claims it deletes, asked once. */
async function confirmPurge(input: UnbindRun, actions: PlannedAction[]): Promise<void> {
  const claims = actions.filter((a) => a.step === 'claims' && a.op === 'delete');
  if (!input.purge || input.dryRun || input.yes || !claims.length) return;
  if (!input.confirm) throw new UsageError(PURGE_NEEDS_YES);
  const ok = await input.confirm(
    `delete ${claims.length} claim(s) of binding ${input.clusterNamespace} (${claims.map(itemId).join(', ')}` +
      `) and its APIServiceNamespaces? This deletes the data services and cannot be undone. [y/N] `,
  );
  if (!ok) throw new DeclinedError('--purge was not confirmed; nothing was changed');
}

function logStopped(input: UnbindRun, actions: PlannedAction[]): void {
  const remains = actions.filter((a) => a.op !== 'keep' && (a.result === undefined || a.result === 'refused'));
  const done = actions.filter((a) => a.result === 'deleted' || a.result === 'unmarked' || a.result === 'marked');
  const list = (as: PlannedAction[]) => (as.length ? as.map(actionLabel).join(', ') : 'nothing');
  log.warn(
    `unbind of ${input.clusterNamespace} stopped${input.dryRun ? ' (dry run)' : ''}: done ${list(done)}; ` +
      `remains ${list(remains)}; re-running the same command continues from there`,
  );
}
