import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { InputError } from '../../../src/errors.ts';
import { readKubeconfigFile } from '../../../src/kube/kubeconfig-file.ts';
import { redact } from '../../../src/log.ts';

const dir = t.testdir({});

function problem(path: string, flag?: string): string {
  try {
    readKubeconfigFile(path, flag);
  } catch (err) {
    t.ok(err instanceof InputError, 'an InputError (exit 3)');
    return (err as Error).message;
  }
  return 'no error';
}

t.test('missing, a directory, too large, not UTF-8: each named with the flag and path', async (t) => {
  t.equal(problem(join(dir, 'nope.yaml')), `cannot read --kubeconfig ${join(dir, 'nope.yaml')}: no such file`);
  mkdirSync(join(dir, 'd'));
  t.equal(problem(join(dir, 'd'), '--apply-to'), `cannot read --apply-to ${join(dir, 'd')}: is a directory`);
  const big = join(dir, 'big.yaml');
  writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
  t.equal(problem(big), `--kubeconfig ${big} is 16777217 bytes; the limit is 16 MiB`);
  const latin1 = join(dir, 'latin1.yaml');
  writeFileSync(latin1, Buffer.from('clusters: []\n# caf\xe9\n', 'latin1'));
  t.equal(problem(latin1), `--kubeconfig ${latin1} is not UTF-8 text`);
});

t.test('the credentials in the file are redacted from then on', async (t) => {
  const token = randomBytes(24).toString('hex');
  const key = randomBytes(32).toString('base64');
  const f = join(dir, 'k.yaml');
  writeFileSync(f, `users:\n- name: u\n  user:\n    token: "${token}"\n    client-key-data: ${key}\n`);
  const text = readKubeconfigFile(f);
  t.ok(text.includes(token));
  t.notOk(redact(`error: got ${token} and ${key}`).includes(token));
  t.notOk(redact(`error: got ${token} and ${key}`).includes(key));
});
