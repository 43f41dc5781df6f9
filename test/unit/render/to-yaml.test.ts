import t from 'tap';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import { needsQuotes, toYaml } from '../../../src/render/to-yaml.ts';

const tricky = [
  'on',
  'off',
  'yes',
  'no',
  'y',
  'n',
  'Y',
  'NO',
  'True',
  'null',
  'Null',
  '~',
  '',
  '0123',
  '0o17',
  '0x1F',
  '0b101',
  '1e3',
  '1E3',
  '1_000',
  '12:30',
  '.5',
  '+1',
  '-1',
  '.inf',
  '.NaN',
  '2024-01-01',
  '1.0',
  '<<',
  '=',
  '- a',
  'a: b',
  '#x',
  ' lead',
  'trail ',
  '*ref',
  '&a',
  '!tag',
  '%x',
  '@x',
  '`x',
  '? x',
  '|',
  '>',
  "it's",
  'é',
];

t.test('strings that look like other types survive YAML 1.1 and 1.2 readers', async (t) => {
  const base64 = Buffer.from('apiVersion: v1\nkind: Config\n'.repeat(50)).toString('base64');
  const obj = {
    kind: 'Test',
    values: tricky,
    base64,
    keys: Object.fromEntries(tricky.filter(Boolean).map((k, i) => [k, i])),
  };
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

/** The earlier check, kept as the oracle: a plain scalar is ambiguous if the yaml library (YAML 1.1 or 1.2) reads it as
 * anything but that string. */
function readsAsOther(s: string): boolean {
  for (const version of ['1.1', '1.2'] as const) {
    const doc = parseDocument(s, { version });
    if (doc.errors.length || doc.warnings.length) return true;
    try {
      if (doc.toJS() !== s) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/** A seeded generator, so a failure names a string that fails again. */
function strings(n: number, seed: number): string[] {
  const alphabet = [
    'a',
    'Z',
    '0',
    '1',
    '9',
    ' ',
    ':',
    '-',
    '?',
    '#',
    '&',
    '*',
    '!',
    '|',
    '>',
    "'",
    '"',
    '%',
    '@',
    '`',
    ',',
    '[',
    ']',
    '{',
    '}',
    '~',
    '.',
    '+',
    '_',
    '=',
    '<',
    '\\',
    '/',
    'e',
    'x',
    'o',
    'b',
    'n',
    'y',
    'é',
    '\t',
    '\u0085',
    '\u2028',
    '\ufeff',
    '\u0000',
    '\u007f',
    '😀',
    '\ud800',
  ];
  let x = seed;
  const rnd = (m: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let len = 1 + rnd(7); len > 0; len--) s += alphabet[rnd(alphabet.length)];
    out.push(s);
  }
  return out;
}

const words = [
  'yes',
  'No',
  'ON',
  'off',
  'Y',
  'n',
  'true',
  'FALSE',
  'Null',
  'NULL',
  '~',
  '.inf',
  '-.Inf',
  '.NaN',
  '0x1f',
  '0o17',
  '0b11',
  '017',
  '1_000',
  '12:30:00',
  '1.5e3',
  '+.5',
  '2001-12-14t21:59:43.10-05:00',
  '<<',
  '=',
  '---',
  '...',
  '--- a',
  '- ',
  '-',
  '?',
  ':',
  'a:',
  'a: b',
  'a #b',
  'a#b',
  'a:b',
  '-a',
  '?a',
  ':a',
  '--flag=1',
  'plain words',
];

t.test('needsQuotes quotes every string the YAML 1.1 or 1.2 parser reads as something else', async (t) => {
  const all = [...tricky, ...words, ...strings(20000, 7)];
  const missed = all.filter((s) => !s.includes('\n') && !needsQuotes(s) && readsAsOther(s));
  t.same(missed, [], `checked ${all.length} strings`);
  // And it does not quote ordinary Kubernetes strings.
  for (const s of [
    'klutch-bind',
    'public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0',
    '--metrics-bind-address=:8080',
    'https://1.2.3.4:6443',
    'a b c',
    'é',
  ])
    t.notOk(needsQuotes(s), s);
});

t.test('every string reads back exactly as a value, a key and a sequence item', async (t) => {
  const lines = ['', ' ', 'a', ' a', 'a ', '#x', '- x', 'é😀', '\t', 'x\r', '\u0085'];
  const multi = [
    ...strings(300, 11).map((s, i) => `${s}\n${lines[i % lines.length]}${'\n'.repeat(i % 4)}`),
    '\n',
    '\n\n',
    'a\n',
    'a\n\n',
    '\na',
    ' a\nb',
    'a \nb',
    'a\n b\n',
    '\ud800\nx',
  ];
  const all = [...tricky, ...words, ...strings(2000, 3), ...multi];
  const obj = {
    values: all,
    nested: all.map((s) => [s, { [s]: s }]),
    keys: Object.fromEntries(all.map((s, i) => [s, i])),
  };
  const text = toYaml([obj]);
  const expected = JSON.parse(JSON.stringify(obj)) as unknown;
  for (const version of ['1.1', '1.2'] as const) {
    const docs = parseAllDocuments(text, { version });
    t.equal(docs.length, 1);
    t.same(docs[0]!.errors, [], `YAML ${version}: no errors`);
    t.same(docs[0]!.toJS(), expected, `YAML ${version} round trip of ${all.length} strings`);
  }
});

t.test('literal block scalars for multi-line text; double quotes where a block cannot hold it', async (t) => {
  t.equal(toYaml([{ v: 'a\nb\n' }]), '---\nv: |\n  a\n  b\n');
  t.equal(toYaml([{ v: 'a\nb' }]), '---\nv: |-\n  a\n  b\n');
  t.equal(toYaml([{ v: 'a\n\nb\n\n' }]), '---\nv: |+\n  a\n\n  b\n\n');
  t.equal(toYaml([{ v: ['x\ny\n'] }]), '---\nv:\n  - |\n    x\n    y\n');
  t.equal(toYaml([{ v: ' a\nb' }]), '---\nv: " a\\nb"\n', 'leading blank: quoted');
  t.equal(toYaml([{ v: 'a \nb' }]), '---\nv: "a \\nb"\n', 'trailing blank: quoted');
  t.equal(toYaml([{ v: 'a\tb\nc' }]), '---\nv: "a\\tb\\nc"\n', 'tab: quoted');
});

t.test('collections: nesting, empty ones, null and numbers, long keys', async (t) => {
  t.equal(
    toYaml([{ a: [], b: {}, c: null, d: [[1, 2], [{ x: true }]], e: [{ f: 1, g: [3] }], h: 1.5, u: undefined }]),
    '---\na: []\nb: {}\nc: null\nd:\n  - - 1\n    - 2\n  - - x: true\ne:\n  - f: 1\n    g:\n      - 3\nh: 1.5\n',
  );
  t.equal(toYaml([[]]), '---\n[]\n');
  t.equal(toYaml([{}]), '---\n{}\n');
  const long = 'k'.repeat(1100);
  const text = toYaml([{ [long]: { a: 1 }, list: [{ [long]: 'v' }] }]);
  t.match(text, /^---\n\? "k{1100}"\n:\n {2}a: 1\n/);
  for (const version of ['1.1', '1.2'] as const)
    t.same(parse(text.slice(4), { version }), { [long]: { a: 1 }, list: [{ [long]: 'v' }] });
});
