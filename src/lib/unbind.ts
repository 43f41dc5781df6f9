/** unbind as a library function: its plan and what was done, as the typed report (src/unbind/report.ts's). */
import type { FlowOutcome } from '../flows/deps.ts';
import type { UnbindOptions } from '../flows/unbind.ts';
import type { UnbindReport } from '../unbind/report.ts';
import { callsOf, depsOf, envOf, inScope, type CliCall, type ConnectOptions, type RunOptions } from './run.ts';

export interface UnbindInput extends RunOptions, ConnectOptions {
  /** The provider kubeconfig of the binding (always named: it picks what is deleted). */
  kubeconfig: string;
  /** Its context (default: its current-context, which bind's kubeconfig sets to the binding). */
  context?: string;
  /** The App Cluster's kubeconfig: also remove the konnector and the bindings there. */
  appKubeconfig?: string;
  /** Also delete the claims (the data services) of the binding: cannot be undone. */
  purge?: boolean;
  /** Also delete the bound CRDs on the App Cluster that are provably the binding's (needs appKubeconfig). */
  deleteCrds?: boolean;
  /** Plan only (the report's items say what would be done). */
  dryRun?: boolean;
  /** Asked before purge deletes; without it purge needs yes. */
  confirm?: (question: string) => Promise<boolean>;
  /** Purge without asking (default false). */
  yes?: boolean;
  /** Bound of the whole unbind (default 300 000 ms). */
  timeoutMs?: number;
}

/** @internal The flow's options of an input (format: how the CLI prints the report). Never asks by itself. */
export function unbindFlowOptions(input: UnbindInput, format: 'text' | 'json' = 'json'): UnbindOptions {
  return {
    kubeconfig: input.kubeconfig,
    context: input.context,
    env: envOf(input),
    appKubeconfig: input.appKubeconfig,
    purge: input.purge ?? false,
    deleteCrds: input.deleteCrds ?? false,
    dryRun: input.dryRun ?? false,
    yes: input.yes ?? false,
    format,
    timeoutMs: input.timeoutMs ?? 300_000,
    ...callsOf(input, 3),
  };
}

/** Unbinds: the plan and what was done (report.items); refused deletions are in the report, not thrown. */
export async function unbind(input: UnbindInput): Promise<UnbindReport> {
  return unbindCall(input);
}

/** @internal unbind for the CLI too (cli: its journal, in its process scope). */
export async function unbindCall(input: UnbindInput, cli?: CliCall): Promise<UnbindReport> {
  return inScope(input, cli, async () => {
    const { runUnbind } = await import('../flows/unbind.ts');
    return runUnbind(unbindFlowOptions(input), { ...depsOf(input, cli), confirm: input.confirm });
  });
}

/** @internal The CLI's output of a report: text or JSON for stdout, and the refusal's error (exit 6) after it. */
export async function unbindOutput(report: UnbindReport, format: 'text' | 'json'): Promise<FlowOutcome> {
  return (await import('../flows/unbind.ts')).unbindOutcome(report, format);
}
