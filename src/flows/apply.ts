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
import { HelperError, InputError } from '../errors.ts';
import { warnInsecure } from '../http.ts';
import { parseManifest, type ApplyResult } from '../kube/apply.ts';
import type { ApplyOptions } from '../options/apply.ts';
import type { ApplyJson } from '../types.ts';
import { flowDeps, type FlowDeps, type FlowOutcome } from './deps.ts';
import { applyKube, type ApplyKube } from './kube.ts';

export interface ApplyDeps extends FlowDeps {
  kube: ApplyKube;
  /** The transport of the cluster's calls (default: a keep-alive agent per server). */
  dispatcher?: Dispatcher | undefined;
}

/**
 * The command's flow. stdout: with -o text one line per object as kubectl prints them (`configmap/x created`),
 * with -o json the whole result; also when --wait-bindings then fails (the objects were applied). stderr: the
 * summary line (`N object(s) applied: ...`), as bootstrap-env --apply-to prints it. Without a format (the
 * library) the object lines go to the log.
 */
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
  const lines: string[] = [];
  const onObject = opts.format ? (line: string) => void lines.push(line) : undefined;
  const r = await target.apply(objects, { dryRun: opts.dryRun, timeoutMs: opts.timeoutMs, onApplied, onObject });
  const stdout =
    opts.format === 'json'
      ? `${JSON.stringify(applyJson(r, opts.dryRun), null, 2)}\n`
      : opts.format === 'text'
        ? lines.map((l) => `${l}\n`).join('')
        : undefined;
  if (opts.waitBindingsMs !== undefined && !opts.dryRun) {
    try {
      await target.waitBindings(objects, opts.waitBindingsMs);
    } catch (err) {
      // The objects were applied: say which, then why the wait failed.
      if (err instanceof HelperError && stdout !== undefined) return { result: r, stdout, error: err };
      throw err;
    }
  }
  return { result: r, stdout };
}

/** The result as schemas/apply.schema.json has it. */
export function applyJson(r: ApplyResult, dryRun: boolean): ApplyJson {
  const items: ApplyJson['items'] = [
    ...r.applied.map((a) => ({
      apiVersion: a.apiVersion ?? '',
      kind: a.kind,
      name: a.name,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      outcome: a.outcome ?? (dryRun ? ('validated' as const) : ('unchanged' as const)),
    })),
    ...(r.notValidated ?? []).map((n) => ({
      apiVersion: n.apiVersion,
      kind: n.kind,
      name: n.name,
      ...(n.namespace ? { namespace: n.namespace } : {}),
      outcome: 'notValidated' as const,
      reason: n.reason,
    })),
  ];
  const n = (o: string) => items.filter((i) => i.outcome === o).length;
  return {
    schemaVersion: 1,
    kind: 'ApplyResult',
    dryRun,
    counts: {
      applied: r.applied.length,
      created: n('created'),
      configured: n('configured'),
      unchanged: n('unchanged'),
      validated: n('validated'),
      notValidated: n('notValidated'),
    },
    items,
  };
}
