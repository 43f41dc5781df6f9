import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { AuthError, ExitCode, InputError, describeCause } from '../../src/errors.ts';

t.test('InputError lists every problem under its message and exits 3', async (t) => {
  const e = new InputError('HELPER_BINDING_INVALID', 'binding.json is invalid', [
    '/clusterID: must be string',
    '/apis: must NOT have fewer than 1 items',
  ]);
  t.equal(e.exitCode, ExitCode.input);
  t.match(e.message, /binding\.json is invalid\n {2}- \/clusterID: must be string\n {2}- \/apis/);
});

t.test('AuthError exits 4 and keeps its cause', async (t) => {
  const cause = new Error('inner');
  const e = new AuthError('HELPER_TOKEN', 'token refused', { cause });
  t.equal(e.exitCode, 4);
  t.equal(e.cause, cause);
});

t.test('describeCause reports the innermost code and message', async (t) => {
  const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  t.equal(describeCause(new TypeError('fetch failed', { cause: inner })), 'connect ECONNREFUSED 127.0.0.1:1');
});

t.test('the README exit-code table is the one made from EXIT_CODES (npm run docs rewrites it)', async (t) => {
  const { EXIT_CODES, exitCodesMarkdown } = await import('../../src/errors.ts');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- exit-codes:[^\n]*-->\n([\s\S]*?)\n<!-- \/exit-codes -->/.exec(readme)?.[1];
  t.ok(block, 'the README has the exit-codes block');
  t.equal(block, exitCodesMarkdown(), 'README table = EXIT_CODES');
  t.same(
    EXIT_CODES.map((r) => r.name).sort(),
    Object.keys(ExitCode).sort(),
    'every ExitCode has a row, and no row lacks one',
  );
  // The check can fail: a changed meaning is a different table.
  t.not(exitCodesMarkdown().replace('| 7 | timeout:', '| 7 | wait:'), block);
});

t.test(
  'epilogs are made from the same table: a command names its codes, the words and numbers come from EXIT_CODES',
  async (t) => {
    const { exitCodesEpilog } = await import('../../src/errors.ts');
    t.equal(
      exitCodesEpilog(['usage', 'input', 'cluster', 'timeout', 'deleted']),
      'Exit codes: 0 ok, 2 usage, 3 input, 6 cluster, 7 timeout, 10 deleted by the konnector, 130/143 interrupted.',
    );
    t.equal(
      exitCodesEpilog(['timeout', 'usage'], { timeout: 'names what it saw' }),
      'Exit codes: 0 ok, 2 usage, 7 timeout (names what it saw), 130/143 interrupted.',
      'table order, notes in parentheses',
    );
    const srcDir = new URL('../../src/commands/', import.meta.url);
    for (const f of readdirSync(srcDir).filter((n) => n.endsWith('.ts'))) {
      t.notMatch(
        readFileSync(new URL(f, srcDir), 'utf8'),
        /Exit codes:/,
        `src/commands/${f} writes no exit-code list of its own`,
      );
    }
  },
);
