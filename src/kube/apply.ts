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

import type { ApplyAction, ApplyObject, ApplyResult } from './results.ts';

export type { ApplyAction, ApplyObject, ApplyResult };

export interface PhasedApplyOptions {
  dryRun?: boolean;
  /** Bound of the whole apply, including the wait for CRDs. (Attempts and the bound of each call are the client's.) */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fieldManager?: string;
  /** Called after each object is applied (so an interruption can say what exists). */
  onApplied?: (what: string) => void;
  /** Read each object before applying it and say per object whether it was created, configured or unchanged (by resourceVersion). */
  report?: boolean;
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
        `${source}: document ${i + 1} is not a Kubernetes object (needs apiVersion, kind and metadata.name, each a non-empty string)`,
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
  const applied: ApplyResult['applied'] = [];
  const deadline = Date.now() + opts.timeoutMs;

  const applyOne = async (o: ApplyObject, phase: 1 | 2) => {
    const what = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const kind = { apiVersion: o.apiVersion, kind: o.kind };
    const report = opts.report && !opts.dryRun;
    const before = report
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
    const outcome: ApplyAction | undefined = report
      ? before === undefined
        ? 'created'
        : before === after
          ? 'unchanged'
          : 'configured'
      : undefined;
    applied.push({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, phase, outcome });
    if (!opts.dryRun) opts.onApplied?.(what);
    log.info(`${opts.dryRun ? '(dry run) ' : ''}${outcome ?? 'applied'} ${what}`);
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
      log.info(
        `(dry run) not validated: ${o.kind} ${o.metadata.name} (its ${newCrd ? 'CRD' : 'namespace'} is new and was only dry-run applied)`,
      );
    }
  }
  return { applied };
}

function resourceVersionOf(obj: unknown): string | undefined {
  const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

function crdServes(crd: ApplyObject, o: ApplyObject): boolean {
  const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
  return o.apiVersion.split('/')[0] === spec?.group && o.kind === spec?.names?.kind;
}
