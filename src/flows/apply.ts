/**
 * apply, step by step:
 *   read the manifest → resolve the kubeconfig → parse the manifest →
 *   load the cluster → server-side apply in phases (Namespaces and CRDs, a
 *   bounded wait until every CRD is Established, the rest) → (--wait-bindings:
 *   a bounded wait until every APIServiceBinding is Ready).
 * Each object applied is recorded in the journal, so a failure or an
 * interruption says how many of them reached the cluster.
 */
import type { Dispatcher } from 'undici';
import { InputError } from '../errors.ts';
import { warnInsecure } from '../http.ts';
import { parseManifest, type ApplyResult } from '../kube/apply.ts';
import { log } from '../log.ts';
import type { ApplyOptions } from '../options/apply.ts';
import { flowDeps, type FlowDeps, type FlowOutcome } from './deps.ts';
import { applyKube, type ApplyKube } from './kube.ts';

export interface ApplyDeps extends FlowDeps {
  kube: ApplyKube;
  /** The transport of the cluster's calls (default: a keep-alive agent per server). */
  dispatcher?: Dispatcher | undefined;
}

/** The command's flow: nothing on stdout (each object's line goes to stderr). */
export async function apply(
  opts: Readonly<ApplyOptions>,
  given: Partial<ApplyDeps> = {},
): Promise<FlowOutcome & { result: ApplyResult }> {
  const deps = { ...flowDeps(given), kube: given.kube ?? applyKube };
  let text: string;
  try {
    text = deps.files.read(opts.file).toString('utf8');
  } catch (err) {
    throw new InputError('HELPER_MANIFEST', `cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const kubeconfig = deps.kube.resolve({ flag: opts.kubeconfig, context: opts.context, env: opts.env });
  if (opts.insecure) warnInsecure("the App Cluster's TLS certificate is");
  const objects = parseManifest(text, opts.file === '-' ? 'stdin' : opts.file);
  const target = deps.kube.target(
    kubeconfig,
    { caPem: deps.kube.caPem(opts.caFile), insecure: opts.insecure },
    {
      requestTimeoutMs: opts.requestTimeoutMs,
      attempts: opts.attempts,
      signal: deps.signal,
      dispatcher: given.dispatcher,
    },
  );
  // A dry run changes nothing, so there is nothing to report if it fails.
  const onApplied = opts.dryRun ? () => {} : deps.journal.startApply(target.server, objects.length);
  const r = await target.apply(objects, { dryRun: opts.dryRun, timeoutMs: opts.timeoutMs, onApplied });
  log.info(
    `${opts.dryRun ? '(dry run) ' : ''}${r.applied.length} object(s) applied${opts.dryRun ? '' : `: ${countOutcomes(r.applied)}`}`,
  );
  if (opts.waitBindingsMs !== undefined && !opts.dryRun) await target.waitBindings(objects, opts.waitBindingsMs);
  return { result: r };
}

/** "2 created, 1 configured, 10 unchanged". */
function countOutcomes(applied: ReadonlyArray<{ outcome?: string | undefined }>): string {
  const n = (o: string) => applied.filter((a) => a.outcome === o).length;
  return ['created', 'configured', 'unchanged'].map((o) => `${n(o)} ${o}`).join(', ');
}
