/**
 * status's report in the one report model (report/model.ts): its verdicts,
 * the konnector's heartbeat as the report states it, the text, the JSON of
 * schemas/status.schema.json, and the error its verdict ends with.
 */
import type { ClusterError, HelperError } from '../errors.ts';
import type { KObject } from '../kube/resources.ts';
import { humanDuration } from '../kube/binding-objects.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatOf, parseGoDuration } from '../kube/heartbeat.ts';
import type { BindingStatus } from '../types.ts';
import {
  countVerdicts,
  formatTable,
  gateError,
  itemId,
  SIDE_TEXT,
  type Gate,
  type Report,
  type ReportItem,
} from '../report/model.ts';

/** An item's verdict. */
export type StatusVerdict = 'ok' | 'degraded' | 'missing' | 'unreadable' | 'unreachable';
export const STATUS_VERDICTS: readonly StatusVerdict[] = ['ok', 'degraded', 'missing', 'unreadable', 'unreachable'];
/**
 * The report's verdict: missing wins over degraded, both over unreachable
 * (a cluster could not be reached: its items say so), that over unknown
 * (nothing is wrong as far as could be read, but some item was unreadable).
 */
export type StatusOverall = 'ok' | 'degraded' | 'missing' | 'unreachable' | 'unknown';

/** One item of status: the report model's item, and facts per kind (the JSON's `details`). */
export interface StatusItem extends ReportItem<StatusVerdict> {
  facts?: Record<string, unknown> | undefined;
}

/** The konnector's heartbeat as the ClusterBinding reports it (kube/heartbeat.ts judges it). */
export interface KonnectorHeartbeat {
  konnectorVersion: string | null;
  lastHeartbeatTime: string | null;
  ageSeconds: number | null;
  intervalSeconds: number | null;
  /** fresh: within twice the interval; stale: older; none: never written. */
  state: 'fresh' | 'stale' | 'none';
}

export interface StatusReport extends Report<StatusVerdict, StatusOverall> {
  clusterNamespace: string;
  controlPlane: { server: string };
  appCluster: { server: string } | null;
  heartbeat: KonnectorHeartbeat | null;
  counts: Record<StatusVerdict, number>;
  items: StatusItem[];
}

/** The report of the items read: counts and the overall verdict (StatusOverall's order). */
export function statusReport(
  where: Pick<StatusReport, 'clusterNamespace' | 'controlPlane' | 'appCluster'>,
  items: StatusItem[],
  heartbeat: KonnectorHeartbeat | null,
): StatusReport {
  const counts = countVerdicts(STATUS_VERDICTS, items);
  const verdict: StatusOverall = counts.missing
    ? 'missing'
    : counts.degraded
      ? 'degraded'
      : counts.unreachable
        ? 'unreachable'
        : counts.unreadable
          ? 'unknown'
          : 'ok';
  return { verdict, ...where, heartbeat, counts, items };
}

/** The heartbeat facts of a ClusterBinding at time `now` (the rule itself is kube/heartbeat.ts, shared with create-ns).
 * */
export function judgeHeartbeat(cb: KObject, now: number): KonnectorHeartbeat {
  const h = heartbeatOf(cb, now);
  const reported = parseGoDuration((cb.status as { heartbeatInterval?: unknown } | undefined)?.heartbeatInterval);
  return {
    konnectorVersion: h.konnectorVersion ?? null,
    lastHeartbeatTime: h.last ? (cb.status!.lastHeartbeatTime as string) : null,
    ageSeconds: h.ageMs === undefined ? null : Math.round(h.ageMs / 1000),
    intervalSeconds: reported === undefined ? null : reported / 1000,
    state: h.last === undefined ? 'none' : h.fresh ? 'fresh' : 'stale',
  };
}

/** The ClusterBinding's verdict: a stale heartbeat is degraded; none yet is fine until an App Cluster is given. */
export function heartbeatVerdict(h: KonnectorHeartbeat, appGiven: boolean): { verdict: StatusVerdict; detail: string } {
  const version = h.konnectorVersion ? `konnector ${h.konnectorVersion}` : 'konnector version not reported';
  const interval =
    h.intervalSeconds === null
      ? `${humanDuration(DEFAULT_HEARTBEAT_INTERVAL_MS)} (not reported; the v1.4.0 default)`
      : humanDuration(h.intervalSeconds * 1000);
  if (h.state === 'none') {
    return appGiven
      ? { verdict: 'degraded', detail: 'no heartbeat yet: the konnector has never connected to this binding' }
      : {
          verdict: 'ok',
          detail: 'no heartbeat yet: no konnector has connected (expected until the App Cluster runs all.yaml)',
        };
  }
  const age = humanDuration(h.ageSeconds! * 1000);
  // What the ClusterBinding says, no more: a konnector stopped a minute ago still left a heartbeat within the interval.
  if (h.state === 'stale') {
    return {
      verdict: 'degraded',
      detail:
        `last heartbeat ${age} ago, more than twice the interval ${interval}: ` +
        `no konnector has reported since; ${version}`,
    };
  }
  return { verdict: 'ok', detail: `last heartbeat ${age} ago, within twice the interval ${interval}; ${version}` };
}

/**
 * The report as text: the table (a header row, one row per item), then the
 * binding and its servers, then the verdict.
 */
export function formatStatus(r: StatusReport): string {
  const where = r.appCluster ? `, App Cluster ${r.appCluster.server}` : ' (no --app-kubeconfig: control plane only)';
  const parts = (['degraded', 'missing', 'unreadable', 'unreachable'] as const)
    .filter((v) => r.counts[v])
    .map((v) => `${r.counts[v]} ${v}`);
  return (
    [
      ...formatTable(r.items),
      '',
      `binding ${r.clusterNamespace}: ${SIDE_TEXT['control-plane']} ${r.controlPlane.server}${where}`,
      `verdict: ${r.verdict}${parts.length ? ` (${parts.join(', ')})` : ''}`,
    ].join('\n') + '\n'
  );
}

/**
 * The report as schemas/status.schema.json has it: the one envelope (schemaVersion, kind, verdict, counts,
 * items), then the binding; an item's detail is its `message`, its facts `details`.
 */
export function statusJson(r: StatusReport): BindingStatus {
  return {
    schemaVersion: 1,
    kind: 'BindingStatus',
    verdict: r.verdict,
    counts: r.counts,
    items: r.items.map((i) => ({
      side: i.side,
      kind: i.kind as BindingStatus['items'][number]['kind'],
      name: i.name,
      ...(i.namespace ? { namespace: i.namespace } : {}),
      verdict: i.verdict,
      message: i.detail,
      ...(i.facts ? { details: i.facts } : {}),
    })),
    clusterNamespace: r.clusterNamespace,
    controlPlane: r.controlPlane,
    appCluster: r.appCluster,
    heartbeat: r.heartbeat,
  };
}

const GATE: Record<StatusOverall, Gate> = {
  ok: 'pass',
  degraded: 'degraded',
  missing: 'missing',
  unreachable: 'refused',
  unknown: 'refused',
};

/** The error that carries the verdict's exit code (the report itself is on stdout). */
export function statusError(r: StatusReport): HelperError | undefined {
  const names = (v: StatusVerdict) =>
    r.items
      .filter((i) => i.verdict === v)
      .map(itemId)
      .join(', ');
  const b = `binding ${r.clusterNamespace}`;
  switch (r.verdict) {
    case 'ok':
      return undefined;
    case 'degraded':
      return gateError(GATE.degraded, 'HELPER_STATUS_DEGRADED', `${b} is degraded: ${names('degraded')}`);
    case 'missing':
      return gateError(GATE.missing, 'HELPER_STATUS_MISSING', `${b} is missing parts: ${names('missing')}`);
    case 'unreachable': {
      const first = r.items.find((i) => i.verdict === 'unreachable')!;
      return gateError(
        GATE.unreachable,
        'HELPER_STATUS_UNREACHABLE',
        `${b} cannot be judged: ${r.counts.unreachable} item(s) could not be read, ${first.detail}; ` +
          'the report on stdout marks them unreachable and shows the rest',
      ) as ClusterError;
    }
    case 'unknown':
      return gateError(
        GATE.unknown,
        'HELPER_STATUS_UNREADABLE',
        `${b} cannot be judged: the kubeconfig may not read ${names('unreadable')}`,
        { status: 403 },
      ) as ClusterError;
  }
}
