/**
 * The test tree mirrors src/ (README, "Architecture"): every module with code
 * has its unit test at the same path under test/unit/. A module added without
 * one fails here, by name. Modules that only declare types (run-context.ts, types.ts)
 * have nothing to run and are exempt; the test says which they are. test/unit/ holds
 * only tests: what tests share (fakes, fixtures, the in-memory cluster) is in test/helpers/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../..', import.meta.url));

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return modules(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.generated.ts') ? [relative(join(root, 'src'), p)] : [];
  });
}

/** True when, comments removed, every statement is an import type, interface or type declaration. */
export function typesOnly(text: string): boolean {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const declaration = /^\s*(export\s+)?(const|let|var|function|async|class|enum|default)\b/m;
  return !declaration.test(code) && !/^\s*export\s*\{|^\s*import\s+(?!type\b)/m.test(code);
}

t.test('typesOnly tells a declaration-only module from one with code', async (t) => {
  t.ok(typesOnly("/** x */\nimport type { A } from './a.ts';\nexport interface B { a: A }\nexport type C = B;\n"));
  t.notOk(typesOnly('export interface B { a: string }\nexport const b = 1;\n'));
  t.notOk(typesOnly("import { a } from './a.ts';\nexport type B = typeof a;\n"));
  t.notOk(typesOnly('export function f(): void {}\n'));
});

t.test('every src module with code has test/unit/<same path>.test.ts', async (t) => {
  const src = modules(join(root, 'src'));
  t.ok(src.length > 60, `src/ has its modules (${src.length})`);
  const tests = new Set(readdirSync(join(root, 'test', 'unit'), { recursive: true }).map(String));
  const exempt = src.filter((m) => typesOnly(readFileSync(join(root, 'src', m), 'utf8')));
  t.same(
    exempt,
    ['kube/results.ts', 'run-context.ts', 'types.ts'],
    'the declaration-only modules (types.ts is tested all the same: its types against the schemas)',
  );
  const missing = src.filter((m) => !exempt.includes(m) && !tests.has(m.replace(/\.ts$/, '.test.ts')));
  t.same(
    missing.map((m) => `src/${m} has no test/unit/${m.replace(/\.ts$/, '.test.ts')}`),
    [],
  );
});

t.test('test/unit/ holds only *.test.ts files; shared helpers live in test/helpers/', async (t) => {
  const files = readdirSync(join(root, 'test', 'unit'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(join(root, 'test', 'unit'), join(e.parentPath, e.name)));
  t.same(
    files.filter((f) => !f.endsWith('.test.ts')).map((f) => `test/unit/${f} is not a test: move it to test/helpers/`),
    [],
  );
});
