/**
 * status, step by step (read-only):
 *   load the kubeconfigs → control plane: credential, cluster namespace,
 *   ClusterBinding heartbeat, export requests, exports, APIServiceNamespaces,
 *   claims per resource and namespace → App Cluster (when given): konnector
 *   Deployment, kubeconfig Secret, APIServiceBindings, bound CRDs → a verdict
 *   per item and one overall verdict (the command prints it; the exit code
 *   follows the verdict).
 *
 * The probes and how each is judged: status/probes.ts; the report, its text,
 * JSON and verdict error: status/report.ts.
 */
import { TimeoutError } from '../errors.ts';
import { humanDuration } from '../kube/binding-objects.ts';
import { escapeControl } from '../log.ts';
import type { CallFlags, KubeconfigFlags, TlsFlags } from '../options/flags.ts';
import { formatJson } from '../report/model.ts';
import { collectStatus } from '../status/probes.ts';
import { formatStatus, statusError, statusJson, type StatusReport } from '../status/report.ts';
import { flowDeps, type FlowDeps, type FlowOutcome } from './deps.ts';
import { bindingKube, type BindingKube } from './kube.ts';

export type { StatusReport };

/** What the flow takes (the library's StatusInput, lib/status.ts, with its defaults; format: how the CLI prints). */
export interface StatusOptions extends KubeconfigFlags, CallFlags, TlsFlags {
  env: NodeJS.ProcessEnv;
  appKubeconfig: string | undefined;
  format: 'text' | 'json';
  timeoutMs: number;
}

export interface StatusDeps extends FlowDeps {
  kube: BindingKube;
}

/** The command's flow: the report on stdout whatever the verdict; the verdict's error (exit 6, 11, 12) after it. */
export async function status(opts: Readonly<StatusOptions>, given: Partial<StatusDeps> = {}): Promise<FlowOutcome> {
  return statusOutcome(await runStatus(opts, given), opts.format);
}

/** The CLI's output of a report: text or JSON for stdout, and the verdict's error to end with. */
export function statusOutcome(report: StatusReport, format: 'text' | 'json'): FlowOutcome {
  // The text report carries the servers' own text (conditions, terminal messages): control characters shown escaped.
  const stdout = format === 'json' ? formatJson(statusJson(report)) : escapeControl(formatStatus(report));
  return { stdout, error: statusError(report) };
}

/** Connects to the clusters of the options and collects the report, within --timeout. */
export async function runStatus(opts: Readonly<StatusOptions>, given: Partial<StatusDeps> = {}): Promise<StatusReport> {
  const deps = { ...flowDeps(given), kube: given.kube ?? bindingKube };
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new TimeoutError(
          'HELPER_STATUS_TIMEOUT',
          `status did not finish within ${humanDuration(opts.timeoutMs)} (--timeout)`,
        ),
      ),
    opts.timeoutMs,
  );
  const signal = AbortSignal.any([deps.signal, deadline.signal]);
  try {
    const c = deps.kube.connect({ ...opts, signal });
    const { namespace, server } = c.provider;
    return await collectStatus({
      cp: c.cp,
      app: c.app,
      clusterNamespace: namespace,
      provider: { server, namespace },
      credential: c.credential,
      now: deps.clock,
    });
  } finally {
    clearTimeout(timer);
  }
}
