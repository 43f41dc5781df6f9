/**
 * The checks of the code that test/run.ts adds to the suite's count, each the command a developer runs:
 * `npm run -s lint` (Biome: format and lint), `npm run -s deps` (dependency-cruiser: circles and layers), and the
 * coverage floors per src/ folder (bin/coverage-floors.ts, coverage-floors.json), whose table is printed either way.
 * Each check is one line `ok - ...` or `not ok - ...`, what failed follows as `# ` lines.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { coverageCheck } from '../../bin/coverage-floors.ts';

const root = join(import.meta.dirname, '..', '..');
/** Text as `# ` lines, its first `head` and last `tail` lines (a tool's summary is at its end). */
const comment = (text: string, head = 50, tail = 6): string => {
  const lines = text.trimEnd().split('\n');
  const shown = lines.length <= head + tail ? lines : [...lines.slice(0, head), '...', ...lines.slice(-tail)];
  return `${shown.map((l) => `# ${l}`).join('\n')}\n`;
};

/** `floors`: enforce the coverage floors (the whole suite ran); otherwise only print the table. */
export function codeChecks(
  floors: boolean,
  write: (s: string) => void = (s) => process.stdout.write(s),
): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  const report = (ok: boolean, name: string, detail: string): void => {
    write(`${ok ? 'ok' : 'not ok'} - ${name}\n`);
    if (!ok) write(comment(detail));
    if (ok) passed++;
    else failed++;
  };
  for (const [script, name] of [
    ['lint', 'format and lint (npm run -s lint: Biome, biome.jsonc)'],
    ['deps', 'no import circle, layers as the README says (npm run -s deps: dependency-cruiser)'],
  ] as const) {
    const r = spawnSync('npm', ['run', '-s', script], { cwd: root, encoding: 'utf8' });
    report(r.status === 0, name, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`);
  }
  const cov = coverageCheck();
  if (cov.table.length)
    write(`# coverage of src/ by the in-process tests (lines: floor):\n${comment(cov.table.join('\n'))}`);
  if (floors) {
    report(
      cov.ok,
      'coverage of each src/ folder at or above its floor (coverage-floors.json)',
      cov.problems.join('\n'),
    );
  }
  return { passed, failed };
}
