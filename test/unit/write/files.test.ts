/** Atomic 0600 writes, the writable pre-check, and the cleanup of cut-short writes. */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertWritable, cleanupTempFiles, writeFileAtomic } from '../../../src/write/files.ts';

t.test('writes the whole file with mode 0600, replacing an older one, leaving no temp file', async (t) => {
  const dir = t.testdir({ 'all.yaml': 'old' });
  const f = join(dir, 'all.yaml');
  writeFileAtomic(f, 'new content\n');
  t.equal(readFileSync(f, 'utf8'), 'new content\n');
  t.equal(statSync(f).mode & 0o777, 0o600);
  writeFileAtomic(join(dir, 'bin'), new Uint8Array([1, 2, 3]), 0o640);
  t.same([...readFileSync(join(dir, 'bin'))], [1, 2, 3]);
  t.equal(statSync(join(dir, 'bin')).mode & 0o777, 0o640);
  t.same(readdirSync(dir).sort(), ['all.yaml', 'bin']);
  cleanupTempFiles();
});

t.test('a write that fails is an InputError naming the path; nothing is left behind', async (t) => {
  const dir = t.testdir({});
  mkdirSync(join(dir, 'a-dir'));
  t.throws(() => writeFileAtomic(join(dir, 'a-dir'), 'x'), {
    code: 'HELPER_WRITE_FILE',
    exitCode: 3,
    message: new RegExp(`^cannot write ${join(dir, 'a-dir')}: E`),
  });
  t.throws(() => writeFileAtomic(join(dir, 'missing', 'f'), 'x'), { code: 'HELPER_WRITE_FILE', message: /ENOENT/ });
  t.same(readdirSync(dir), ['a-dir']);
});

t.test('assertWritable names the flag and the problem', async (t) => {
  const dir = t.testdir({ file: 'x' });
  mkdirSync(join(dir, 'd'));
  t.doesNotThrow(() => assertWritable(join(dir, 'new.yaml'), '--output-file'));
  t.throws(() => assertWritable(join(dir, 'nope', 'x'), '--output-file'), {
    message: `--output-file ${join(dir, 'nope', 'x')}: directory ${join(dir, 'nope')} does not exist`,
  });
  t.throws(() => assertWritable(join(dir, 'file', 'x'), '--write-kubeconfig'), { message: /is not a directory$/ });
  t.throws(() => assertWritable(join(dir, 'd'), '--output-file'), { message: /: is a directory$/ });
  writeFileSync(join(dir, 'd', 'keep'), '');
});
