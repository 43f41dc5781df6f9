/**
 * Pure: objects → one multi-document YAML stream, as kubectl reads it. Each
 * document starts with a `---` line; the text ends with a newline and uses
 * LF only. Keys keep the order the objects were built in. The values are
 * what JSON can hold (they are taken as JSON.stringify would see them), so
 * no anchors, aliases, tags or flow collections other than `{}` and `[]`.
 *
 * Readers differ: kubectl (sigs.k8s.io/yaml on go-yaml) resolves plain
 * scalars much like YAML 1.1 plus Go number syntax, other tools use YAML 1.2.
 * A string is therefore quoted whenever a YAML 1.1 or 1.2 reader might take
 * it for anything else ("on", "no", "0123", "1e3", "0o17", "null", "~" ...).
 * The check (needsQuotes) is one linear scan per string and errs on the side
 * of quoting: a double-quoted string is a string to every reader.
 *
 * This is a small emitter of its own rather than the yaml library's
 * Document: the library's stringifier and a parse per distinct string to
 * detect ambiguity took most of the time of rendering all.yaml.
 */

/** Serializes the objects as `---`-separated YAML documents that every common reader parses back to the same values. */
export function toYaml(objects: readonly object[]): string {
  let text = '';
  for (const obj of objects) {
    const value = JSON.parse(JSON.stringify(obj)) as unknown;
    const lines: string[] = [];
    if (isCollection(value) && !isEmpty(value)) block(value, 0, lines);
    else lines.push(scalar(value));
    text += `---\n${lines.join('\n')}\n`;
  }
  return text;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Collection = Json[] | { [k: string]: Json };

const isCollection = (v: unknown): v is Collection => typeof v === 'object' && v !== null;
const isEmpty = (v: Collection): boolean => (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);

/** The lines of a non-empty map or sequence whose entries start at column `indent`. */
function block(value: Collection, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !isEmpty(item)) {
        // The item's first line shares the line of its "- ".
        const at = lines.length;
        block(item, indent + 2, lines);
        lines[at] = `${pad}- ${lines[at]!.slice(indent + 2)}`;
      } else {
        entry(`${pad}-`, item, indent, lines);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    // An implicit key is at most 1024 characters long; longer ones take the explicit "? key" form.
    let k = key;
    if (key.length > 1024) {
      lines.push(`${pad}? ${quoted(key)}`);
      k = '';
    } else if (needsQuotes(key) || key.includes('\n')) k = quoted(key);
    entry(`${pad}${k}:`, item, indent, lines);
  }
}

/** One map entry or sequence item: `head` is `<indent>key:` or `<indent>-`. */
function entry(head: string, item: Json, indent: number, lines: string[]): void {
  if (isCollection(item) && !isEmpty(item)) {
    lines.push(head);
    // Sequences in maps are indented, as kubectl and the yaml library write them.
    block(item, indent + 2, lines);
  } else if (typeof item === 'string' && literalOk(item)) {
    literal(head, item, indent + 2, lines);
  } else {
    lines.push(`${head} ${scalar(item)}`);
  }
}

function scalar(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return needsQuotes(v) || v.includes('\n') ? quoted(v) : v;
  if (Array.isArray(v)) return '[]';
  return '{}';
}

/**
 * Words some reader resolves to a boolean or null (YAML 1.1: y/n/yes/no/on/off/true/false in
 * any of their spellings, null; YAML 1.2 and Go: true/false/null). Compared in lower case, so
 * odd spellings like "yEs" are quoted too.
 */
const KEYWORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null']);

/** Indicators that may not start a plain scalar; `-`, `?` and `:` only when a blank or the end follows (checked apart).
 * */
const INDICATOR_START = /^[[\]{},#&*!|>'"%@`]/;

/**
 * Anything that starts like a number in YAML 1.1, 1.2 or Go: decimal, 0x/0o/0b, octal, `1_000`,
 * sexagesimal `12:30`, `.5`, `+1`, timestamps `2024-01-01`, and `.inf`/`.nan` in any case.
 */
const NUMERIC_START = /^[-+]?(?:[0-9]|\.[0-9]|\.(?:inf|nan)$)/i;

/**
 * False only if every YAML 1.1 and 1.2 reader (and go-yaml) reads the single-line string `s`,
 * written plain, back as the string `s`. Multi-line strings are never plain: they become
 * literal block scalars or double-quoted strings.
 */
export function needsQuotes(s: string): boolean {
  if (s === '' || s === '~' || s === '<<' || s === '=') return true;
  if (s.length <= 5 && KEYWORDS.has(s.toLowerCase())) return true;
  if (INDICATOR_START.test(s) || NUMERIC_START.test(s)) return true;
  if (s.startsWith('---') || s.startsWith('...')) return true;
  const first = s[0]!;
  if ((first === '-' || first === '?' || first === ':') && (s.length === 1 || s[1] === ' ')) return true;
  const last = s[s.length - 1]!;
  if (first === ' ' || last === ' ' || last === ':') return true;
  // One pass: printable characters only; ": " and " #" would end a plain scalar.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a /* : */ && s.charCodeAt(i + 1) === 0x20) return true;
    if (c === 0x23 /* # */ && s.charCodeAt(i - 1) === 0x20) return true;
    const w = special(s, i);
    if (w < 0) return true;
    i += w - 1;
  }
  return false;
}

/**
 * How many code units the printable character at `i` spans (1, or 2 for a surrogate pair), or
 * -1 if it must be escaped: C0 and C1 controls (tab and line feed included), DEL, the line and
 * paragraph separators and NEL (YAML 1.1 line breaks), the BOM, U+FFFE/U+FFFF, lone surrogates.
 */
function special(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0x20 && c < 0x7f) return 1;
  if (c < 0xa0) return -1;
  if (c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) return -1;
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    return d >= 0xdc00 && d <= 0xdfff ? 2 : -1;
  }
  if (c >= 0xdc00 && c <= 0xdfff) return -1;
  return 1;
}

/** A double-quoted scalar: JSON's escapes (all valid in YAML) plus \uXXXX for whatever YAML does not allow raw. */
export function quoted(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x0a) esc = '\\n';
    else if (c === 0x09) esc = '\\t';
    else if (c === 0x0d) esc = '\\r';
    else {
      const w = special(s, i);
      if (w === 2) {
        i++;
        continue;
      }
      if (w < 0) esc = `\\u${c.toString(16).padStart(4, '0')}`;
    }
    if (esc !== undefined) {
      out += s.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return `${out}${s.slice(from)}"`;
}

/**
 * Whether a multi-line string can be a literal block scalar that reads back exactly: printable
 * characters (no tabs or carriage returns), no line ending in a blank, some line with text, and
 * the first such line not starting with a blank (that would need an indentation indicator).
 */
function literalOk(s: string): boolean {
  if (!s.includes('\n')) return false;
  let lineStart = true;
  let sawText = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a) {
      if (i > 0 && s.charCodeAt(i - 1) === 0x20) return false;
      lineStart = true;
      continue;
    }
    if (lineStart && !sawText && c === 0x20) return false;
    lineStart = false;
    sawText = true;
    const w = special(s, i);
    if (w < 0) return false;
    i += w - 1;
  }
  return sawText && s.charCodeAt(s.length - 1) !== 0x20;
}

/** `head |` (one final newline), `|-` (none) or `|+` (several), then the lines at `indent`. */
function literal(head: string, s: string, indent: number, lines: string[]): void {
  let trailing = 0;
  while (trailing < s.length && s.charCodeAt(s.length - 1 - trailing) === 0x0a) trailing++;
  lines.push(`${head} |${trailing === 0 ? '-' : trailing === 1 ? '' : '+'}`);
  const pad = ' '.repeat(indent);
  const body = trailing ? s.slice(0, -1) : s;
  for (const line of body.split('\n')) lines.push(line ? pad + line : '');
}
