/**
 * Pure: where a rendered object differs from the one in the cluster, field
 * by field, as server-side apply would change it: only the fields the
 * render sets count (the cluster's own defaults and status do not), lists of
 * named items are matched by name, and Secret values are compared but never
 * shown. An object without helper's managed-by label keeps it that way
 * (apply does not label what it did not create), so that label and the
 * installation label are no difference.
 */
import { INSTALLATION_LABEL, MANAGED_BY, objectId, type K8sObject } from './render.ts';

export interface ObjectDiff {
  /** "Kind namespace/name". */
  object: string;
  /** Absent from the cluster: apply creates it. */
  created: boolean;
  /** One line per differing field, e.g. "spec.rules: differs". */
  fields: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** The rendered object as apply sends it to a cluster holding `live` (undefined: absent). */
export function asApplied(desired: K8sObject, live: Record<string, unknown> | undefined): K8sObject {
  const liveLabels = (live?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
  if (!live || liveLabels[MANAGED_BY.key] === MANAGED_BY.value) return desired;
  const labels = { ...desired.metadata.labels };
  delete labels[MANAGED_BY.key];
  delete labels[INSTALLATION_LABEL];
  const metadata = { ...desired.metadata, labels };
  if (!Object.keys(labels).length) delete (metadata as { labels?: unknown }).labels;
  return { ...desired, metadata };
}

function walk(desired: unknown, live: unknown, path: string, secret: boolean, out: string[]): void {
  if (isObj(desired)) {
    if (live === undefined && Object.keys(desired).length) live = {};
    if (!isObj(live)) {
      out.push(`${path}: ${live === undefined ? 'not set in the cluster' : 'differs'}`);
      return;
    }
    for (const [k, v] of Object.entries(desired)) walk(v, live[k], path ? `${path}.${k}` : k, secret, out);
    return;
  }
  if (Array.isArray(desired)) {
    const named = desired.every((d) => isObj(d) && typeof d.name === 'string');
    if (!Array.isArray(live)) {
      out.push(`${path}: ${live === undefined ? 'not set in the cluster' : 'differs'}`);
    } else if (named && live.every((l) => isObj(l) && typeof l.name === 'string')) {
      for (const d of desired as Array<Record<string, unknown>>) {
        const l = (live as Array<Record<string, unknown>>).find((x) => x.name === d.name);
        if (!l) out.push(`${path}[${String(d.name)}]: not in the cluster`);
        else walk(d, l, `${path}[${String(d.name)}]`, secret, out);
      }
    } else if (desired.length !== live.length || desired.some((d, i) => !subset(d, live[i]))) {
      out.push(`${path}: ${secret ? 'differs' : `cluster ${show(live)}, render ${show(desired)}`}`);
    }
    return;
  }
  if (!same(desired, live)) {
    if (live === undefined) out.push(`${path}: not set in the cluster`);
    else out.push(`${path}: ${secret ? 'differs' : `cluster ${show(live)}, render ${show(desired)}`}`);
  }
}

/** Scalars as the API server stores them: an int-or-string port 443 equals "443". */
const same = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b));

function subset(desired: unknown, live: unknown): boolean {
  const out: string[] = [];
  walk(desired, live, '', false, out);
  return !out.length;
}

/** The differences of one rendered object from the cluster's (undefined: the cluster has none). */
export function diffObject(rendered: K8sObject, live: Record<string, unknown> | undefined): ObjectDiff {
  const object = objectId(rendered);
  if (!live) return { object, created: true, fields: [] };
  const desired = asApplied(rendered, live);
  const fields: string[] = [];
  const secret = desired.kind === 'Secret' && desired.apiVersion === 'v1';
  const { apiVersion: _a, kind: _k, metadata, ...body } = desired;
  const liveMeta = (live.metadata ?? {}) as Record<string, unknown>;
  for (const part of ['labels', 'annotations'] as const) {
    const d = metadata[part];
    if (d) walk(d, liveMeta[part] ?? {}, `metadata.${part}`, false, fields);
  }
  walk(body, live, '', secret, fields);
  return { object, created: false, fields };
}

/** Lines for a person: what apply would create or change; [] when nothing. */
export function formatDiffs(diffs: ObjectDiff[]): string[] {
  const out: string[] = [];
  for (const d of diffs) {
    if (d.created) out.push(`+ ${d.object} (not in the cluster: apply creates it)`);
    else if (d.fields.length) out.push(`~ ${d.object}`, ...d.fields.map((f) => `    ${f}`));
  }
  return out;
}
