/** The real defaults of a flow's deps: files (stdin as '-', atomic 0600 writes, 0700 dirs), a fresh journal, the clock.
 * */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { flowDeps, realFiles } from '../../../src/flows/deps.ts';
import { Journal } from '../../../src/journal.ts';

t.test('realFiles: read, isDirectory, list, write 0600, mkdir 0700, assertWritable', async (t) => {
  const dir = t.testdir({ 'a.json': '{}', sub: { 'b.json': '[]' } });
  t.equal(realFiles.read(join(dir, 'a.json')).toString(), '{}');
  t.throws(() => realFiles.read(join(dir, 'missing')), { code: 'ENOENT' });
  t.equal(realFiles.isDirectory(join(dir, 'sub')), true);
  t.equal(realFiles.isDirectory(join(dir, 'a.json')), false);
  t.equal(realFiles.isDirectory(join(dir, 'missing')), false);
  t.equal(realFiles.isDirectory('-'), false, 'stdin is never a directory');
  chmodSync(join(dir, 'a.json'), 0o640);
  t.equal(realFiles.mode?.(join(dir, 'a.json')), 0o640, 'the permission bits (for the key file warning)');
  t.equal(realFiles.mode?.(join(dir, 'missing')), undefined);
  t.same(realFiles.list(join(dir, 'sub')), ['b.json']);
  const out = join(dir, 'out.yaml');
  realFiles.write(out, 'secret: yes\n');
  t.equal(readFileSync(out, 'utf8'), 'secret: yes\n');
  t.equal(statSync(out).mode & 0o777, 0o600);
  realFiles.mkdir(join(dir, 'x', 'y'));
  t.equal(statSync(join(dir, 'x', 'y')).mode & 0o777, 0o700);
  t.throws(() => realFiles.assertWritable(join(dir, 'nope', 'f'), '--output-file'), {
    exitCode: 3,
    message: new RegExp(`^--output-file ${dir}/nope/f: `),
  });
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'f'), '');
  t.doesNotThrow(() => realFiles.assertWritable(join(dir, 'd', 'f'), '--output-file'));
});

t.test('flowDeps: what is given wins; the rest are the real defaults', async (t) => {
  const journal = new Journal();
  const d = flowDeps({ journal, clock: () => 42 });
  t.equal(d.journal, journal);
  t.equal(d.clock(), 42);
  t.equal(d.files, realFiles);
  t.equal(d.signal.aborted, false);
  t.type(flowDeps().journal, Journal);
});
