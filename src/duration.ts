/** Pure: "90s", "5m", "1h30m", "500ms" or a bare number of seconds → milliseconds. */
import { UsageError } from './errors.ts';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(flag: string, value: unknown): number {
  const s = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (!s || matched !== s.length) {
    throw new UsageError(`${flag} ${JSON.stringify(s)} is not a duration (use e.g. 90s, 5m, 1h30m)`);
  }
  return Math.round(total);
}
