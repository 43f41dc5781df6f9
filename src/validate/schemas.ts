/**
 * Pure: unknown input → typed value, or one error listing every problem as
 * "<JSON path>: <what is wrong>". The JSON Schemas in schemas/ are the
 * contract; Ajv compiles them at build time (bin/gen-validators.ts), so no
 * schema is compiled when helper runs.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { BackendError, InputError } from '../errors.ts';
import type { Binding, BindingResponse } from '../types.ts';
import * as generated from './validators.generated.ts';

/** Longest problem list shown; a garbage document would otherwise produce thousands of lines. */
const MAX_PROBLEMS = 25;

/** The APIServiceBinding/APIServiceExport name <resource>.<group> is a DNS subdomain. */
const MAX_OBJECT_NAME = 253;

// Compiled at build time (bin/gen-validators.ts) from the schemas as src/validate/prepare.ts prepares them.
const bindingValidator = generated.binding as unknown as ValidateFunction<Binding>;
const bindingResponseValidator = generated.bindingResponse as unknown as ValidateFunction<BindingResponse>;

/** Formats Ajv errors as "<path>: <message>" lines, with the allowed values where Ajv leaves them out. */
export function formatSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  // A Set: a list's includes() made 60,000 problems take half a minute.
  const lines = new Set<string>();
  for (const e of errors ?? []) {
    const path = e.instancePath || '/';
    const p = e.params as Record<string, unknown>;
    let msg = e.message ?? e.keyword;
    if (e.keyword === 'enum') msg += ` (${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
    else if (e.keyword === 'const') msg += ` ${JSON.stringify(p.allowedValue)}`;
    else if (e.keyword === 'uniqueItems')
      msg = `must NOT have duplicate items (${path}/${String(p.j)} and ${path}/${String(p.i)} are identical)`;
    else if (e.keyword === 'additionalProperties')
      msg = `must NOT have additional property ${JSON.stringify(p.additionalProperty)}`;
    lines.add(`${path}: ${msg}`);
  }
  return [...lines];
}

function capped(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), `(${problems.length - MAX_PROBLEMS} more problems not shown)`];
}

/** Parses and validates binding.json; throws InputError (HELPER_BINDING_JSON or HELPER_BINDING_INVALID) naming
 * `source`. */
export function validateBinding(raw: Buffer | string, source: string): Binding {
  const text = typeof raw === 'string' ? raw : decodeUtf8(raw, source);
  const value = parseJson(text, source);
  const validate = bindingValidator;
  const problems = validate(value) ? [] : formatSchemaErrors(validate.errors);
  problems.push(...duplicateApiProblems(value), ...nameLengthProblems(value));
  if (problems.length)
    throw new InputError('HELPER_BINDING_INVALID', `${source} is not a valid binding`, capped(problems));
  return value as Binding;
}

/** Validates the backend's parsed 200 body; throws BackendError HELPER_BACKEND_RESPONSE_INVALID listing every problem.
 * */
export function validateBindingResponse(body: unknown): BindingResponse {
  const validate = bindingResponseValidator;
  if (validate(body)) return body;
  const problems = capped(formatSchemaErrors(validate.errors));
  throw new BackendError(
    'HELPER_BACKEND_RESPONSE_INVALID',
    `the backend's 200 response is not a valid BindingResponse\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
}

/** The uniqueItems rule of binding.schema.json's apis, in linear time (see withoutUniqueApis in prepare.ts). */
function duplicateApiProblems(value: unknown): string[] {
  const apis = (value as { apis?: unknown } | null)?.apis;
  if (!Array.isArray(apis)) return [];
  const first = new Map<string, number>();
  for (let i = 0; i < apis.length; i++) {
    const item: unknown = apis[i];
    // Only objects of strings can be valid items; whether invalid ones repeat does not change the verdict.
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const entries = Object.entries(item);
    if (entries.some(([, v]) => typeof v !== 'string')) continue;
    const key = JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const j = first.get(key);
    if (j !== undefined) return [`/apis: must NOT have duplicate items (/apis/${j} and /apis/${i} are identical)`];
    first.set(key, i);
  }
  return [];
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file is POSTed as is, so it must be the UTF-8 text we validate, not a lossy decoding of it. */
function decodeUtf8(raw: Buffer, source: string): string {
  try {
    return utf8.decode(raw);
  } catch (err) {
    const lossy = raw.toString('utf8');
    let offset = 0;
    for (const ch of lossy) {
      if (ch === '\ufffd' && !(raw[offset] === 0xef && raw[offset + 1] === 0xbf && raw[offset + 2] === 0xbd)) break;
      offset += Buffer.byteLength(ch);
    }
    throw new InputError(
      'HELPER_BINDING_JSON',
      `${source} is not UTF-8 text: invalid byte sequence at byte ${offset}; save it as UTF-8`,
      [],
      { cause: err },
    );
  }
}

function nameLengthProblems(value: unknown): string[] {
  const apis = (value as { apis?: unknown } | null)?.apis;
  if (!Array.isArray(apis)) return [];
  const problems: string[] = [];
  apis.forEach((api: unknown, i) => {
    const { group, resource } = (api ?? {}) as { group?: unknown; resource?: unknown };
    if (typeof group !== 'string' || typeof resource !== 'string') return;
    const name = group ? `${resource}.${group}` : resource;
    if (name.length > MAX_OBJECT_NAME) {
      problems.push(
        `/apis/${i}: the name "<resource>.<group>" is ${name.length} characters; it names the ` +
          `APIServiceBinding and must be at most ${MAX_OBJECT_NAME}`,
      );
    }
  });
  return problems;
}

function parseJson(text: string, source: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new InputError(
      'HELPER_BINDING_JSON',
      `${source} starts with a byte order mark (BOM); save it as UTF-8 without BOM (the backend rejects it)`,
    );
  }
  if (!text.trim())
    throw new InputError(
      'HELPER_BINDING_JSON',
      `${source} is empty; expected a JSON object like {"clusterID": "...", "apis": [...]}`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // V8 gives a position for some syntax errors only; find it ourselves for the others.
    const detail = String((err as Error).message)
      .replace(/ in JSON at position \d+(?: \(line \d+ column \d+\))?$/, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '');
    const m = /at position (\d+)/.exec(String((err as Error).message));
    const offset = m ? Number(m[1]) : syntaxErrorOffset(text);
    const where = offset >= 0 ? ` at line ${lineColumn(text, offset)}` : '';
    throw new InputError('HELPER_BINDING_JSON', `${source} is not valid JSON${where}: ${detail}`, [], { cause: err });
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}, column ${column} (position ${offset})`;
}

/** The offset of the first JSON syntax error in `s`, or -1 if none is found. */
function syntaxErrorOffset(s: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const str = (): void => {
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        const e = s[++i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) fail();
          i += 5;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail();
        i++;
        continue;
      }
      i++;
    }
    fail();
  };
  const num = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (s[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (s[i] !== '"') fail();
          str();
          ws();
          if (s[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      str();
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (s.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    num.lastIndex = i;
    if (num.exec(s)) {
      i = num.lastIndex;
      return;
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < s.length) fail();
    return -1;
  } catch (e) {
    if (typeof e === 'number') return e;
    return -1; // RangeError: nesting too deep for this scanner
  }
}
