/**
 * `npm run -s coverage:check`: the line coverage of each src/ folder, from tap's json-summary report
 * (.tap/report/coverage-summary.json, written by the last tap run), against its floor in coverage-floors.json.
 * Prints the per-folder table; exits 1 naming every folder under its floor, and every folder without one.
 * test/run.ts calls coverageCheck() after the suite and prints the same table before its last line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = join(import.meta.dirname, '..');
export const SUMMARY = join(root, '.tap', 'report', 'coverage-summary.json');
export const FLOORS = join(root, 'coverage-floors.json');

interface Counts {
  total: number;
  covered: number;
}
interface FileSummary {
  lines: Counts;
  branches: Counts;
  functions: Counts;
}
export interface CoverageCheck {
  ok: boolean;
  table: string[];
  problems: string[];
}

/** src/kube/client.ts → src/kube; src/log.ts → src (the modules at the top of src/). */
export function folderOf(file: string, base = root): string | undefined {
  const rel = relative(base, file).split(sep).join('/');
  if (!rel.startsWith('src/')) return undefined;
  const parts = rel.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : 'src';
}

const pct = (c: Counts): number => (c.total ? (100 * c.covered) / c.total : 100);

export function coverageCheck(summaryFile = SUMMARY, floorsFile = FLOORS): CoverageCheck {
  if (!existsSync(summaryFile)) return { ok: false, table: [], problems: [`no coverage report at ${summaryFile}`] };
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, FileSummary>;
  const base = resolve(dirname(summaryFile), '..', '..'); // <project>/.tap/report/coverage-summary.json
  const floors = JSON.parse(readFileSync(floorsFile, 'utf8')) as Record<string, number>;
  const folders = new Map<string, { lines: Counts; branches: Counts; functions: Counts; files: number }>();
  for (const [file, s] of Object.entries(summary)) {
    const folder = file === 'total' ? undefined : folderOf(file, base);
    if (!folder) continue;
    const f = folders.get(folder) ?? {
      lines: { total: 0, covered: 0 },
      branches: { total: 0, covered: 0 },
      functions: { total: 0, covered: 0 },
      files: 0,
    };
    for (const k of ['lines', 'branches', 'functions'] as const) {
      f[k].total += s[k].total;
      f[k].covered += s[k].covered;
    }
    f.files++;
    folders.set(folder, f);
  }
  const problems: string[] = [];
  const table = [
    `${'folder'.padEnd(18)} ${'files'.padStart(5)} ${'lines'.padStart(7)} ${'floor'.padStart(6)} ` +
      `${'branches'.padStart(8)} ${'functions'.padStart(9)}`,
  ];
  for (const [folder, f] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    const lines = pct(f.lines);
    const floor = floors[folder];
    if (floor === undefined)
      problems.push(`${folder}/ has no floor in coverage-floors.json (measured ${lines.toFixed(1)}%)`);
    else if (lines < floor) problems.push(`${folder}/ lines ${lines.toFixed(1)}% < floor ${floor}%`);
    table.push(
      `${folder.padEnd(18)} ${String(f.files).padStart(5)} ${`${lines.toFixed(1)}%`.padStart(7)} ` +
        `${floor === undefined ? '-' : `${floor}%`}`.padStart(6) +
        ` ${`${pct(f.branches).toFixed(1)}%`.padStart(8)} ` +
        `${`${pct(f.functions).toFixed(1)}%`.padStart(9)}`,
    );
  }
  for (const folder of Object.keys(floors)) {
    if (!folders.has(folder)) problems.push(`${folder}/ has a floor but no measured file`);
  }
  return { ok: problems.length === 0, table, problems };
}

if (import.meta.main) {
  const r = coverageCheck();
  for (const l of r.table) process.stdout.write(`${l}\n`);
  for (const p of r.problems) process.stderr.write(`coverage: ${p}\n`);
  process.exitCode = r.ok ? 0 : 1;
}
