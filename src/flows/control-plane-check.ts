/**
 * control-plane check, step by step (read-only):
 *   read the values file when given (else adopt what the cluster has) →
 *   connect → probe every object render makes of those values → the report
 *   (stdout, whatever the outcome) and its verdict: ClusterError (exit 6)
 *   when something is missing or invalid, or not ready with --require-ready.
 */
import {
  checkControlPlane,
  checkJson,
  expectedObjects,
  formatReport,
  type CheckReport,
} from '../control-plane/check.ts';
import { readValues } from '../control-plane/inputs.ts';
import { parseValues, refusePlaceholders, settingsOf, type Settings } from '../control-plane/values.ts';
import type { ClusterError } from '../errors.ts';
import { formatJson, gateError, itemId } from '../report/model.ts';
import { escapeControl, log } from '../log.ts';
import type { CheckOptions } from '../options/control-plane-check.ts';
import type { FlowOutcome } from './deps.ts';
import { controlPlaneDeps, type ControlPlaneDeps } from './control-plane-render.ts';

export async function controlPlaneCheck(
  opts: Readonly<CheckOptions>,
  given: Partial<ControlPlaneDeps> = {},
): Promise<FlowOutcome> {
  const { report, error } = await runCheck(opts, given);
  // The text report carries the cluster's own text (conditions): control characters shown escaped.
  return {
    stdout: opts.format === 'json' ? formatJson(checkJson(report)) : escapeControl(formatReport(report)),
    error,
  };
}

/** The report, and the error its verdict ends with (undefined: the control plane passes). */
export async function runCheck(
  opts: Readonly<CheckOptions>,
  given: Partial<ControlPlaneDeps> = {},
): Promise<{ report: CheckReport; error: ClusterError | undefined }> {
  const deps = controlPlaneDeps(given);
  let settings: Settings | undefined;
  if (opts.file !== undefined) {
    const { text, source } = readValues(opts.file, () => deps.files.read('-').toString('utf8'));
    settings = settingsOf(parseValues(text, source));
    refusePlaceholders(text, source);
  }
  const k = deps.kube.resolve({ flag: opts.kubeconfig, context: opts.context, env: opts.env });
  const cluster = deps.kube.connect(k, opts, {
    requestTimeoutMs: opts.requestTimeoutMs,
    attempts: opts.attempts,
    signal: deps.signal,
  });
  const reader = cluster.reader();
  if (!settings) {
    const { readControlPlane } = await import('../control-plane/adopt.ts');
    settings = settingsOf((await readControlPlane(reader, { requireBackend: false, server: cluster.server })).values);
  }
  const report = await checkControlPlane(reader, cluster.server, {
    settings,
    objects: expectedObjects(settings, cluster.server),
  });
  const error = checkError(report, cluster.host, opts.requireReady);
  if (!error)
    log.info(report.counts['not-ready'] ? `installed; ${report.counts['not-ready']} item(s) not ready yet` : 'healthy');
  return { report, error };
}

/** The report's verdict as the error it ends with: undefined when the control plane passes (not ready passes without
 * --require-ready). */
export function checkError(report: CheckReport, host: string, requireReady: boolean): ClusterError | undefined {
  const c = report.counts;
  const summary = `${c.missing} missing, ${c.invalid} invalid, ${c['not-ready']} not ready`;
  const first = report.firstProblem ? `first: ${itemId(report.firstProblem)}: ${report.firstProblem.detail}` : '';
  if (report.verdict === 'incomplete') {
    return gateError(
      'refused',
      'HELPER_CP_INCOMPLETE',
      `control plane ${host} is not set up: ${summary} (see the report); ${first}`,
    ) as ClusterError;
  }
  if (report.verdict === 'not-ready' && requireReady) {
    return gateError(
      'refused',
      'HELPER_CP_NOT_READY',
      `control plane ${host} is installed but not running: ${c['not-ready']} item(s) not ready (see the ` +
        `report); ${first}`,
      { hint: '--no-require-ready only checks what is installed' },
    ) as ClusterError;
  }
  return undefined;
}
