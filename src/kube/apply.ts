/**
 * One-pass apply of a multi-document manifest with server-side apply, in
 * phases: Namespaces and CRDs first, then a bounded wait until every CRD is
 * Established (so its kinds can be mapped), then everything else in file
 * order. Idempotent (field manager "helper", conflicts forced); with dryRun
 * the API server validates every object and persists nothing.
 */
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ClusterError, InputError, isTlsFailure } from '../errors.ts';
import { hostOf } from '../http.ts';
import { log } from '../log.ts';
import { withRetry } from '../retry.ts';
import { apiFailure } from './client.ts';
import { waitUntil } from './wait.ts';

export interface ApplyObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Attempts per object (network errors, 429 and 5xx are retried); default 4. */
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fieldManager?: string;
}

export interface ApplyResult {
  applied: Array<{ kind: string; name: string; namespace?: string | undefined; phase: 1 | 2 }>;
}

/** Parses a multi-document manifest; InputError names the document and the problem. */
export function parseManifest(text: string, source: string): ApplyObject[] {
  const out: ApplyObject[] = [];
  const docs = parseAllDocuments(text, { version: '1.1' });
  if (!Array.isArray(docs)) throw new InputError('HELPER_MANIFEST', `${source}: not a YAML stream`);
  docs.forEach((doc, i) => {
    if (doc.errors.length) throw new InputError('HELPER_MANIFEST', `${source}: document ${i + 1} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    let obj: unknown;
    try {
      obj = doc.toJS();
    } catch (err) {
      // Converting refuses what parsing lets through: alias bombs ("Excessive alias count"), merges of non-mappings.
      throw new InputError('HELPER_MANIFEST', `${source}: document ${i + 1} cannot be read: ${(err as Error).message.split('\n')[0]}`, [], { cause: err });
    }
    if (obj === null || obj === undefined) return;
    const o = obj as Partial<ApplyObject>;
    if (typeof o !== 'object' || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new InputError('HELPER_MANIFEST', `${source}: document ${i + 1} is not a Kubernetes object (needs apiVersion, kind and metadata.name)`);
    }
    out.push(o as ApplyObject);
  });
  if (!out.length) throw new InputError('HELPER_MANIFEST', `${source}: no objects`);
  return out;
}

const firstPhase = (o: ApplyObject) => (o.kind === 'Namespace' && o.apiVersion === 'v1') || (o.kind === 'CustomResourceDefinition' && o.apiVersion.startsWith('apiextensions.k8s.io/'));

/** Applies the objects in two phases; throws ClusterError naming the object that failed. */
export async function applyInPhases(kc: k8s.KubeConfig, objects: ApplyObject[], opts: ApplyOptions): Promise<ApplyResult> {
  const host = hostOf(kc.getCurrentCluster()?.server ?? '');
  const manager = opts.fieldManager ?? 'helper';
  const dryRun = opts.dryRun ? 'All' : undefined;
  const applied: ApplyResult['applied'] = [];
  const deadline = Date.now() + opts.timeoutMs;

  const applyOne = async (client: k8s.KubernetesObjectApi, o: ApplyObject, phase: 1 | 2) => {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const what = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const attempts = opts.attempts ?? 4;
    try {
      // Server-side apply is idempotent, so every passing failure may be retried.
      await withRetry(() => client.patch(o as k8s.KubernetesObject, undefined, dryRun, manager, true, k8s.PatchStrategy.ServerSideApply), {
        attempts,
        baseDelayMs: opts.baseDelayMs ?? 500,
        maxDelayMs: 8000,
        signal: opts.signal,
        classify: (err) => {
          const f = apiFailure(err);
          if (f.status === undefined) return { retry: !isTlsFailure(f.message), reason: f.message };
          return { retry: f.status === 429 || f.status >= 500, delayMs: f.retryAfterMs, reason: `HTTP ${f.status}` };
        },
        onRetry: ({ attempt, delayMs, reason }) => log.warn(`${host}: applying ${what}: ${reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${attempts})`),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const f = apiFailure(err);
      throw new ClusterError(f.status === 403 ? 'HELPER_APPLY_FORBIDDEN' : 'HELPER_APPLY_FAILED', `applying ${what} to ${host} failed${f.status ? `: HTTP ${f.status}` : ''}: ${f.message}`, { status: f.status });
    }
    applied.push({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, phase });
    log.info(`${opts.dryRun ? '(dry run) ' : ''}applied ${what}`);
  };

  const first = objects.filter(firstPhase);
  const rest = objects.filter((o) => !firstPhase(o));
  const c1 = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const o of first) await applyOne(c1, o, 1);

  const crds = first.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length && !opts.dryRun) {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await Promise.all(crds.map((crd) => waitUntil({
      what: `CustomResourceDefinition ${crd.metadata.name} to be Established`,
      get: async () => {
        try {
          return (await ext.readCustomResourceDefinition({ name: crd.metadata.name })) as never;
        } catch (err) {
          const f = apiFailure(err);
          if (f.status === 404) return undefined;
          throw new ClusterError('HELPER_APPLY_FAILED', `reading CustomResourceDefinition ${crd.metadata.name} from ${host} failed: ${f.message}`, { status: f.status });
        }
      },
      check: (obj) => {
        const conds = ((obj as { status?: { conditions?: Array<{ type: string; status: string; reason?: string }> } } | undefined)?.status?.conditions) ?? [];
        const est = conds.find((c) => c.type === 'Established');
        if (est?.status === 'True') return { done: true, value: undefined };
        return { done: false, seen: est ? `Established=${est.status}${est.reason ? ` (${est.reason})` : ''}` : 'no Established condition yet' };
      },
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 250,
      fallbackIntervalMs: 250,
      signal: opts.signal,
    })));
    log.info(`${crds.length} CRD(s) Established`);
  }
  // A fresh client: the first one cached discovery from before the CRDs existed.
  const c2 = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const o of rest) {
    try {
      await applyOne(c2, o, 2);
    } catch (err) {
      // A server-side dry run cannot validate objects whose CRD or namespace it
      // did not store (both are new in this manifest and were only dry-run applied).
      const newCrd = crds.some((c) => crdServes(c, o));
      const newNs = o.metadata.namespace !== undefined && first.some((n) => n.kind === 'Namespace' && n.metadata.name === o.metadata.namespace);
      if (!opts.dryRun || !(newCrd || newNs) || opts.signal?.aborted) throw err;
      log.info(`(dry run) not validated: ${o.kind} ${o.metadata.name} (its ${newCrd ? 'CRD' : 'namespace'} is new and was only dry-run applied)`);
    }
  }
  return { applied };
}

function crdServes(crd: ApplyObject, o: ApplyObject): boolean {
  const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
  return o.apiVersion.split('/')[0] === spec?.group && o.kind === spec?.names?.kind;
}
