/** status as a library function: the binding's health as the typed report (src/status/report.ts's). */
import type { FlowOutcome } from '../flows/deps.ts';
import type { StatusOptions } from '../flows/status.ts';
import type { StatusReport } from '../status/report.ts';
import {
  callsOf,
  depsOf,
  envOf,
  inScope,
  type CliCall,
  type ConnectOptions,
  type KubeconfigSource,
  type RunOptions,
} from './run.ts';

export interface StatusInput extends RunOptions, ConnectOptions, KubeconfigSource {
  /** Also check the App Cluster of this kubeconfig. */
  appKubeconfig?: string;
  /** Bound of the whole report (default 30 000 ms). */
  timeoutMs?: number;
}

/** @internal The flow's options of an input (format: how the CLI prints the report). */
export function statusFlowOptions(input: StatusInput, format: 'text' | 'json' = 'json'): StatusOptions {
  return {
    kubeconfig: input.kubeconfig,
    context: input.context,
    env: envOf(input),
    appKubeconfig: input.appKubeconfig,
    format,
    timeoutMs: input.timeoutMs ?? 30_000,
    ...callsOf(input, 3),
  };
}

/** The binding's health as a typed report (its verdict does not throw: read report.verdict). */
export async function status(input: StatusInput): Promise<StatusReport> {
  return statusCall(input);
}

/** @internal status for the CLI too (cli: its journal, in its process scope). */
export async function statusCall(input: StatusInput, cli?: CliCall): Promise<StatusReport> {
  return inScope(input, cli, async () => {
    const { runStatus } = await import('../flows/status.ts');
    return runStatus(statusFlowOptions(input), depsOf(input, cli));
  });
}

/** @internal The CLI's output of a report: text or JSON for stdout, and the verdict's error (exit 6, 11, 12). */
export async function statusOutput(report: StatusReport, format: 'text' | 'json'): Promise<FlowOutcome> {
  return (await import('../flows/status.ts')).statusOutcome(report, format);
}
