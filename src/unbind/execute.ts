/**
 * Carries out unbind's plan (unbind/plan.ts) step by step, filling each
 * action's result, with the bounded waits between the steps: the konnector's
 * pods gone before anything else, the orphaned APIServiceBindings, deleted
 * CRDs and (with --purge) claims and APIServiceNamespaces gone before the
 * next step. --dry-run sends every delete and patch as a server-side dry run
 * and waits for nothing. A 403 is a `refused` result; the run goes on.
 */
import { TimeoutError, type ClusterError } from '../errors.ts';
import { KONNECTOR_NAME, KONNECTOR_NS, unmarkBound } from '../kube/binding-objects.ts';
import { KINDS, type KObject } from '../kube/resources.ts';
import { isStatus } from '../kube/transport.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { log } from '../log.ts';
import { sleep } from '../retry.ts';
import { itemId, SIDE_TEXT } from '../report/model.ts';
import type { PlannedAction, UnbindStep } from './plan.ts';

export interface ExecuteInput {
  cp: ObjectClient;
  app?: ObjectClient | undefined;
  purge: boolean;
  dryRun: boolean;
  /** Epoch ms by which the waits must end. */
  deadline: number;
  signal?: AbortSignal | undefined;
  pollMs: number;
}

/** How logs and errors name an action: `Kind ns/name (App Cluster)`. */
export function actionLabel(a: Pick<PlannedAction, 'kind' | 'name' | 'namespace' | 'side'>): string {
  return `${itemId(a)} (${SIDE_TEXT[a.side]})`;
}

const clientOf = (input: ExecuteInput, a: PlannedAction) => (a.side === 'app-cluster' ? input.app! : input.cp);

/** Carries out one action; a 403 is its `refused` result. */
async function run(input: ExecuteInput, a: PlannedAction): Promise<void> {
  if (a.result) return; // refused while planning
  const { dryRun } = input;
  const client = clientOf(input, a);
  const kind = { apiVersion: a.apiVersion, kind: a.kind };
  try {
    if (a.op === 'delete') {
      const r = await client.delete(kind, a.name, a.namespace, {
        dryRun,
        ...(a.propagationPolicy ? { propagationPolicy: a.propagationPolicy } : {}),
      });
      a.result = r === 'gone' ? 'gone' : dryRun ? 'would delete' : 'deleted';
    } else if (a.op === 'unmark') {
      const r = a.patch
        ? await client.mergePatch(kind, a.name, a.namespace, a.patch, { dryRun })
        : await unmarkBound(client, kind, a.name, a.namespace!, dryRun);
      a.result = r === 'gone' ? 'gone' : dryRun ? 'would unmark' : 'unmarked';
    } else if (a.op === 'mark') {
      const r = await client.mergePatch(kind, a.name, a.namespace, a.patch!, { dryRun });
      a.result = r === 'gone' ? 'gone' : dryRun ? 'would mark' : 'marked';
    } else {
      a.result = 'kept';
    }
    // Progress only at -v: the report lists every action with its result once.
    if (a.result !== 'kept') log.debug(`${a.result} ${actionLabel(a)}`);
  } catch (err) {
    if (!isStatus(err, 403)) throw err;
    a.result = 'refused';
    a.message = (err as ClusterError).message;
    log.debug(`refused: ${a.message}`);
  }
}

/** Carries out the plan in order; fills each action's result. */
export async function executePlan(input: ExecuteInput, actions: PlannedAction[]): Promise<void> {
  const { dryRun } = input;
  const step = (s: UnbindStep) => actions.filter((a) => a.step === s);
  const runStep = async (s: UnbindStep) => {
    for (const a of step(s)) await run(input, a);
  };
  const deleted = (s: UnbindStep) => step(s).filter((a) => a.result === 'deleted');

  await runStep('konnector');
  if (!dryRun && input.app && deleted('konnector').length) await waitKonnectorGone(input);
  await runStep('record');
  await runStep('app');
  // An orphaning delete only marks the binding; it is gone once the garbage collector has freed its CRDs.
  if (!dryRun)
    await waitGone(
      input,
      deleted('app').filter((a) => a.kind === 'APIServiceBinding'),
      "APIServiceBindings (the App Cluster's garbage collector orphans their CRDs first)",
    );
  await runStep('appObjects');
  await runStep('crds');
  if (!dryRun) await waitGone(input, deleted('crds'), 'bound CRDs (the App Cluster deletes their objects first)');
  await runStep('requests');
  await runStep('claims');
  if (input.purge) await purgeServiceNamespaces(input, actions);
  for (const a of step('kept')) if (!a.result) a.result = 'kept';
}

/** With --purge: once the claims are gone, the APIServiceNamespaces; none while a claim the kubeconfig may not delete
 * remains. */
async function purgeServiceNamespaces(input: ExecuteInput, actions: PlannedAction[]): Promise<void> {
  const claims = actions.filter((a) => a.step === 'claims');
  const sns = actions.filter((a) => a.step === 'serviceNamespaces');
  if (claims.some((a) => a.result === 'refused')) {
    for (const a of sns) {
      a.result = 'skipped';
      a.message = 'not deleted: claims the kubeconfig may not delete or list remain';
    }
    return;
  }
  if (!input.dryRun)
    await waitGone(
      input,
      claims.filter((a) => a.result === 'deleted'),
      'claims',
    );
  for (const a of sns) await run(input, a);
  if (!input.dryRun)
    await waitGone(
      input,
      sns.filter((a) => a.result === 'deleted'),
      'APIServiceNamespaces',
    );
}

/** After the Deployment is deleted: its pods must be gone before the rest, or a konnector still running could recreate
 * the Secret or re-mark claims. */
async function waitKonnectorGone(input: ExecuteInput): Promise<void> {
  const app = input.app!;
  for (;;) {
    let pods: KObject[];
    try {
      pods = (await app.list(KINDS.pod, KONNECTOR_NS, { labelSelector: `app=${KONNECTOR_NAME}` })) ?? [];
    } catch (err) {
      if (!isStatus(err, 403)) throw err;
      log.warn(
        `${app.server}: the kubeconfig may not list pods in ${KONNECTOR_NS}; not waiting for the konnector's ` +
          `pods to stop`,
      );
      return;
    }
    if (!pods.length) return;
    await pause(
      input,
      `the konnector's pods to stop`,
      pods.map((p) => `${p.metadata?.name} (${p.status?.phase ?? 'unknown'})`).join(', '),
    );
  }
}

/** Waits until every deleted object is gone (finalizers: Crossplane deprovisions the data service first). */
async function waitGone(input: ExecuteInput, deleted: PlannedAction[], what: string): Promise<void> {
  let left = [...deleted];
  while (left.length) {
    const still: PlannedAction[] = [];
    for (const a of left) {
      if (await clientOf(input, a).get({ apiVersion: a.apiVersion, kind: a.kind }, a.name, a.namespace)) still.push(a);
    }
    left = still;
    if (!left.length) return;
    await pause(input, `the deleted ${what} to be gone`, left.map(itemId).join(', '));
  }
}

async function pause(input: ExecuteInput, what: string, seen: string): Promise<void> {
  const left = input.deadline - Date.now();
  if (left <= 0)
    throw new TimeoutError('HELPER_UNBIND_TIMEOUT', `timed out waiting for ${what}; still there: ${seen}`, {
      hint: 'raise --timeout; re-running the same command continues',
    });
  log.debug(`waiting for ${what}: ${seen}`);
  await sleep(Math.min(input.pollMs, left), input.signal);
}
