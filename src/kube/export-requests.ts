/**
 * Step 7/8: one APIServiceExportRequest per returned request in the cluster
 * namespace, then a bounded wait until each is Succeeded.
 *
 * Idempotency: a request is created under a fixed name (the response's
 * metadata.name, else `<resource>.<group>` of its first resource). On a re-run
 * an existing request that is Pending or Succeeded with the same spec is
 * reused; a Failed one, or one whose (immutable) spec differs, is deleted and
 * created again. So re-running bootstrap-env never piles up requests.
 */
import { isDeepStrictEqual } from 'node:util';
import { FailedError } from '../errors.ts';
import { log } from '../log.ts';
import type { ExportRequest } from '../types.ts';
import { sleep } from '../retry.ts';
import type { ControlPlane } from './client.ts';
import { KINDS, type KObject } from './resources.ts';
import { isStatus } from './transport.ts';
import { waitUntil } from './wait.ts';
import type { ExportRequestAction } from './results.ts';

const REQUESTS = KINDS.exportRequest;

export interface CreatedRequest {
  name: string;
  /** created: new object; reused: an equivalent one was already there; replaced: a Failed/different one was recreated.
   * */
  action: ExportRequestAction;
}

/** The object name helper uses for a returned request. */
export function requestName(req: ExportRequest): string {
  const n = req.metadata?.name;
  if (n) return n;
  const r = req.spec.resources[0]!;
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

function desiredObject(req: ExportRequest, namespace: string): KObject {
  return {
    apiVersion: REQUESTS.apiVersion,
    kind: REQUESTS.kind,
    metadata: { name: requestName(req), namespace, labels: { 'app.kubernetes.io/managed-by': 'helper' } },
    spec: req.spec as Record<string, unknown>,
  };
}

/** Creates (or reuses) every request; calls onCreated after each so interruptions can report progress. */
export async function createExportRequests(
  cp: ControlPlane,
  requests: ExportRequest[],
  onCreated?: (r: CreatedRequest) => void,
  opts: { signal?: AbortSignal | undefined } = {},
): Promise<CreatedRequest[]> {
  const out: CreatedRequest[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    const body = desiredObject(req, cp.namespace);
    const name = body.metadata!.name!;
    if (seen.has(name)) continue;
    seen.add(name);
    let action: CreatedRequest['action'] = 'created';
    try {
      await cp.create(REQUESTS, body);
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      const existing = await cp.get(REQUESTS, name);
      const phase = existing.status?.phase;
      if (phase !== 'Failed' && !existing.metadata?.deletionTimestamp && sameSpec(existing.spec, body.spec)) {
        action = 'reused';
      } else {
        log.info(`replacing ${phase === 'Failed' ? 'Failed' : 'outdated'} APIServiceExportRequest ${name}`);
        await cp.delete(REQUESTS, name);
        await recreate(cp, body, opts.signal);
        action = 'replaced';
      }
    }
    const r = { name, action };
    out.push(r);
    onCreated?.(r);
    log.info(`APIServiceExportRequest ${cp.namespace}/${name} ${action}`);
  }
  return out;
}

/** The API server may still hold the deleted object for a moment (finalizers). */
async function recreate(cp: ControlPlane, body: KObject, signal: AbortSignal | undefined): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await cp.create(REQUESTS, body);
      return;
    } catch (err) {
      if (!isStatus(err, 409) || i >= 20) throw err;
      await sleep(250, signal);
    }
  }
}

function sameSpec(a: unknown, b: unknown): boolean {
  // The API server fills defaults (group "", status {}); compare on what we send.
  const norm = (s: unknown) => JSON.parse(JSON.stringify(s ?? {}), (_k, v) => (v === '' ? undefined : v));
  return isDeepStrictEqual(norm(a), norm(b));
}

/** Describes a request's state for progress and timeout messages. */
export function describeRequest(obj: KObject | undefined): string {
  if (!obj) return 'not found';
  const phase = (obj.status?.phase as string | undefined) ?? 'no phase yet';
  const conds = Array.isArray(obj.status?.conditions) ? (obj.status!.conditions as Array<Record<string, unknown>>) : [];
  const notReady = conds
    .filter((c) => c.status !== 'True')
    .map((c) => `${String(c.type)}=${String(c.status)}${c.reason ? ` (${String(c.reason)})` : ''}`);
  return `phase ${phase}${notReady.length ? `, ${notReady.join(', ')}` : ''}`;
}

/**
 * How long a request may stay Pending with CRDNotFound before the wait ends as failed: the CRD may still be
 * installing (a Crossplane package), and v1.4.0's example-backend fails such a request itself after a minute,
 * but only on a reconcile it never schedules; 90 s leaves its minute and a reconcile room to come first.
 */
export const CRD_NOT_FOUND_GRACE_MS = 90_000;

/** True when a condition of the request says its CRD is not on the control plane. */
function crdNotFound(obj: KObject): boolean {
  const conds = Array.isArray(obj.status?.conditions) ? (obj.status!.conditions as Array<Record<string, unknown>>) : [];
  return conds.some((c) => c.status !== 'True' && c.reason === 'CRDNotFound');
}

/** `resource.group` of each resource a request asks for. */
function resourcesOf(obj: KObject): string {
  const rs = Array.isArray(obj.spec?.resources) ? (obj.spec!.resources as Array<Record<string, unknown>>) : [];
  const names = rs.map((r) => (r.group ? `${String(r.resource)}.${String(r.group)}` : String(r.resource)));
  return names.join(', ') || String(obj.metadata?.name);
}

/**
 * Waits until every named request is Succeeded; FailedError on Failed, or on CRDNotFound for longer than
 * graceMs (default CRD_NOT_FOUND_GRACE_MS); TimeoutError with the last phase otherwise.
 */
export async function waitForExportRequests(
  cp: ControlPlane,
  names: string[],
  opts: { timeoutMs: number; signal?: AbortSignal | undefined; graceMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const graceMs = opts.graceMs ?? CRD_NOT_FOUND_GRACE_MS;
  /** Since when each request has been seen with CRDNotFound on every read. */
  const notFoundSince = new Map<string, number>();
  // The first failure ends the other waits (and closes their watches).
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([stop.signal, opts.signal]) : stop.signal;
  await Promise.all(
    names.map((name) =>
      waitUntil({
        what: `APIServiceExportRequest ${cp.namespace}/${name} to become Succeeded`,
        get: () => cp.peek(REQUESTS, name),
        check: (obj) => {
          if (!obj)
            throw new FailedError(
              'HELPER_EXPORT_REQUEST_GONE',
              `APIServiceExportRequest ${cp.namespace}/${name} was deleted by the service provider before it succeeded`,
            );
          const phase = obj.status?.phase;
          if (phase === 'Succeeded') return { done: true, value: undefined };
          if (phase === 'Failed') {
            const msg = (obj.status?.terminalMessage as string | undefined) ?? 'no terminal message';
            throw new FailedError(
              'HELPER_EXPORT_REQUEST_FAILED',
              `APIServiceExportRequest ${cp.namespace}/${name} failed: ${msg}`,
              {
                hint:
                  'the control plane could not export this API; check that its CRD and ' +
                  'APIServiceExportTemplate exist on the control plane',
                rerunHelps: false,
              },
            );
          }
          if (!crdNotFound(obj)) notFoundSince.delete(name);
          else {
            const since = notFoundSince.get(name) ?? Date.now();
            notFoundSince.set(name, since);
            if (Date.now() - since >= graceMs) {
              const secs = Math.round((Date.now() - since) / 1000);
              const msg =
                `the control plane does not export ${resourcesOf(obj)}: ` +
                `APIServiceExportRequest ${cp.namespace}/${name} stayed ${describeRequest(obj)} for ${secs}s ` +
                '(its CRD is not on the control plane)';
              throw new FailedError('HELPER_EXPORT_NOT_EXPORTED', msg, {
                hint: "ask the control plane's operator to install that data service's CRD; re-running helps only then",
                rerunHelps: false,
              });
            }
          }
          return { done: false, seen: describeRequest(obj) };
        },
        timeoutMs: Math.max(0, deadline - Date.now()),
        watch: cp.watch(REQUESTS, name),
        signal,
        onProgress: (seen) => log.info(`waiting for APIServiceExportRequest ${name}: ${seen}`),
      }).catch((err: unknown) => {
        if (!stop.signal.aborted) stop.abort(err);
        throw err;
      }),
    ),
  );
  log.info(`all ${names.length} APIServiceExportRequest(s) Succeeded`);
}
