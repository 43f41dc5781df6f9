/**
 * TypeScript types from schemas/*.json, so that src/types.ts is not written
 * by hand beside the schemas. Run by bin/gen-validators.ts (build, typecheck,
 * prepare) into src/types.generated.ts; test/unit/types.test.ts regenerates
 * in memory and compares.
 *
 * A small converter for the subset of JSON Schema our schemas use: type
 * (also as a list), const, enum, properties/required/additionalProperties,
 * items, oneOf/anyOf as a union, and "#/$defs/<name>" references. Keywords
 * that only narrow a value without changing its TypeScript shape (pattern,
 * lengths, formats, ...) are left out of the type. Any other keyword is an
 * error, so a schema that starts using one fails the build instead of
 * producing a type that is wider or narrower than the schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Schema = boolean | { [keyword: string]: unknown };

interface SchemaNames {
  /** The type of the whole document. */
  root: string;
  /** Types of $defs, by their name there; other $defs are written out where they are referenced. */
  defs?: Record<string, string>;
  /** Types of subschemas, by JSON pointer from the root. */
  at?: Record<string, string>;
}

/**
 * What to name: the type of each schema's root, of some of its $defs and of
 * some subschemas (by JSON pointer). Anything not named here is written out
 * in place, so each named type is one a caller refers to.
 */
export const TYPE_NAMES: Record<string, SchemaNames> = {
  'apply.schema.json': { root: 'ApplyJson', at: { '/properties/items/items': 'ApplyJsonItem' } },
  'binding.schema.json': { root: 'Binding', at: { '/properties/apis/items': 'BindingApi' } },
  'binding-response.schema.json': {
    root: 'BindingResponse',
    defs: { exportRequest: 'ExportRequest', exportResource: 'ExportResource', permissionClaim: 'PermissionClaim' },
  },
  'control-plane.schema.json': {
    root: 'ControlPlaneValues',
    defs: { endpoint: 'EndpointValues', dataService: 'DataServiceValues' },
  },
  'status.schema.json': {
    root: 'BindingStatus',
    at: { '/properties/heartbeat/oneOf/1': 'BindingStatusHeartbeat', '/properties/items/items': 'BindingStatusItem' },
  },
  'unbind.schema.json': { root: 'UnbindJson', at: { '/properties/items/items': 'UnbindJsonAction' } },
  'control-plane-check.schema.json': { root: 'ControlPlaneCheckJson', defs: { item: 'ControlPlaneCheckJsonItem' } },
  'fleet.schema.json': { root: 'FleetSummaryJson', at: { '/properties/items/items': 'FleetSummaryJsonItem' } },
};

/** Keywords that restrict values without changing their type, and annotations. */
const IGNORED = new Set([
  '$schema',
  '$id',
  '$defs',
  'title',
  'description',
  'default',
  'deprecated',
  'examples',
  '$comment',
  'pattern',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
]);
/** Keywords the converter turns into types. */
const HANDLED = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'oneOf',
  'anyOf',
  '$ref',
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

interface Named {
  name: string;
  schema: Schema;
  pointer: string;
}

class Converter {
  readonly out: string[] = [];
  private readonly queue: Named[] = [];
  private readonly emitted = new Set<string>();
  private readonly inlining = new Set<string>();
  private readonly defs: Record<string, Schema>;
  private readonly file: string;
  private readonly names: SchemaNames;

  constructor(file: string, root: Record<string, unknown>, names: SchemaNames) {
    this.file = file;
    this.names = names;
    this.defs = (root.$defs ?? {}) as Record<string, Schema>;
    for (const def of Object.keys(names.defs ?? {})) {
      if (!Object.hasOwn(this.defs, def)) throw new Error(`gen-types: ${file} has no $defs/${def}`);
    }
    this.queue.push({ name: names.root, schema: root, pointer: '' });
  }

  run(): string[] {
    const pointers = new Set(Object.keys(this.names.at ?? {}));
    while (this.queue.length) {
      const next = this.queue.shift()!;
      if (this.emitted.has(next.name)) continue;
      this.emitted.add(next.name);
      pointers.delete(next.pointer);
      this.declaration(next);
    }
    if (pointers.size) throw new Error(`gen-types: ${this.file} has nothing at ${[...pointers].join(', ')}`);
    return this.out;
  }

  private declaration({ name, schema, pointer }: Named): void {
    const doc = docComment(schema, '');
    const body = this.type(schema, pointer, '', true);
    this.out.push(
      body.startsWith('{') ? `${doc}export interface ${name} ${body}` : `${doc}export type ${name} = ${body};`,
    );
  }

  /** The TypeScript type of `s` at `pointer`; a named subschema becomes a reference to its declaration. */
  private type(s: Schema, pointer: string, indent: string, declaring = false): string {
    const named = this.names.at?.[pointer];
    if (named && !declaring) {
      this.queue.push({ name: named, schema: s, pointer });
      return named;
    }
    if (s === true) return 'unknown';
    if (s === false) return 'never';
    for (const k of Object.keys(s)) {
      if (!IGNORED.has(k) && !HANDLED.has(k))
        throw new Error(`gen-types: ${this.file}#${pointer}: unsupported keyword ${JSON.stringify(k)}`);
    }
    if (typeof s.$ref === 'string') {
      const beside = Object.keys(s).filter((k) => k !== '$ref' && HANDLED.has(k));
      if (beside.length) throw new Error(`gen-types: ${this.file}#${pointer}: ${beside.join(', ')} beside $ref`);
      return this.ref(s.$ref, pointer, indent);
    }
    if ('const' in s) return JSON.stringify(s.const);
    if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
    const union = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
    const key = s.oneOf ? 'oneOf' : 'anyOf';
    if (union && !('type' in s) && !('properties' in s)) {
      return union.map((m, i) => parenthesised(this.type(m, `${pointer}/${key}/${i}`, indent))).join(' | ');
    }
    if (union && !union.every(onlyRequires)) {
      throw new Error(
        `gen-types: ${this.file}#${pointer}: ${key} beside type or properties is supported only to require ` +
          `one of the properties`,
      );
    }
    // A oneOf that only requires one property or another leaves them optional in the type.
    if (Array.isArray(s.type))
      return s.type.map((t) => this.type({ ...s, type: t }, pointer, indent, true)).join(' | ');
    switch (s.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'array':
        return s.items === undefined
          ? 'unknown[]'
          : `Array<${this.type(s.items as Schema, `${pointer}/items`, indent)}>`;
      case 'object':
        return this.object(s, pointer, indent);
      case undefined:
        return 'properties' in s ? this.object(s, pointer, indent) : 'unknown';
      default:
        throw new Error(`gen-types: ${this.file}#${pointer}: unsupported type ${JSON.stringify(s.type)}`);
    }
  }

  private ref(ref: string, pointer: string, indent: string): string {
    const def = /^#\/\$defs\/([^/~]+)$/.exec(ref)?.[1];
    if (def === undefined || !Object.hasOwn(this.defs, def))
      throw new Error(`gen-types: ${this.file}#${pointer}: unsupported $ref ${JSON.stringify(ref)}`);
    const name = this.names.defs?.[def];
    if (name === undefined) {
      // Written out in place, a definition that refers to itself would never end; a named one is a reference.
      if (this.inlining.has(def))
        throw new Error(`gen-types: ${this.file}#/$defs/${def} refers to itself: name it in TYPE_NAMES`);
      this.inlining.add(def);
      try {
        return this.type(this.defs[def]!, `/$defs/${def}`, indent);
      } finally {
        this.inlining.delete(def);
      }
    }
    this.queue.push({ name, schema: this.defs[def]!, pointer: `/$defs/${def}` });
    return name;
  }

  private object(s: Record<string, unknown>, pointer: string, indent: string): string {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = new Set((s.required ?? []) as string[]);
    const extra = s.additionalProperties;
    if (!Object.keys(props).length) {
      if (extra === false) return 'Record<string, never>';
      return (
        'Record<string, ' +
        (extra === undefined || extra === true
          ? 'unknown'
          : this.type(extra as Schema, `${pointer}/additionalProperties`, indent)) +
        '>'
      );
    }
    const inner = `${indent}  `;
    const lines = Object.entries(props).map(([k, v]) => {
      const name = IDENTIFIER.test(k) ? k : JSON.stringify(k);
      return (
        `${docComment(v, inner)}${inner}${name}${required.has(k) ? '' : '?'}: ` +
        `${this.type(v, `${pointer}/properties/${k}`, inner)};`
      );
    });
    // Unknown fields are kept (and forwarded), so their type is unknown whatever schema they have.
    if (extra !== false) lines.push(`${inner}[key: string]: unknown;`);
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
}

/** A oneOf/anyOf member of the form {"properties": {"x": true}, "required": ["x"]}. */
function onlyRequires(m: Schema): boolean {
  if (typeof m !== 'object') return false;
  const { properties, required, ...rest } = m;
  return (
    !Object.keys(rest).length &&
    Array.isArray(required) &&
    Object.values((properties ?? {}) as Record<string, unknown>).every((p) => p === true)
  );
}

function parenthesised(t: string): string {
  return t.includes(' | ') && !t.startsWith('{') ? `(${t})` : t;
}

function docComment(s: Schema, indent: string): string {
  if (typeof s !== 'object') return '';
  const text = typeof s.description === 'string' ? s.description.replace(/\*\//g, '*\\/') : '';
  // A JSDoc tag must start a line to be one.
  if (s.deprecated === true)
    return `${indent}/**\n${text ? `${indent} * ${text}\n` : ''}${indent} * @deprecated\n${indent} */\n`;
  return text ? `${indent}/** ${text} */\n` : '';
}

/** The types of the schemas in `dir`, as the text of src/types.generated.ts. */
export function generateTypes(dir: string = fileURLToPath(new URL('../schemas/', import.meta.url))): string {
  const unnamed = readdirSync(dir).filter((f) => f.endsWith('.schema.json') && !Object.hasOwn(TYPE_NAMES, f));
  if (unnamed.length) throw new Error(`gen-types: name the types of ${unnamed.join(', ')} in TYPE_NAMES`);
  const blocks: string[] = [];
  for (const [file, names] of Object.entries(TYPE_NAMES)) {
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    blocks.push(`// schemas/${file}`, ...new Converter(file, schema, names).run().map((d) => `${d}\n`));
  }
  return [
    '// Generated by bin/gen-types.ts (run by bin/gen-validators.ts) from schemas/*.json; do not edit.',
    '// The types of values that passed the schemas; src/types.ts re-exports them.',
    '',
    ...blocks,
  ].join('\n');
}
