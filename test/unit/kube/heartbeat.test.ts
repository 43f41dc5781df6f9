/** Whether a konnector is connected, by the ClusterBinding's heartbeat; Go durations; ages for messages. */
import t from 'tap';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, formatAge, heartbeatOf, parseGoDuration } from '../../../src/kube/heartbeat.ts';

t.test('Go durations as metav1.Duration writes them', async (t) => {
  t.equal(parseGoDuration('5m0s'), 300_000);
  t.equal(parseGoDuration('1h2m3.5s'), 3_723_500);
  t.equal(parseGoDuration('250ms'), 250);
  t.equal(parseGoDuration('5 minutes'), undefined);
  t.equal(parseGoDuration(''), undefined);
  t.equal(parseGoDuration(300), undefined);
});

t.test('fresh within two intervals; the default interval when none is given', async (t) => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const cb = (last: string, interval?: string) => ({
    status: { lastHeartbeatTime: last, ...(interval ? { heartbeatInterval: interval } : {}) },
  });
  t.match(heartbeatOf(cb('2026-01-01T00:59:00Z', '1m0s'), now), { fresh: true, ageMs: 60_000, intervalMs: 60_000 });
  t.match(heartbeatOf(cb('2026-01-01T00:57:00Z', '1m0s'), now), { fresh: false, ageMs: 180_000 });
  t.match(heartbeatOf(cb('2026-01-01T00:51:00Z'), now), { fresh: true, intervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS });
  t.match(heartbeatOf(undefined, now), { fresh: false, last: undefined });
  t.match(heartbeatOf(cb('not a time'), now), { fresh: false, last: undefined });
});

t.test('ages', async (t) => {
  t.equal(formatAge(42_000), '42s');
  t.equal(formatAge(190_000), '3m10s');
  t.equal(formatAge(7_500_000), '2h5m');
});
