/**
 * One-pass apply of a multi-document manifest with server-side apply, in
 * phases: Namespaces and CRDs first, then a bounded wait until every CRD is
 * Established (so its kinds can be mapped), then everything else in file
 * order. Idempotent (field manager "helper", conflicts forced); with dryRun
 * the API server validates every object and persists nothing.
 */
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { InputError } from '../errors.ts';
import { hostOf } from '../http.ts';
import { log } from '../log.ts';
import { apiFailure, callApi, type CallPolicy } from './client.ts';
import { waitUntil } from './wait.ts';

export interface ApplyObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Attempts per API call (network errors, timeouts, 429 and 5xx are retried); default 4. */
  attempts?: number;
  baseDelayMs?: number;
  /** Bound of each API call; default 30 s. */
  requestTimeoutMs?: number;
  /** Bound of the whole apply, including the wait for CRDs. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fieldManager?: string;
  /** How messages name the server: "control plane", "App Cluster"; default "cluster". */
  serverLabel?: string;
  /** Called after each object is applied (so an interruption can say what exists). */
  onApplied?: (what: string) => void;
  /** Read each object before applying it and say per object whether it was created, configured or unchanged (by resourceVersion). */
  report?: boolean;
}

/** What server-side apply did to one object, as kubectl names it: new, changed (new resourceVersion) or not. */
export type Outcome = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  applied: Array<{ kind: string; name: string; namespace?: string | undefined; phase: 1 | 2; outcome?: Outcome | undefined }>;
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
    const filled = (v: unknown) => typeof v === 'string' && v !== '';
    if (typeof o !== 'object' || Array.isArray(o) || !filled(o.apiVersion) || !filled(o.kind) || !filled(o.metadata?.name)) {
      throw new InputError('HELPER_MANIFEST', `${source}: document ${i + 1} is not a Kubernetes object (needs apiVersion, kind and metadata.name, each a non-empty string)`);
    }
    out.push(o as ApplyObject);
  });
  if (!out.length) throw new InputError('HELPER_MANIFEST', `${source}: no objects`);
  return out;
}

const firstPhase = (o: ApplyObject) => (o.kind === 'Namespace' && o.apiVersion === 'v1') || (o.kind === 'CustomResourceDefinition' && o.apiVersion.startsWith('apiextensions.k8s.io/'));

/** Applies the objects in two phases; throws ClusterError naming the object that failed. */
export async function applyInPhases(kc: k8s.KubeConfig, objects: ApplyObject[], opts: ApplyOptions): Promise<ApplyResult> {
  const server = `${opts.serverLabel ?? 'cluster'} ${hostOf(kc.getCurrentCluster()?.server ?? '')}`;
  const manager = opts.fieldManager ?? 'helper';
  const dryRun = opts.dryRun ? 'All' : undefined;
  const policy: CallPolicy = { timeoutMs: opts.requestTimeoutMs ?? 30_000, attempts: opts.attempts ?? 4, baseDelayMs: opts.baseDelayMs, signal: opts.signal };
  const applied: ApplyResult['applied'] = [];
  const deadline = Date.now() + opts.timeoutMs;

  const applyOne = async (client: k8s.KubernetesObjectApi, o: ApplyObject, phase: 1 | 2) => {
    const what = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const header = { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) } };
    const report = opts.report && !opts.dryRun;
    const before = report
      ? await callApi({ server, action: `read ${what}` }, policy, async () => {
        try {
          return resourceVersionOf(await client.read(header)) ?? '';
        } catch (err) {
          if (apiFailure(err).status === 404) return undefined;
          throw err;
        }
      })
      : undefined;
    // Server-side apply is idempotent, so every passing failure may be retried.
    const after = await callApi({ server, action: `apply ${what}` }, policy, async () => {
      const r = await client.patch(o as k8s.KubernetesObject, undefined, dryRun, manager, true, k8s.PatchStrategy.ServerSideApply) as unknown;
      // The client library takes any 2xx as success, even an HTML page from a proxy.
      const m = (r as { metadata?: { name?: unknown } } | null)?.metadata;
      if (typeof r !== 'object' || r === null || m?.name !== o.metadata.name) throw new SyntaxError(`the answer is not the applied ${what}`);
      return resourceVersionOf(r);
    });
    const outcome: Outcome | undefined = report ? (before === undefined ? 'created' : before === after ? 'unchanged' : 'configured') : undefined;
    applied.push({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, phase, outcome });
    if (!opts.dryRun) opts.onApplied?.(what);
    log.info(`${opts.dryRun ? '(dry run) ' : ''}${outcome ?? 'applied'} ${what}`);
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
      get: () => callApi({ server, action: `read CustomResourceDefinition ${crd.metadata.name}` }, { ...policy, attempts: 1 }, async () => {
        try {
          return (await ext.readCustomResourceDefinition({ name: crd.metadata.name })) as never;
        } catch (err) {
          if (apiFailure(err).status === 404) return undefined;
          throw err;
        }
      }),
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

function resourceVersionOf(obj: unknown): string | undefined {
  const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

function crdServes(crd: ApplyObject, o: ApplyObject): boolean {
  const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
  return o.apiVersion.split('/')[0] === spec?.group && o.kind === spec?.names?.kind;
}
