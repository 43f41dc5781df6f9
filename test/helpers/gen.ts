/**
 * Seeded generators, mutators and independent oracles for the hostile-input
 * tests (test/unit/hostile/). Everything random flows from one 32-bit seed, so
 * a failure is replayed with HELPER_FUZZ_SEED=<seed printed in the test name>.
 */
import type { Test } from 'tap';
import { measure, WorkTally } from './work.ts';
import { stringify } from 'yaml';

export interface Rng {
  /** The seed this generator started from. */
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number;
  bool(p?: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** A new generator whose seed is drawn from this one (one per case). */
  fork(): Rng;
}

/** mulberry32: tiny, fast and good enough to spread test cases. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    seed: seed >>> 0,
    next,
    int: (n) => Math.floor(next() * n),
    range: (min, max) => min + Math.floor(next() * (max - min + 1)),
    bool: (p = 0.5) => next() < p,
    pick: (xs) => {
      if (!xs.length) throw new Error('pick from an empty list');
      return xs[Math.floor(next() * xs.length)]!;
    },
    fork: () => mulberry32(Math.floor(next() * 4294967296)),
  };
  return rng;
}

/**
 * The seed of a fuzz test: HELPER_FUZZ_SEED if set ("random" draws a fresh
 * one), otherwise the file's fixed default so CI runs are repeatable.
 */
export function fuzzSeed(fallback: number): number {
  const env = process.env.HELPER_FUZZ_SEED;
  if (env === undefined || env === '') return fallback >>> 0;
  if (env === 'random') return (Math.random() * 4294967296) >>> 0;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`HELPER_FUZZ_SEED must be a non-negative integer or "random", got ${JSON.stringify(env)}`);
  return n >>> 0;
}

/** How many generated cases to run: HELPER_FUZZ_CASES overrides the file's default. */
export function fuzzCases(fallback: number): number {
  const n = Number(process.env.HELPER_FUZZ_CASES);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

// ---------------------------------------------------------------- strings

export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const DIGITS = '0123456789';
const LABEL_CHARS = `${LOWER}${DIGITS}-`;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/** Characters parsers tend to get wrong, one string each (some are two UTF-16 units). */
export const NASTY_CHARS: readonly string[] = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u3000',
  '\ufeff',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u0301',
  'é',
  'ß',
  'İ',
  'ı',
  '\u212a' /* KELVIN SIGN, lower-cases to k */,
  'ａ',
  'Ω',
  '中',
  '\ufffd',
  '\uffff',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '😀',
  '\ud83d\ude00\u200d\ud83d\udd25',
  '"',
  "'",
  '\\',
  '/',
  '`',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '-',
  '?',
  '<',
  '=',
  '~',
  '$',
  '.',
];

/** Whole strings with a meaning somewhere: YAML 1.1/1.2 scalars, JS property names, numbers that are not. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '  \t',
  '\n',
  '0',
  '-0',
  '00',
  '0755',
  '0o17',
  '0x1F',
  '1_000',
  '1e3',
  '1e999',
  '-1e999',
  '.5',
  '5.',
  '+1',
  'NaN',
  '-NaN',
  'nan',
  '.nan',
  '.NaN',
  'Infinity',
  '-Infinity',
  '.inf',
  '-.inf',
  '9007199254740993',
  '1.7976931348623157e309',
  'null',
  'Null',
  'NULL',
  '~',
  'true',
  'True',
  'false',
  'yes',
  'Yes',
  'no',
  'NO',
  'on',
  'off',
  'y',
  'n',
  '=',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '12:30:45',
  '<<',
  '---',
  '...',
  '- a',
  'a: b',
  '{}',
  '[]',
  '*a',
  '&a x',
  '!!str',
  '!!binary aGk=',
  '!!js/function x',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'then',
  '\ufeff',
  '\u0000',
  '\ud800',
  '\udc00',
  '\ud800\ud800',
  '${HOME}',
  '%s%n',
  '{{.}}',
  '../../../../etc/passwd',
  '<script>',
  "'; --",
  '\\u0000',
  '\\ud800',
];

export function charFrom(rng: Rng, alphabet: string): string {
  return alphabet[rng.int(alphabet.length)]!;
}

export function stringFrom(rng: Rng, alphabet: string, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += charFrom(rng, alphabet);
  return s;
}

/** A short random string: mostly printable ASCII, sometimes nasty characters. */
export function randomString(rng: Rng, maxLen = 24): string {
  const roll = rng.int(10);
  if (roll === 0) return rng.pick(NASTY_STRINGS);
  const len = rng.int(maxLen + 1);
  let s = '';
  for (let i = 0; i < len; i++)
    s += rng.bool(0.15) ? rng.pick(NASTY_CHARS) : charFrom(rng, roll < 5 ? LABEL_CHARS : PRINTABLE);
  return s;
}

/** A string of exactly `bytes` UTF-8 bytes (1 MiB by default) from a small alphabet. */
export function hugeString(bytes = 1 << 20, ch = 'a'): string {
  return ch.repeat(bytes);
}

// ---------------------------------------------------------------- JSON values

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  1e21,
  1e-7,
  2 ** 53 + 1,
  -(2 ** 31),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  123456789,
];

/** A random JSON value with at most `depth` levels of nesting and about `budget` nodes. */
export function randomJson(rng: Rng, depth = 4, budget = { left: 40 }): Json {
  budget.left--;
  const scalar = depth <= 0 || budget.left <= 0 || rng.bool(0.55);
  if (scalar) {
    switch (rng.int(6)) {
      case 0:
        return null;
      case 1:
        return rng.bool();
      case 2:
        return rng.pick(NUMBERS);
      case 3:
        return rng.int(1000) - 500;
      default:
        return randomString(rng);
    }
  }
  const n = rng.int(5);
  if (rng.bool()) return Array.from({ length: n }, () => randomJson(rng, depth - 1, budget));
  const o: Record<string, Json> = {};
  for (let i = 0; i < n; i++)
    setOwn(
      o,
      rng.bool(0.2) ? rng.pick(['__proto__', 'constructor', 'prototype', 'toString']) : randomString(rng, 12),
      randomJson(rng, depth - 1, budget),
    );
  return o;
}

/** Sets an own property even for "__proto__" (plain assignment would change the prototype). */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** A JSON value nested `depth` levels deep, built without recursion. */
export function deepJsonText(depth: number, kind: 'array' | 'object' = 'array', leaf = '1'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** The same, as a value. */
export function deepJson(depth: number, kind: 'array' | 'object' = 'array'): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

type Path = Array<string | number>;

/** Every path to a node of `v` (the root is []). */
export function paths(v: unknown, at: Path = [], out: Path[] = [], limit = 2000): Path[] {
  const stack: Array<[unknown, Path]> = [[v, at]];
  while (stack.length && out.length < limit) {
    const [node, p] = stack.pop()!;
    out.push(p);
    if (Array.isArray(node)) for (const [i, c] of node.entries()) stack.push([c, [...p, i]]);
    else if (node && typeof node === 'object')
      for (const k of Object.keys(node)) stack.push([(node as Record<string, unknown>)[k], [...p, k]]);
  }
  return out;
}

function getAt(v: unknown, p: Path): unknown {
  let cur = v;
  for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

/** A replacement of a different JSON type than `old` (or a nasty value of the same type). */
export function retype(rng: Rng, old: unknown): Json {
  const options: Array<() => Json> = [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => 1.5,
    () => rng.pick(NUMBERS),
    () => '',
    () => rng.pick(NASTY_STRINGS),
    () => randomString(rng),
    () => [],
    () => ({}),
    () => [randomJson(rng, 2)],
    () => ({ [randomString(rng, 6)]: randomJson(rng, 2) }),
    () =>
      typeof old === 'string'
        ? `${old}${rng.pick(NASTY_CHARS)}`
        : old && typeof old === 'object'
          ? '[object Object]'
          : String(old),
    () => (typeof old === 'string' ? old.toUpperCase() : 'NaN'),
    () => (typeof old === 'string' ? old.slice(0, rng.int(old.length + 1)) : 'Infinity'),
    () => (typeof old === 'string' ? old.repeat(rng.range(2, 80)) : '-0'),
  ];
  return rng.pick(options)();
}

/** One to three mutations in a row (mutateJson or mutateText), and what they did, joined by "; ". */
export function mutateRepeatedly<V>(
  rng: Rng,
  start: V,
  mutate: (rng: Rng, v: V) => { next: V; what: string },
): { value: V; what: string } {
  let v = start;
  const whats: string[] = [];
  for (let i = rng.range(1, 3); i > 0; i--) {
    const m = mutate(rng, v);
    v = m.next;
    whats.push(m.what);
  }
  return { value: v, what: whats.join('; ') };
}

/** mutateRepeatedly with mutateJson. */
export const mutateJsonRepeatedly = (rng: Rng, doc: unknown) =>
  mutateRepeatedly(rng, doc, (r, v) => {
    const m = mutateJson(r, v);
    return { next: m.value, what: m.what };
  });

/** mutateRepeatedly with mutateText. */
export const mutateTextRepeatedly = (rng: Rng, text: string) =>
  mutateRepeatedly(rng, text, (r, v) => {
    const m = mutateText(r, v);
    return { next: m.text, what: m.what };
  });

/**
 * One structural mutation of a JSON document (a copy): drop, duplicate or
 * retype a field or item, add an unknown or prototype-polluting key, wrap a
 * value in arrays, swap in a huge string. Returns the copy and what was done.
 */
export function mutateJson(rng: Rng, doc: unknown): { value: unknown; what: string } {
  const root = { r: clone(doc) } as Record<string, unknown>;
  const all = paths(root.r).map((p) => ['r', ...p] as Path);
  const p = rng.pick(all);
  const key = p[p.length - 1]!;
  const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown>;
  const old = parent[key];
  const where = `/${p.slice(1).join('/')}`;
  switch (rng.int(10)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      return { value: root.r, what: `drop ${where}` };
    case 1:
      if (Array.isArray(parent)) {
        parent.splice(key as number, 0, clone(old));
        return { value: root.r, what: `duplicate item ${where}` };
      }
      if (Array.isArray(old)) {
        if (old.length) old.push(clone(old[rng.int(old.length)]));
        return { value: root.r, what: `duplicate an item of ${where}` };
      }
      break;
    case 2: {
      const target = old && typeof old === 'object' && !Array.isArray(old) ? (old as Record<string, unknown>) : parent;
      if (!Array.isArray(target)) {
        const k = rng.pick([
          '__proto__',
          'constructor',
          'prototype',
          'toString',
          'hasOwnProperty',
          randomString(rng, 10),
          '',
          'clusterId',
          'Group',
          'version',
        ]);
        setOwn(target, k, randomJson(rng, 2));
        return { value: root.r, what: `add key ${JSON.stringify(k)} at ${where}` };
      }
      break;
    }
    case 3: {
      let w: unknown = old;
      const n = rng.range(1, 40);
      for (let i = 0; i < n; i++) w = rng.bool() ? [w] : { a: w };
      parent[key] = w;
      return { value: root.r, what: `nest ${where} ${n} levels` };
    }
    case 4:
      parent[key] = rng.bool(0.1)
        ? hugeString(rng.range(1, 4) * 65536, rng.pick(['a', 'é', ' ']))
        : rng.pick(NASTY_STRINGS);
      return { value: root.r, what: `replace ${where} with a nasty string` };
    default:
      break;
  }
  parent[key] = retype(rng, old);
  return { value: root.r, what: `retype ${where}` };
}

/** JSON text of `v` in one of several layouts (compact, indented, CRLF, trailing newline). */
export function jsonText(rng: Rng, v: unknown): string {
  const indent = rng.pick([undefined, 0, 1, 2, 4, '\t']);
  let s = JSON.stringify(v, null, indent) ?? '';
  if (rng.bool(0.2)) s = s.replace(/\n/g, '\r\n');
  if (rng.bool(0.3)) s += '\n';
  if (rng.bool(0.1)) s = ` \n\t${s}  `;
  return s;
}

// ---------------------------------------------------------------- text and byte mutations

/** One textual mutation: insert, delete, duplicate, swap, truncate, BOM, nasty characters. */
export function mutateText(rng: Rng, s: string): { text: string; what: string } {
  const at = rng.int(s.length + 1);
  const len = rng.range(1, Math.max(1, Math.min(40, s.length)));
  switch (rng.int(9)) {
    case 0:
      return { text: s.slice(0, at), what: `truncate at ${at}` };
    case 1:
      return { text: s.slice(0, at) + s.slice(at + len), what: `delete ${len} at ${at}` };
    case 2:
      return { text: s.slice(0, at) + s.slice(at, at + len) + s.slice(at), what: `duplicate ${len} at ${at}` };
    case 3: {
      const ch = rng.pick(NASTY_CHARS);
      return { text: s.slice(0, at) + ch + s.slice(at), what: `insert ${JSON.stringify(ch)} at ${at}` };
    }
    case 4: {
      const ch = rng.pick(NASTY_CHARS);
      return { text: s.slice(0, at) + ch + s.slice(at + 1), what: `replace char ${at} by ${JSON.stringify(ch)}` };
    }
    case 5:
      return { text: `\ufeff${s}`, what: 'BOM' };
    case 6: {
      const tok = rng.pick(NASTY_STRINGS);
      return { text: s.slice(0, at) + tok + s.slice(at), what: `insert ${JSON.stringify(tok)} at ${at}` };
    }
    case 7: {
      const b = rng.int(s.length + 1);
      const [x, y] = at < b ? [at, b] : [b, at];
      return {
        text: s.slice(0, x) + s.slice(y, y + len) + s.slice(x + len, y) + s.slice(x, x + len) + s.slice(y + len),
        what: `swap ${x}/${y}`,
      };
    }
    default: {
      const ch = s[at] ?? 'x';
      const flipped = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
      return { text: s.slice(0, at) + flipped + s.slice(at + 1), what: `case-flip ${at}` };
    }
  }
}

/** Byte sequences that are never valid UTF-8 (overlong, surrogates, out of range, truncated, stray continuation). */
export const INVALID_UTF8: readonly number[][] = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3, 0x28],
  [0xe2, 0x28, 0xa1],
];

/** One byte-level mutation: flip a bit, truncate at a random byte, splice in invalid UTF-8, re-encode. */
export function mutateBytes(rng: Rng, buf: Buffer): { bytes: Buffer; what: string } {
  const at = rng.int(buf.length + 1);
  switch (rng.int(6)) {
    case 0: {
      const b = Buffer.from(buf);
      if (!b.length) return { bytes: b, what: 'empty' };
      const i = Math.min(at, b.length - 1);
      const bit = rng.int(8);
      b[i]! ^= 1 << bit;
      return { bytes: b, what: `flip bit ${bit} of byte ${i}` };
    }
    case 1:
      return { bytes: buf.subarray(0, at), what: `truncate at byte ${at}` };
    case 2: {
      const seq = rng.pick(INVALID_UTF8);
      return {
        bytes: Buffer.concat([buf.subarray(0, at), Buffer.from(seq), buf.subarray(at)]),
        what: `insert ${Buffer.from(seq).toString('hex')} at ${at}`,
      };
    }
    case 3: {
      // Overwrite inside a string value, where a lenient decoder would silently keep going.
      const q = buf.indexOf(0x22, at);
      const i = q >= 0 ? q + 1 : at;
      const seq = rng.pick(INVALID_UTF8);
      return {
        bytes: Buffer.concat([buf.subarray(0, i), Buffer.from(seq), buf.subarray(i)]),
        what: `insert ${Buffer.from(seq).toString('hex')} after the quote at ${i}`,
      };
    }
    case 4: {
      const bom = rng.bool();
      return {
        bytes: Buffer.concat([
          bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0),
          Buffer.from(buf.toString('utf8'), 'utf16le'),
        ]),
        what: `UTF-16LE${bom ? ' with BOM' : ''}`,
      };
    }
    default:
      return { bytes: Buffer.from(buf.toString('utf8'), 'latin1'), what: 'latin1' };
  }
}

// ---------------------------------------------------------------- YAML

/** "Billion laughs": `levels` anchors, each aliasing the previous one `width` times. */
export function yamlAliasBomb(levels = 9, width = 9, key = 'lol'): string {
  const lines = [`${key}0: &a0 "lol"`];
  for (let i = 1; i <= levels; i++)
    lines.push(`${key}${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

/** A block sequence nested `depth` levels on one line ("- - - - x"). */
export function deepYamlBlock(depth: number): string {
  return `${'- '.repeat(depth)}x\n`;
}

/** A flow sequence nested `depth` levels deep. */
export function deepYamlFlow(depth: number): string {
  return `${'['.repeat(depth)}x${']'.repeat(depth)}\n`;
}

// ---------------------------------------------------------------- valid documents

/** A DNS-1123 label of 1..max characters. */
export function dnsLabel(rng: Rng, max = 63, min = 1): string {
  const len = rng.bool(0.05) ? max : rng.range(min, Math.min(max, rng.bool(0.8) ? 12 : max));
  if (len === 1) return charFrom(rng, LOWER + DIGITS);
  return charFrom(rng, LOWER + DIGITS) + stringFrom(rng, LABEL_CHARS, len - 2) + charFrom(rng, LOWER + DIGITS);
}

/** A DNS-1123 subdomain of at most `max` characters (labels may be a single character). */
export function dnsSubdomain(rng: Rng, max = 253): string {
  const labels: string[] = [];
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) labels.push(dnsLabel(rng, rng.bool(0.3) ? 3 : 20));
  let s = labels.join('.');
  if (rng.bool(0.03)) {
    while (s.length < max - 2) s += `.${dnsLabel(rng, Math.min(63, max - s.length - 1))}`;
  }
  return s.length <= max ? s : s.slice(0, max).replace(/[-.]+$/, '') || 'a';
}

/**
 * An API group as kube-bind's CRDs (and so our schemas) accept it: "" or a
 * DNS subdomain whose first label has two or more characters when more
 * labels follow (upstream pattern quirk: "a.io" is refused, "a" is not).
 */
export function apiGroup(rng: Rng, max = 253): string {
  if (rng.bool(0.1)) return '';
  const g = dnsSubdomain(rng, max);
  const [first, ...rest] = g.split('.');
  if (!rest.length || first!.length >= 2) return g;
  const widened = `${first}${charFrom(rng, LOWER + DIGITS)}.${rest.join('.')}`;
  return widened.length <= max ? widened : first!;
}

/** The schema's group rule, written out: see apiGroup. The length limit is binding.json's; the BindingResponse has
 * none. */
export function isApiGroup(s: string, max = 253): boolean {
  if (s === '') return true;
  if (s.length > max) return false;
  const labels = s.split('.');
  return labels.every(hasLabelShape) && (labels.length === 1 || labels[0]!.length >= 2);
}

/** A plural resource name: ^[a-z][-a-z0-9]*[a-z0-9]$, 2..max characters. */
export function resourceName(rng: Rng, max = 63): string {
  const len = rng.bool(0.05) ? max : rng.range(2, Math.min(max, 20));
  return charFrom(rng, LOWER) + stringFrom(rng, LABEL_CHARS, len - 2) + charFrom(rng, LOWER + DIGITS);
}

/** A clusterID: any string with a non-blank character and at most 253 code points. */
export function clusterId(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return dnsLabel(rng);
    case 1:
      return `${randomString(rng, 20)}x`;
    case 2:
      return `${rng.pick(NASTY_CHARS)}${rng.pick(['NaN', '__proto__', '0', '-0', 'null', '\ud800', '😀'])}`;
    case 3:
      return '😀'.repeat(rng.range(1, 253));
    case 4:
      return (
        `${' '.repeat(rng.int(10))}${charFrom(rng, PRINTABLE.slice(1))}` + `${stringFrom(rng, PRINTABLE, rng.int(240))}`
      );
    default:
      return stringFrom(rng, LOWER + DIGITS + '-_.', rng.range(1, 40));
  }
}

export interface BindingDoc {
  clusterID: string;
  apis: Array<{ group: string; resource: string }>;
}

/** A binding.json document valid per schemas/binding.schema.json and the 253-character name rule. */
export function validBinding(rng: Rng): BindingDoc {
  const n = rng.bool(0.05) ? rng.range(13, 200) : rng.range(1, 12);
  const apis: BindingDoc['apis'] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const resource = resourceName(rng);
    const group = apiGroup(rng, 253 - resource.length - 1);
    const k = `${group}/${resource}`;
    if (seen.has(k)) continue;
    seen.add(k);
    apis.push(rng.bool(0.5) ? { group, resource } : ({ resource, group } as { group: string; resource: string }));
  }
  return rng.bool() ? { clusterID: clusterId(rng), apis } : ({ apis, clusterID: clusterId(rng) } as BindingDoc);
}

export interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  'current-context': string;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace: string } }>;
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  [k: string]: unknown;
}

/** A PEM certificate block (its body need not be a real certificate: only the markers are checked). */
export function pemCertificate(rng: Rng): string {
  return (
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(stringFrom(rng, PRINTABLE, 48)).toString('base64')}\n-----END ` +
    `CERTIFICATE-----\n`
  );
}

function entryName(rng: Rng): string {
  // Names stay plain scalars in YAML 1.2 and in js-yaml's default schema alike.
  return rng.bool(0.7)
    ? dnsLabel(rng, 30)
    : `${charFrom(rng, LOWER)}${stringFrom(rng, `${LOWER}${DIGITS}-_@.:/`, rng.int(30))}${charFrom(rng, LOWER)}`;
}

export function serverUrl(rng: Rng): string {
  // A last label of digits only would make the WHATWG URL parser read an (invalid) IPv4 address.
  const host = rng.pick([
    () => `${dnsSubdomain(rng, 50)}.${rng.pick(['com', 'io', 'example', 'local'])}`,
    () => `${rng.int(256)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}`,
    () => '[::1]',
    () => '[fd00::1:2]',
    () => 'localhost',
  ]);
  const port = rng.bool(0.6) ? `:${rng.range(1, 65535)}` : '';
  const path = rng.pick(['', '/', '/k8s/clusters/c-1', '/api/']);
  return `${rng.bool(0.8) ? 'https' : 'http'}://${host()}${port}${path}`;
}

/**
 * A kubeconfig that inspectKubeconfig and @kubernetes/client-node both accept, plus the facts it carries.
 * `binding`: one a backend may send (kube/binding-kubeconfig.ts's allow-list: https servers, token
 * credentials, no TLS settings); the same draws from rng, so other callers' sequences are unchanged.
 */
export function validKubeconfig(
  rng: Rng,
  opts: { binding?: boolean } = {},
): {
  doc: KubeconfigDoc;
  facts: { contextName: string; namespace: string; server: string; clusterName: string; userName: string };
} {
  const distinct = (n: number): string[] => {
    const s = new Set<string>();
    while (s.size < n) s.add(entryName(rng));
    return [...s];
  };
  const clusterNames = distinct(rng.range(1, 3));
  const userNames = distinct(rng.range(1, 3));
  const contextNames = distinct(rng.range(1, 3));
  const clusters = clusterNames.map((name) => {
    const cluster: Record<string, unknown> = { server: serverUrl(rng) };
    if (rng.bool(0.4)) cluster['certificate-authority-data'] = Buffer.from(pemCertificate(rng)).toString('base64');
    if (rng.bool(0.1)) cluster['insecure-skip-tls-verify'] = true;
    if (rng.bool(0.1)) cluster['tls-server-name'] = dnsSubdomain(rng, 60);
    return { name, cluster };
  });
  const users = userNames.map((name) => ({
    name,
    user: rng.bool(0.8)
      ? { token: Buffer.from(stringFrom(rng, PRINTABLE, rng.range(8, 60))).toString('base64url') }
      : { username: 'u', password: stringFrom(rng, LOWER + DIGITS, 12) },
  }));
  const contexts = contextNames.map((name) => ({
    name,
    context: { cluster: rng.pick(clusterNames), user: rng.pick(userNames), namespace: dnsLabel(rng, 63) },
  }));
  const current = rng.pick(contexts);
  const doc: KubeconfigDoc = { 'current-context': current.name, contexts, clusters, users };
  if (rng.bool(0.7)) doc.apiVersion = 'v1';
  if (rng.bool(0.7)) doc.kind = 'Config';
  if (rng.bool(0.3)) doc.preferences = {};
  if (opts.binding) {
    for (const { cluster } of clusters) {
      cluster.server = String(cluster.server).replace(/^http:/, 'https:');
      delete cluster['insecure-skip-tls-verify'];
      delete cluster['tls-server-name'];
    }
    for (const u of users) if (!('token' in u.user)) u.user = { token: `t-${String(u.user.password)}` };
  }
  const server = clusters.find((c) => c.name === current.context.cluster)!.cluster.server as string;
  return {
    doc,
    facts: {
      contextName: current.name,
      namespace: current.context.namespace,
      server,
      clusterName: current.context.cluster,
      userName: current.context.user,
    },
  };
}

/** YAML text of a document in one of several styles (block, flow, JSON, reordered top-level keys). */
export function yamlText(rng: Rng, doc: unknown, version: '1.1' | '1.2' = '1.2'): string {
  switch (rng.int(5)) {
    case 0:
      return `${JSON.stringify(doc)}\n`;
    case 1:
      return stringify(doc, { version, collectionStyle: 'flow' });
    case 2:
      return `# generated\n---\n${stringify(doc, { version, indent: 4, indentSeq: false })}`;
    default:
      return stringify(doc, { version, indent: rng.range(2, 3), lineWidth: 0 });
  }
}

/** A BindingResponse body the backend could send (JSON value), wrapping `kubeconfigText`. */
export function validBindingResponse(rng: Rng, kubeconfigText: string): Record<string, unknown> {
  const requests = Array.from({ length: rng.range(1, 4) }, () => {
    const resources = Array.from({ length: rng.range(1, 3) }, () => {
      const r: Record<string, unknown> = { resource: resourceName(rng) };
      if (rng.bool(0.8)) r.group = apiGroup(rng, 100);
      if (rng.bool(0.5)) r.versions = rng.bool(0.2) ? [] : ['v1', 'v1alpha1'].slice(0, rng.range(1, 2));
      if (rng.bool(0.5)) {
        r.permissionClaims = Array.from({ length: rng.int(3) }, () => ({
          ...(rng.bool() ? { group: rng.bool() ? '' : dnsSubdomain(rng, 40) } : {}),
          resource: rng.pick(['secrets', 'configmaps', 'services']),
          version: 'v1',
          ...(rng.bool(0.3) ? { required: true, selector: { owner: 'Provider' }, extra: randomJson(rng, 2) } : {}),
        }));
      }
      if (rng.bool(0.1)) r.unknownField = randomJson(rng, 2);
      return r;
    });
    const req: Record<string, unknown> = {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceExportRequest',
      spec: { resources },
    };
    if (rng.bool(0.7))
      req.metadata = rng.bool(0.9) ? { name: `${resources[0]!.resource as string}.${dnsSubdomain(rng, 100)}` } : {};
    if (rng.bool(0.2))
      (req.spec as Record<string, unknown>).parameters = { [randomString(rng, 8)]: randomJson(rng, 3) };
    if (rng.bool(0.2)) req.status = {};
    return req;
  });
  const body: Record<string, unknown> = {
    apiVersion: 'klutch.anynines.com/v1alpha1',
    kind: 'BindingResponse',
    kubeconfig: Buffer.from(kubeconfigText).toString('base64'),
    requests,
  };
  if (rng.bool(0.3)) body.authentication = { oauth2CodeGrant: { sessionID: randomString(rng), id: 'x' } };
  if (rng.bool(0.1)) body[`x-${randomString(rng, 6)}`] = randomJson(rng, 2);
  return body;
}

/** Kubernetes objects for a manifest, with the YAML 1.1 text of all of them. */
export function validManifest(rng: Rng): { objects: Array<Record<string, unknown>>; text: string } {
  const objects = Array.from({ length: rng.range(1, 6) }, () => {
    const metadata: Record<string, unknown> = {
      name: rng.bool(0.9) ? dnsSubdomain(rng, 60) : rng.pick(['yes', 'on', '0755', '1e3', 'null', '2001-12-14', '~']),
    };
    if (rng.bool(0.5)) metadata.namespace = dnsLabel(rng, 20);
    if (rng.bool(0.3))
      metadata.labels = {
        [`app.kubernetes.io/${dnsLabel(rng, 10)}`]: rng.pick(['on', 'off', 'yes', '1', dnsLabel(rng, 10)]),
      };
    const o: Record<string, unknown> = {
      apiVersion: rng.pick([
        'v1',
        'apps/v1',
        'apiextensions.k8s.io/v1',
        'klutch.anynines.com/v1alpha1',
        'rbac.authorization.k8s.io/v1',
      ]),
      kind: rng.pick([
        'Namespace',
        'ConfigMap',
        'Secret',
        'CustomResourceDefinition',
        'Deployment',
        'APIServiceBinding',
      ]),
      metadata,
    };
    if (rng.bool(0.6))
      o.data = { [dnsLabel(rng, 10)]: rng.pick([randomString(rng), '0x1F', 'true', '', 'a: b', '- x']) };
    if (rng.bool(0.3)) o.spec = { replicas: rng.int(5), list: [1, 'two', null, { three: 3.5 }], flag: rng.bool() };
    return o;
  });
  const docs = objects.map((o) => stringify(o, { version: '1.1', indent: rng.range(2, 4) }));
  const sep = rng.pick(['---\n', '\n---\n', '--- # next\n']);
  let text = docs.join(sep);
  if (rng.bool(0.3)) text = `---\n${text}`;
  if (rng.bool(0.2)) text += '---\n';
  if (rng.bool(0.1)) text += '...\n';
  return { objects, text };
}

export const DATA_SERVICE_KEYS = [
  'keyvalue',
  'logme2',
  'mariadb',
  'messaging',
  'mongodb',
  'postgresql',
  'prometheus',
  'search',
] as const;

/** A secret reference: env:NAME or file:PATH. */
export function secretRef(rng: Rng): string {
  return rng.bool()
    ? `env:${charFrom(rng, 'ABCXYZ_')}${stringFrom(rng, 'ABCXYZ019_', rng.int(12))}`
    : `file:${rng.pick(['secret', './s/p.txt', '/run/secrets/x', 'with space', 'ü'])}`;
}

/** A control-plane values document valid per schemas/control-plane.schema.json. */
export function validValues(rng: Rng): Record<string, unknown> {
  const host = () => `${dnsSubdomain(rng, 60)}.${rng.pick(['com', 'io', 'example'])}`;
  const url = () => `https://${host()}${rng.pick(['', '/', ':8443', '/osb'])}`;
  const endpoint = () => ({
    url: url(),
    username: rng.bool() ? rng.pick(['admin', 'üser', 'a b']) : secretRef(rng),
    password: secretRef(rng),
    ...(rng.bool(0.3) ? { healthCheckEndpoint: rng.pick(['/v2/healthy', '/osb_ext/v1/healthy', '/']) } : {}),
    ...(rng.bool(0.2) ? { insecureSkipVerify: rng.bool() } : {}),
    ...(rng.bool(0.2) ? { overrideServerName: host() } : {}),
  });
  const services = DATA_SERVICE_KEYS.filter(() => rng.bool(0.3));
  if (!services.length) services.push(rng.pick(DATA_SERVICE_KEYS));
  const backend: Record<string, unknown> = { host: host() };
  if (rng.bool(0.3)) backend.image = `registry.example.com/${dnsLabel(rng, 10)}:v${rng.int(9)}`;
  if (rng.bool(0.3)) backend.externalAddress = url();
  if (rng.bool(0.2)) backend.caCertificate = rng.bool() ? secretRef(rng) : pemCertificate(rng);
  if (rng.bool(0.2)) backend.cookieKeys = { signingKey: secretRef(rng), encryptionKey: secretRef(rng) };
  if (rng.bool(0.3)) backend.namespacePrefix = dnsLabel(rng, 40);
  if (rng.bool(0.2)) backend.prettyName = randomString(rng, 10) || 'x';
  if (rng.bool(0.2)) backend.consumerScope = rng.pick(['Namespaced', 'Cluster']);
  if (rng.bool(0.2)) backend.serviceType = rng.pick(['ClusterIP', 'LoadBalancer']);
  if (rng.bool(0.2)) backend.binderClusterRole = dnsSubdomain(rng, 60);
  if (rng.bool(0.2))
    backend.extraArgs = [
      ...new Set(Array.from({ length: rng.int(4) }, () => `--${dnsLabel(rng, 12)}${rng.bool() ? '=x y' : ''}`)),
    ];
  const tls: Record<string, unknown> = rng.bool()
    ? {
        acme: {
          email: `${dnsLabel(rng, 10)}@${host()}`,
          ...(rng.bool(0.3) ? { server: url() } : {}),
          ...(rng.bool(0.3) ? { issuerName: dnsSubdomain(rng, 30) } : {}),
        },
      }
    : { issuer: { kind: rng.pick(['Issuer', 'ClusterIssuer']), name: dnsSubdomain(rng, 30) } };
  if (rng.bool(0.3)) tls.ingressClass = rng.pick(['nginx', 'traefik', 'é']);
  if (rng.bool(0.3)) tls.secretName = dnsSubdomain(rng, 30);
  const doc: Record<string, unknown> = {
    backend,
    oidc: {
      issuerUrl: url(),
      clientSecret: secretRef(rng),
      ...(rng.bool(0.3) ? { clientId: 'kube-bind' } : {}),
      ...(rng.bool(0.3) ? { callbackUrl: `${url()}/callback` } : {}),
    },
    tls,
    dataServices: Object.fromEntries(
      services.map((n) => [n, { serviceBroker: endpoint(), backupManager: endpoint() }]),
    ),
  };
  if (rng.bool(0.3))
    doc.crossplane = {
      namespace: dnsLabel(rng, 63),
      ...(rng.bool() ? { providerConfigServiceType: rng.bool() } : {}),
      ...(rng.bool(0.3) ? { providerKubernetes: 'xpkg.upbound.io/x/y:v1' } : {}),
    };
  return doc;
}

// ---------------------------------------------------------------- oracles

/** Well-formed UTF-8 per RFC 3629 (no overlongs, no surrogates, nothing above U+10FFFF). */
export function isWellFormedUtf8(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return false;
    const first = b[i + 1];
    if (first === undefined || first < lo || first > hi) return false;
    for (let k = 2; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || x < 0x80 || x > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

/** A DNS-1123 label: 1..63 of [a-z0-9-], starting and ending with [a-z0-9]. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && hasLabelShape(s);
}

function hasLabelShape(s: string): boolean {
  if (s.length < 1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (c !== '-' || i === 0 || i === s.length - 1)) return false;
  }
  return true;
}

/** Length in Unicode code points, the way JSON Schema counts maxLength. */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Canonical standard base64 with padding: decodes, and the unused bits of the last group are zero. */
export function isCanonicalBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  for (let i = 0; i < s.length; i += 4) {
    const q = s.slice(i, i + 4);
    const last = i + 4 === s.length;
    const pad = q.endsWith('==') ? 2 : q.endsWith('=') ? 1 : 0;
    if (pad && !last) return false;
    const body = q.slice(0, 4 - pad);
    if ([...body].some((c) => !B64.includes(c))) return false;
    if (pad === 2 && (B64.indexOf(body[1]!) & 0x0f) !== 0) return false;
    if (pad === 1 && (B64.indexOf(body[2]!) & 0x03) !== 0) return false;
  }
  return true;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An http(s) URL a client can connect to: parses, http: or https:, has a host. */
export function isHttpUrl(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
}

/**
 * Runs `f` and reports its result or the error it threw, with the work it did
 * (test/helpers/work.ts: elements and characters the scanning built-ins
 * touched; a count, not a time, so it does not depend on the machine).
 */
export function attempt<T>(
  f: () => T,
): { ok: true; value: T; work: number } | { ok: false; error: unknown; work: number } {
  const m = measure(f);
  return m.result.ok
    ? { ok: true, value: m.result.value, work: m.work }
    : { ok: false, error: m.result.error, work: m.work };
}

/** The size of a case input in characters (bytes for a Buffer, JSON text for a value), for workBudget. */
export function sizeOf(v: unknown): number {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v.length;
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return 0; // too deep to serialize: the budget's fixed part covers what can be done with it
  }
}

/** A short description of a case input for failure messages. */
export function preview(v: unknown, max = 300): string {
  let s: string;
  if (Buffer.isBuffer(v))
    s = `<Buffer ${v.subarray(0, max / 2).toString('hex')}${v.length > max / 2 ? '…' : ''} (${v.length} bytes)>`;
  else if (typeof v === 'string') s = JSON.stringify(v.length > max ? `${v.slice(0, max)}…(${v.length} chars)` : v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Hostile YAML makes the yaml package warn on every case; the warnings are expected noise in these tests. */
export function silenceYamlWarnings(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    if ((w as Error)?.name === 'YAMLWarning' || /^Keys with collection values/.test(String(w))) return;
    (emitWarning as (...a: unknown[]) => void)(w, ...rest);
  }) as typeof process.emitWarning;
}

/** A valid values file (one data service, secrets as env: references) whose backend.extraArgs is the given YAML flow
 * list body. */
export const valuesWithExtraArgs = (extraArgs: string) => `backend:
  host: bind.example.com
  extraArgs: [${extraArgs}]
oidc:
  issuerUrl: https://idp.example.com/realms/klutch
  clientSecret: env:OIDC_SECRET
tls:
  acme:
    email: ops@example.com
dataServices:
  postgresql:
    serviceBroker: { url: "https://sb.example.com", username: admin, password: env:SB_PASSWORD }
    backupManager: { url: "https://bm.example.com", username: admin, password: env:BM_PASSWORD }
`;

/**
 * The fuzz loop of a text parser's hostile test: `cases` texts from `make`,
 * each parsed within the linear work budget; `accepted` and `rejected` say
 * what is wrong with an outcome (nothing: []). Asserts there is no failure
 * (it stops at 10) and that both outcomes occur (accepted > 1/10 of the cases,
 * rejected > 1/5), and comments the heaviest case.
 */
export function fuzzParser<C extends { what: string; text: string }, V>(
  t: Test,
  o: {
    seed: number;
    cases: number;
    make: (rng: Rng) => C;
    parse: (text: string) => V;
    accepted: (value: V, c: C) => string[];
    rejected: (error: unknown, c: C) => string[];
  },
): void {
  const rng = mulberry32(o.seed);
  const failures: string[] = [];
  const tally = { accepted: 0, rejected: 0 };
  const work = new WorkTally();
  for (let i = 0; i < o.cases && failures.length < 10; i++) {
    const c = o.make(rng.fork());
    const tag = `seed ${o.seed} case ${i} (${c.what}): ${preview(c.text)}`;
    const got = attempt(() => o.parse(c.text));
    work.check(got.work, sizeOf(c.text), tag, failures);
    if (got.ok) tally.accepted++;
    else tally.rejected++;
    for (const why of got.ok ? o.accepted(got.value, c) : o.rejected(got.error, c)) failures.push(`${why}: ${tag}`);
  }
  t.same(failures, [], 'no failures');
  t.ok(
    tally.accepted > o.cases / 10 && tally.rejected > o.cases / 5,
    `both outcomes are exercised: ${JSON.stringify(tally)}`,
  );
  t.comment(work.summary());
}
