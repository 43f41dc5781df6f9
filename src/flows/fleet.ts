/**
 * A fleet, step by step: expand the -f arguments (directories to their
 * *.json) → read and validate every file before anything leaves the machine
 * → one token → bind at most --concurrency clusters at a time with the
 * single-binding flow (bindOne), each cluster's files under
 * <out-dir>/<clusterID>/ → the summary (stdout). One cluster's failure is in
 * the summary, not thrown: the others are kept, and the outcome carries a
 * PartialError (exit 9) when any failed.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AcceptedClaim } from '../backend/answer.ts';
import { ExitCode, HelperError, InputError, PartialError } from '../errors.ts';
import { currentScope, log, runInScope } from '../log.ts';
import type { BootstrapEnvOptions } from '../options/bootstrap-env.ts';
import { validateBinding } from '../validate/schemas.ts';
import {
  bindOne,
  bootstrapDeps,
  credentials,
  readBindingInput,
  sharedRun,
  type BindingInput,
  type BootstrapDeps,
} from './bootstrap-env.ts';
import type { Files, FlowOutcome } from './deps.ts';
import { countVerdicts, formatJson } from '../report/model.ts';

export interface FleetEntry {
  source: string;
  clusterID?: string | undefined;
  status: 'ok' | 'failed';
  dir?: string | undefined;
  clusterNamespace?: string | undefined;
  exportRequests?: string[] | undefined;
  /** The permission claims the cluster's all.yaml accepts, by the default policy or its binding.json's acceptClaims. */
  acceptedClaims?: AcceptedClaim[] | undefined;
  error?: { code: string; exitCode: number; message: string } | undefined;
  /** A failed cluster whose bind succeeded: its provider kubeconfig (0600), for status and for unbind to clean up. */
  kubeconfig?: string | undefined;
  ms: number;
}

export interface FleetSummary {
  total: number;
  succeeded: number;
  failed: number;
  tokensFetched: number;
  concurrency: number;
  ms: number;
  clusters: FleetEntry[];
}

/** The fleet as the command prints it: the summary on stdout, and PartialError (exit 9) when some cluster failed. */
export async function fleet(
  opts: Readonly<BootstrapEnvOptions>,
  given: Partial<BootstrapDeps> = {},
): Promise<FlowOutcome> {
  const summary = await runFleet(opts, given);
  return {
    stdout: opts.format === 'json' ? formatJson(fleetJson(summary)) : formatFleetSummary(summary),
    error: summary.failed
      ? new PartialError(
          `${summary.failed} of ${summary.total} cluster(s) failed (see the summary); the ` +
            `${summary.succeeded} that succeeded are kept`,
        )
      : undefined,
  };
}

/** The fleet's verdict: ok (every cluster bound), partial (some failed, exit 9), failed (all failed, exit 9). */
export type FleetVerdict = 'ok' | 'partial' | 'failed';

/**
 * The summary as `-o json` has it (schemas/fleet.schema.json): the one
 * envelope of helper's reports (schemaVersion, kind, verdict, counts, items:
 * one per cluster), then the totals.
 */
export function fleetJson(s: FleetSummary) {
  const verdict: FleetVerdict = !s.failed ? 'ok' : s.succeeded ? 'partial' : 'failed';
  const { clusters, ...totals } = s;
  return {
    schemaVersion: 1 as const,
    kind: 'FleetSummary' as const,
    verdict,
    counts: countVerdicts(
      ['ok', 'failed'] as const,
      clusters.map((c) => ({ verdict: c.status })),
    ),
    items: clusters,
    ...totals,
  };
}

/** Expands -f arguments: files as given, directories to their *.json files (sorted). */
export function expandBindingFiles(args: readonly string[], files: Files): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (!files.isDirectory(a)) {
      // a missing file is reported when it is read
      out.push(a);
      continue;
    }
    const found = files
      .list(a)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(a, f));
    if (!found.length) throw new InputError('HELPER_BINDING_READ', `directory ${a} holds no *.json binding files`);
    out.push(...found);
  }
  return out;
}

/** A directory name for a cluster: its ID when that is a safe file name, else a stable hash of it. */
export function clusterDirName(clusterID: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(clusterID)
    ? clusterID
    : `cluster-${createHash('sha256').update(clusterID).digest('hex').slice(0, 12)}`;
}

/** Binds every cluster of a fleet; never throws for one cluster's failure (see the summary). */
export async function runFleet(
  opts: Readonly<BootstrapEnvOptions>,
  given: Partial<BootstrapDeps> = {},
): Promise<FleetSummary> {
  const deps = bootstrapDeps(given);
  const creds = await credentials(opts, deps.files);
  const start = deps.clock();
  const outDir = opts.outDir!;
  const files = expandBindingFiles(opts.files, deps.files);
  if (files.includes('-')) throw new InputError('HELPER_BINDING_READ', 'a fleet reads binding files, not stdin (-)');
  // Every file is read and validated before anything leaves the machine.
  const entries: Array<FleetEntry & { input?: BindingInput }> = files.map((source) => {
    try {
      const raw = readBindingInput(source, deps.files);
      return { source, status: 'ok' as const, ms: 0, input: { raw, binding: validateBinding(raw, source), source } };
    } catch (err) {
      // The summary names the file: its message does not repeat it (`FILE: FILE: ...`).
      return { source, status: 'failed' as const, ms: 0, error: errorInfo(err, source) };
    }
  });
  const byId = new Map<string, string>();
  for (const e of entries) {
    if (!e.input) continue;
    e.clusterID = e.input.binding.clusterID;
    const dir = clusterDirName(e.clusterID);
    const other = byId.get(dir);
    if (other) {
      e.status = 'failed';
      e.error = errorInfo(
        new InputError('HELPER_FLEET_DUPLICATE', `clusterID ${JSON.stringify(e.clusterID)} is also in ${other}`),
      );
      delete e.input;
      continue;
    }
    byId.set(dir, e.source);
    e.dir = join(outDir, dir);
  }
  const invalid = entries.filter((e) => e.status === 'failed');
  if (invalid.length)
    log.warn(
      `${invalid.length} of ${entries.length} binding file(s) are invalid (` +
        `${invalid.map((e) => e.source).join(', ')}): ` +
        (opts.failFast ? 'with --fail-fast no cluster is bound' : 'they are skipped'),
    );

  const shared = sharedRun(opts, creds, deps);
  deps.files.mkdir(outDir);
  const queue = entries.filter((e) => e.input);
  // --fail-fast: the first failure (an invalid file, or a cluster) stops the start of any other cluster.
  let stoppedBy: string | undefined = opts.failFast && invalid.length ? invalid[0]!.source : undefined;
  if (!stoppedBy)
    log.info(`binding ${queue.length} cluster(s) at ${shared.url.host} with concurrency ${opts.concurrency}`);
  let next = 0;
  const worker = async () => {
    while (next < queue.length && !stoppedBy) {
      const e = queue[next++]!;
      if (deps.signal.aborted) throw deps.signal.reason;
      const t0 = deps.clock();
      // Every line of this cluster's bind, down to the HTTP trace, names it: `[clusterID] ...`.
      const scope = { ...currentScope(), logger: currentScope().logger.child({ key: 'cluster', value: e.clusterID! }) };
      try {
        const r = await runInScope(scope, () =>
          bindOne(shared, e.input!, {
            dir: e.dir,
            writeKubeconfig: join(e.dir!, 'provider.kfg.yaml'),
            output: join(e.dir!, 'all.yaml'),
          }),
        );
        e.clusterNamespace = r.clusterNamespace;
        e.exportRequests = r.exportRequests;
        e.acceptedClaims = r.acceptedClaims;
      } catch (err) {
        if (deps.signal.aborted) throw deps.signal.reason;
        e.status = 'failed';
        e.error = errorInfo(err);
        e.kubeconfig = deps.journal.kubeconfigs.get(e.clusterID!);
        const kept = e.kubeconfig ? `; ${cleanUp(e.kubeconfig)}` : '';
        runInScope(scope, () => log.error(`failed (${e.source}): ${e.error!.message}${kept}`));
        if (opts.failFast && !stoppedBy) {
          stoppedBy = `cluster ${JSON.stringify(e.clusterID)}`;
          const left = queue.length - next;
          if (left) log.warn(`--fail-fast: ${stoppedBy} failed; ${left} cluster(s) not started`);
        }
      }
      e.ms = deps.clock() - t0;
      delete e.input;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length)) }, worker));
  for (const e of queue.slice(next)) {
    e.status = 'failed';
    e.error = {
      code: 'HELPER_FLEET_NOT_STARTED',
      exitCode: ExitCode.partial,
      message: `not started: --fail-fast stopped the fleet after ${stoppedBy} failed`,
    };
  }
  const clusters = entries.map(({ input: _input, ...rest }) => rest);
  const failed = clusters.filter((c) => c.status === 'failed').length;
  return {
    total: clusters.length,
    succeeded: clusters.length - failed,
    failed,
    tokensFetched: shared.tokens.fetched,
    concurrency: opts.concurrency,
    ms: deps.clock() - start,
    clusters,
  };
}

/** An error as the summary has it; `source`: the file the summary names beside it, not repeated in the message. */
function errorInfo(err: unknown, source?: string): { code: string; exitCode: number; message: string } {
  if (err instanceof HelperError) {
    // `FILE: problem` → `problem`; `FILE is not a valid binding` → `not a valid binding`.
    const lead =
      source === undefined ? undefined : [`${source}: `, `${source} is `].find((l) => err.message.startsWith(l));
    const message = lead ? err.message.slice(lead.length) : err.message;
    return { code: err.code, exitCode: err.exitCode, message };
  }
  return {
    code: 'HELPER_INTERNAL',
    exitCode: ExitCode.internal,
    message: err instanceof Error ? err.message : String(err),
  };
}

/** What a failed cluster whose bind succeeded leaves, and the commands that reach and remove it. */
function cleanUp(kubeconfig: string): string {
  return (
    `bound, provider kubeconfig kept in ${kubeconfig} (mode 0600): ` +
    `\`helper status --kubeconfig ${kubeconfig}\` shows it, ` +
    `\`helper unbind --kubeconfig ${kubeconfig}\` removes its export requests`
  );
}

/** The fleet summary as text lines (one per cluster, then the totals). */
export function formatFleetSummary(s: FleetSummary): string {
  // Every line of an error: a binding file's problems come one per line, each with its JSON path (as in -o json).
  const lines = s.clusters.map((c) =>
    c.status === 'ok'
      ? `ok      ${c.clusterID}  ${c.clusterNamespace}  ${c.dir}  (${c.source})`
      : `FAILED  ${c.clusterID ?? '-'}  ${c.source}: ${(c.error?.message ?? '').split('\n').join('\n        ')}` +
        (c.kubeconfig ? `\n        ${cleanUp(c.kubeconfig)}` : ''),
  );
  lines.push(
    `${s.succeeded} of ${s.total} cluster(s) bound, ${s.failed} failed, in ${(s.ms / 1000).toFixed(1)}s (` +
      `${s.tokensFetched} token request(s), concurrency ${s.concurrency})`,
  );
  return lines.join('\n') + '\n';
}
