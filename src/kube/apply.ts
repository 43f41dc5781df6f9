/**
 * One-pass apply of a multi-document manifest with server-side apply, in
 * phases: Namespaces and CRDs first, then a bounded wait until every CRD is
 * Established (so its kinds can be mapped), then everything else in file
 * order. Idempotent (field manager "helper", conflicts forced); with dryRun
 * the API server validates every object and persists nothing.
 */
import { parseAllDocuments } from 'yaml';
import { InputError } from '../errors.ts';
import { log } from '../log.ts';
import type { KubeClient } from './client.ts';
import type { KObject } from './resources.ts';
import { conditionsOf, isEstablished } from './conditions.ts';
import { waitUntil } from './wait.ts';

import type { AppliedItem, ApplyAction, ApplyObject, ApplyResult, NotValidatedItem } from './results.ts';

export type { AppliedItem, ApplyAction, ApplyObject, ApplyResult, NotValidatedItem };

export interface PhasedApplyOptions {
  dryRun?: boolean;
  /** Bound of the whole apply, including the wait for CRDs. (Attempts and the bound of each call are the client's.) */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fieldManager?: string;
  /** Called after each object is applied (so an interruption can say what exists). */
  onApplied?: (what: string) => void;
  /**
   * Read each object before applying it and say per object whether it was created, configured or unchanged (by
   * resourceVersion), then one summary line on stderr (`N object(s) applied: ...`).
   */
  report?: boolean;
  /** With report: where each object's line goes (apply: stdout); default: stderr. */
  onObject?: ((line: string) => void) | undefined;
}

/** How kubectl names an object in its apply lines: `configmap/x`, `deployment.apps/konnector`. */
export function objectRef(o: { apiVersion?: string | undefined; kind: string; name: string }): string {
  const slash = o.apiVersion?.indexOf('/') ?? -1;
  const group = slash > 0 ? o.apiVersion!.slice(0, slash) : '';
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.name}`;
}

/** kubectl's line for an applied object: `configmap/x created`, `... created (server dry run)`. */
export function appliedLine(i: AppliedItem, dryRun: boolean): string {
  return `${objectRef(i)} ${i.outcome ?? (dryRun ? 'validated' : 'applied')}${dryRun ? ' (server dry run)' : ''}`;
}

/** The line of an object a dry run could not validate. */
export function notValidatedLine(i: NotValidatedItem): string {
  const why = i.reason === 'new-crd' ? 'its CRD' : `its namespace ${i.namespace}`;
  return `${objectRef(i)} not validated (server dry run: ${why} is new in this manifest and was only dry-run applied)`;
}

/**
 * The one summary line of an apply (apply and bootstrap-env --apply-to): `3 object(s) applied: 1 created, 0
 * configured, 2 unchanged`; a dry run: `(dry run) 8 object(s) validated, 5 not validated (...)`.
 */
export function summaryLine(r: ApplyResult, dryRun: boolean): string {
  if (dryRun) {
    const nv = r.notValidated?.length ?? 0;
    return (
      `(dry run) ${r.applied.length} object(s) validated by the API server, nothing persisted` +
      (nv ? `; ${nv} not validated (their CRD or namespace is new in this manifest)` : '')
    );
  }
  const n = (o: ApplyAction) => r.applied.filter((a) => a.outcome === o).length;
  const counts = r.applied.some((a) => a.outcome)
    ? `: ${(['created', 'configured', 'unchanged'] as const).map((o) => `${n(o)} ${o}`).join(', ')}`
    : '';
  return `${r.applied.length} object(s) applied${counts}`;
}

/** Parses a multi-document manifest; InputError names the document and the problem. */
export function parseManifest(text: string, source: string): ApplyObject[] {
  const out: ApplyObject[] = [];
  const docs = parseAllDocuments(text, { version: '1.1' });
  if (!Array.isArray(docs)) throw new InputError('HELPER_MANIFEST', `${source}: not a YAML stream`);
  docs.forEach((doc, i) => {
    if (doc.errors.length)
      throw new InputError(
        'HELPER_MANIFEST',
        `${source}: document ${i + 1} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
      );
    let obj: unknown;
    try {
      obj = doc.toJS();
    } catch (err) {
      // Converting refuses what parsing lets through: alias bombs ("Excessive alias count"), merges of non-mappings.
      throw new InputError(
        'HELPER_MANIFEST',
        `${source}: document ${i + 1} cannot be read: ${(err as Error).message.split('\n')[0]}`,
        [],
        { cause: err },
      );
    }
    if (obj === null || obj === undefined) return;
    const o = obj as Partial<ApplyObject>;
    const filled = (v: unknown) => typeof v === 'string' && v !== '';
    if (
      typeof o !== 'object' ||
      Array.isArray(o) ||
      !filled(o.apiVersion) ||
      !filled(o.kind) ||
      !filled(o.metadata?.name)
    ) {
      throw new InputError(
        'HELPER_MANIFEST',
        `${source}: document ${i + 1} is not a Kubernetes object (needs apiVersion, kind and metadata.name, ` +
          `each a non-empty string)`,
      );
    }
    out.push(o as ApplyObject);
  });
  if (!out.length) throw new InputError('HELPER_MANIFEST', `${source}: no objects`);
  return out;
}

const firstPhase = (o: ApplyObject) =>
  (o.kind === 'Namespace' && o.apiVersion === 'v1') ||
  (o.kind === 'CustomResourceDefinition' && o.apiVersion.startsWith('apiextensions.k8s.io/'));

/** Applies the objects in two phases; throws ClusterError naming the object that failed. */
export async function applyInPhases(
  client: KubeClient,
  objects: ApplyObject[],
  opts: PhasedApplyOptions,
): Promise<ApplyResult> {
  const manager = opts.fieldManager ?? 'helper';
  const applied: AppliedItem[] = [];
  const notValidated: NotValidatedItem[] = [];
  const deadline = Date.now() + opts.timeoutMs;

  const applyOne = async (o: ApplyObject, phase: 1 | 2) => {
    const what = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const kind = { apiVersion: o.apiVersion, kind: o.kind };
    const readFirst = opts.report && !opts.dryRun;
    const before = readFirst
      ? await client
          .get(kind, o.metadata.name, o.metadata.namespace, { label: { action: `read ${what}` } })
          .then((b) => (b ? (resourceVersionOf(b) ?? '') : undefined))
      : undefined;
    // Server-side apply is idempotent, so every passing failure may be retried.
    const after = resourceVersionOf(
      await client.apply(o as KObject, {
        fieldManager: manager,
        dryRun: opts.dryRun,
        label: { action: `apply ${what}` },
      }),
    );
    const outcome: ApplyAction | undefined = readFirst
      ? before === undefined
        ? 'created'
        : before === after
          ? 'unchanged'
          : 'configured'
      : undefined;
    const item: AppliedItem = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      phase,
      outcome,
    };
    applied.push(item);
    if (!opts.dryRun) opts.onApplied?.(what);
    if (!opts.report) log.info(`${opts.dryRun ? '(dry run) ' : ''}${outcome ?? 'applied'} ${what}`);
    else if (opts.onObject) opts.onObject(appliedLine(item, opts.dryRun ?? false));
    else log.info(appliedLine(item, opts.dryRun ?? false));
  };

  const first = objects.filter(firstPhase);
  const rest = objects.filter((o) => !firstPhase(o));
  for (const o of first) await applyOne(o, 1);

  const crds = first.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length && !opts.dryRun) {
    const crdKind = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
    await Promise.all(
      crds.map((crd) =>
        waitUntil({
          what: `CustomResourceDefinition ${crd.metadata.name} to be Established`,
          get: () =>
            client.get(crdKind, crd.metadata.name, undefined, {
              attempts: 1,
              label: { action: `read CustomResourceDefinition ${crd.metadata.name}` },
            }),
          check: (obj) => {
            if (isEstablished(obj)) return { done: true, value: undefined };
            const est = conditionsOf(obj).find((c) => c.type === 'Established');
            return {
              done: false,
              seen: est
                ? `Established=${est.status}${est.reason ? ` (${est.reason})` : ''}`
                : 'no Established condition yet',
            };
          },
          timeoutMs: Math.max(0, deadline - Date.now()),
          intervalMs: 250,
          fallbackIntervalMs: 250,
          signal: opts.signal,
        }),
      ),
    );
    log.info(`${crds.length} CRD(s) Established`);
  }
  // Kinds the CRDs just added are mapped by discovery, which the client fetches again when a kind is missing.
  for (const o of rest) {
    try {
      await applyOne(o, 2);
    } catch (err) {
      // A server-side dry run cannot validate objects whose CRD or namespace it
      // did not store (both are new in this manifest and were only dry-run applied).
      const newCrd = crds.some((c) => crdServes(c, o));
      const newNs =
        o.metadata.namespace !== undefined &&
        first.some((n) => n.kind === 'Namespace' && n.metadata.name === o.metadata.namespace);
      if (!opts.dryRun || !(newCrd || newNs) || opts.signal?.aborted) throw err;
      const nv: NotValidatedItem = {
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        reason: newCrd ? 'new-crd' : 'new-namespace',
      };
      notValidated.push(nv);
      if (!opts.report)
        log.info(
          `(dry run) not validated: ${o.kind} ${o.metadata.name} (its ${newCrd ? 'CRD' : 'namespace'} is new ` +
            `and was only dry-run applied)`,
        );
      else if (opts.onObject) opts.onObject(notValidatedLine(nv));
      else log.info(notValidatedLine(nv));
    }
  }
  const result: ApplyResult = { applied, notValidated };
  if (opts.report) log.info(summaryLine(result, opts.dryRun ?? false));
  return result;
}

function resourceVersionOf(obj: unknown): string | undefined {
  const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

function crdServes(crd: ApplyObject, o: ApplyObject): boolean {
  const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
  return o.apiVersion.split('/')[0] === spec?.group && o.kind === spec?.names?.kind;
}
