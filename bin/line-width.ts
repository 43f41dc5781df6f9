/**
 * `npm run -s lint`'s second half: no line of src/, bin/ or test/ is wider than biome.jsonc's lineWidth.
 * Biome wraps code to that width but never breaks a string or a comment; this check holds those too. In
 * test/, a line that is one regex or string literal alone, or one property with such a value (an expected message,
 * kept whole so that a grep for the message finds its test), may be wider.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = readFileSync(join(root, 'biome.jsonc'), 'utf8');
const width = Number(/"lineWidth":\s*(\d+)/.exec(config)?.[1] ?? 120);
const LITERAL_ALONE = /^\s*([\w$]+:\s*)?(\/.*\/[dgimsuyv]*|'.*'|".*"|`[^`]*`),?\)?[,;]?$/;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') yield* files(p);
    else if (e.isFile() && p.endsWith('.ts') && !p.endsWith('.generated.ts')) yield p;
  }
}

const wide: string[] = [];
for (const top of ['src', 'bin', 'test']) {
  for (const file of files(join(root, top))) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.length <= width || (top === 'test' && LITERAL_ALONE.test(line))) return;
        wide.push(`${relative(root, file)}:${i + 1}: ${line.length} characters (over ${width})`);
      });
  }
}
if (wide.length) {
  process.stderr.write(`line width: ${wide.length} line(s) wider than ${width} characters:\n${wide.join('\n')}\n`);
  process.exit(1);
}
process.stderr.write(`line width: every line of src/, bin/ and test/ within ${width} characters\n`);
