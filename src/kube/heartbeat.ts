/**
 * Pure: whether a konnector is connected to a binding, judged by the
 * ClusterBinding's heartbeat (status.lastHeartbeatTime against
 * status.heartbeatInterval). Not by its Ready condition: v1.4.0's
 * example-backend marks it False "HeartbeatTimeDrift" for about 10 s after
 * every heartbeat. v1.4.0's konnector beats every half interval (2.5 min of 5).
 */
import type { KObject } from './resources.ts';

/** The interval v1.4.0 uses when the ClusterBinding does not say. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5 * 60_000;

export interface Heartbeat {
  /** When the konnector last wrote, if ever. */
  last?: Date | undefined;
  /** now − last, in ms. */
  ageMs?: number | undefined;
  intervalMs: number;
  /** A heartbeat within two intervals: a konnector is connected. */
  fresh: boolean;
  konnectorVersion?: string | undefined;
}

const GO_UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  '\u00b5s': 0.001,
  ns: 0.000001,
};

/** A Go duration as metav1.Duration serializes it ("5m0s", "1h2m3.5s"); undefined if it is none. */
export function parseGoDuration(s: unknown): number | undefined {
  if (typeof s !== 'string' || !s) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|\u00b5s|ns)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * GO_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : undefined;
}

export function heartbeatOf(clusterBinding: KObject | undefined, now: number): Heartbeat {
  const status = (clusterBinding?.status ?? {}) as {
    lastHeartbeatTime?: unknown;
    heartbeatInterval?: unknown;
    konnectorVersion?: unknown;
  };
  const intervalMs = parseGoDuration(status.heartbeatInterval) ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const t = typeof status.lastHeartbeatTime === 'string' ? Date.parse(status.lastHeartbeatTime) : NaN;
  const last = Number.isFinite(t) ? new Date(t) : undefined;
  const ageMs = last ? Math.max(0, now - last.getTime()) : undefined;
  return {
    last,
    ageMs,
    intervalMs,
    fresh: ageMs !== undefined && ageMs <= 2 * intervalMs,
    konnectorVersion:
      typeof status.konnectorVersion === 'string' && status.konnectorVersion ? status.konnectorVersion : undefined,
  };
}

/** "42s", "3m10s", "2h5m": an age for messages. */
export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}
