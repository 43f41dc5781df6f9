import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml } from '../../../src/render/to-yaml.ts';

const tricky = [
  'on', 'off', 'yes', 'no', 'y', 'n', 'Y', 'NO', 'True', 'null', 'Null', '~', '', '0123', '0o17', '0x1F', '0b101',
  '1e3', '1E3', '1_000', '12:30', '.5', '+1', '-1', '.inf', '.NaN', '2024-01-01', '1.0', '<<', '=',
  '- a', 'a: b', '#x', ' lead', 'trail ', '*ref', '&a', '!tag', '%x', '@x', '`x', '? x', '|', '>', "it's", 'é',
];

t.test('strings that look like other types survive YAML 1.1 and 1.2 readers', async (t) => {
  const base64 = Buffer.from('apiVersion: v1\nkind: Config\n'.repeat(50)).toString('base64');
  const obj = { kind: 'Test', values: tricky, base64, keys: Object.fromEntries(tricky.filter(Boolean).map((k, i) => [k, i])) };
  const text = toYaml([obj]);
  for (const version of ['1.1', '1.2'] as const) {
    const docs = parseAllDocuments(text, { version });
    t.equal(docs.length, 1);
    const back = docs[0]!.toJS() as typeof obj;
    t.same(back, obj, `YAML ${version} round trip`);
    t.equal(back.base64, base64);
  }
  t.match(text, /^ {2}- "on"$/m);
  t.match(text, /^ {2}- "0o17"$/m, '1.2 octal quoted too');
  t.match(text, /^ {2}"yes": 2$/m, 'keys are quoted as well');
});

t.test('multi-document layout', async (t) => {
  t.equal(toYaml([]), '');
  const text = toYaml([{ a: 1 }, { b: 'x' }]);
  t.equal(text, '---\na: 1\n---\nb: x\n');
  t.notMatch(text, /\r/);
  t.notMatch(text, /%YAML/, 'no directive');
});

t.test('no folding, key order kept, shared objects written out twice', async (t) => {
  const long = 'word '.repeat(60).trim();
  const shared = { x: 1 };
  const text = toYaml([{ z: long, a: shared, m: shared }]);
  t.equal(text, `---\nz: ${long}\na:\n  x: 1\nm:\n  x: 1\n`);
  t.same(parse(text.slice(4)), { z: long, a: { x: 1 }, m: { x: 1 } });
});

t.test('multi-line strings are block scalars that read back exactly', async (t) => {
  const value = 'line one\n  indented: yes\nlast\n';
  const text = toYaml([{ v: value }]);
  t.match(text, /v: \|/);
  t.equal((parse(text.slice(4), { version: '1.1' }) as { v: string }).v, value);
});
