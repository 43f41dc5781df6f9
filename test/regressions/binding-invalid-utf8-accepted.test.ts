/**
 * Bug: validateBinding decoded binding.json leniently (invalid bytes became
 * U+FFFD) and accepted it, while bootstrap-env POSTs the original bytes: the
 * backend got a document other than the one validated. Found by
 * test/unit/hostile/binding.test.ts (byte mutations).
 */
import t from 'tap';
import { InputError } from '../../src/errors.ts';
import { validateBinding } from '../../src/validate/schemas.ts';

const valid = '{"clusterID":"cluster-1","apis":[{"group":"anynines.com","resource":"backups"}]}';

t.test('invalid UTF-8 inside a string value is an InputError naming the byte', async (t) => {
  const raw = Buffer.concat([
    Buffer.from('{"clusterID":"clu'),
    Buffer.from([0xff]),
    Buffer.from('ster","apis":[{"group":"","resource":"ab"}]}'),
  ]);
  t.throws(() => validateBinding(raw, 'b.json'), {
    constructor: InputError,
    code: 'HELPER_BINDING_JSON',
    exitCode: 3,
    message: 'b.json is not UTF-8 text: invalid byte sequence at byte 17; save it as UTF-8',
  });
  for (const seq of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]]) {
    const bad = Buffer.concat([Buffer.from(valid.slice(0, 20)), Buffer.from(seq), Buffer.from(valid.slice(20))]);
    t.throws(
      () => validateBinding(bad, 'b.json'),
      { code: 'HELPER_BINDING_JSON', message: /not UTF-8 text: invalid byte sequence at byte 20;/ },
      Buffer.from(seq).toString('hex'),
    );
  }
  t.throws(
    () => validateBinding(Buffer.from(valid.replace('cluster-1', 'clüster'), 'latin1'), 'b.json'),
    { code: 'HELPER_BINDING_JSON', message: /at byte 16/ },
    'Latin-1',
  );
});

t.test('real UTF-8, a genuine U+FFFD included, is still accepted; the BOM check still applies', async (t) => {
  t.equal(
    validateBinding(Buffer.from(valid.replace('cluster-1', '\ufffdclüster-😀')), 'b').clusterID,
    '\ufffdclüster-😀',
  );
  t.throws(() => validateBinding(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]), 'b'), {
    code: 'HELPER_BINDING_JSON',
    message: /byte order mark/,
  });
});
