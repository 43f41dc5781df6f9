/**
 * The library entry: its surface is exactly test/helpers/library-surface.ts (an export added or removed fails here),
 * a call without a logger writes nothing to stderr, and a logger gets redacted lines of its own call only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';
import * as lib from '../../src/index.ts';
import { addSecret, log } from '../../src/log.ts';
import { SURFACE } from '../helpers/library-surface.ts';

const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Every name src/index.ts exports, with its kind, read from its AST. */
function exportsOf(file: string): Record<string, string> {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Record<string, string> = {};
  const exported = (n: ts.Node) =>
    ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const s of src.statements) {
    if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const e of s.exportClause.elements) {
        const name = e.name.text;
        const value = (lib as Record<string, unknown>)[name];
        out[name] =
          s.isTypeOnly || e.isTypeOnly
            ? 'type'
            : typeof value === 'function'
              ? /^class\b/.test(String(value))
                ? 'class'
                : 'function'
              : 'const';
      }
    } else if (exported(s)) {
      if (ts.isFunctionDeclaration(s) && s.name) out[s.name.text] = 'function';
      else if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) out[s.name.text] = 'type';
      else if (ts.isClassDeclaration(s) && s.name) out[s.name.text] = 'class';
      else if (ts.isVariableStatement(s))
        for (const d of s.declarationList.declarations) out[d.name.getText()] = 'const';
    }
  }
  return out;
}

t.test('the public surface is exactly the list in test/helpers/library-surface.ts', async (t) => {
  const actual = exportsOf(entry);
  t.same(
    Object.keys(actual).sort(),
    Object.keys(SURFACE).sort(),
    'names (an accidental export or a removed one fails here)',
  );
  t.same(actual, SURFACE, 'kinds');
  const values = Object.keys(lib).sort();
  t.same(
    values,
    Object.entries(SURFACE)
      .filter(([, k]) => k !== 'type')
      .map(([n]) => n)
      .sort(),
    'the values the module exports at run time',
  );
});

t.test('a call without a logger writes nothing; with one, it gets its own redacted lines', async (t) => {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((c: string | Uint8Array) => {
    stderr += String(c);
    return true;
  }) as typeof process.stderr.write;
  try {
    await t.rejects(lib.controlPlaneRender({ valuesFile: '/nonexistent/values.yaml' }), { code: 'HELPER_VALUES_READ' });
    await t.rejects(lib.status({ kubeconfig: '/nonexistent' }), { code: 'HELPER_KUBECONFIG_READ', exitCode: 3 });
  } finally {
    process.stderr.write = write;
  }
  t.equal(stderr, '', 'nothing on stderr');
  const a: string[] = [];
  const b: string[] = [];
  // Two calls at once, each logging a secret registered in its own scope.
  const { runInScope, Logger, Secrets } = await import('../../src/log.ts');
  const one = (lines: string[], secret: string) =>
    runInScope({ logger: new Logger({ write: (l) => lines.push(l) }), secrets: new Secrets(), env: {} }, async () => {
      addSecret(secret);
      await new Promise((r) => setTimeout(r, 5));
      log.info(`token ${secret} here`);
    });
  await Promise.all([one(a, 'first-secret-value'), one(b, 'second-secret-value')]);
  t.same(a, ['token [REDACTED] here\n']);
  t.same(b, ['token [REDACTED] here\n']);
});

t.test('unbind never asks: purge without yes or confirm is a usage error before any call', async (t) => {
  await t.rejects(lib.unbind({ kubeconfig: '/nonexistent/provider.kfg.yaml', purge: true }), {
    exitCode: 2,
    message: /--purge .* without a terminal it needs --yes/,
  });
  t.match(await lib.unbind({ kubeconfig: '/x', purge: true, dryRun: true }).catch((e: Error) => e.message), /\/x/);
});

t.test('ERROR_CODES lists every code src/ ends with', async (t) => {
  const { globSync } = await import('node:fs');
  const root = fileURLToPath(new URL('../../src/', import.meta.url));
  const used = new Set<string>();
  for (const f of globSync('**/*.ts', { cwd: root })) {
    if (f === 'options/argv.ts' || f.endsWith('.generated.ts')) continue;
    for (const m of readFileSync(root + f, 'utf8').matchAll(/'(HELPER_[A-Z0-9_]+)'/g)) used.add(m[1]!);
  }
  const missing = [...used].filter((c) => !(lib.ERROR_CODES as readonly string[]).includes(c));
  t.same(missing, [], 'codes used in src/ but not in ERROR_CODES');
});
