/**
 * Pure: the JSON Schemas in schemas/ as the validators are compiled from
 * them (with the Ajv of src/validate/ajv.ts). Used at build time by
 * bin/gen-validators.ts (Ajv standalone code, so no schema is compiled when
 * helper runs) and by the test that checks that code against Ajv compiling
 * the same schemas at run time.
 */

/**
 * The validators: the name each is exported under, its schema file, how the
 * schema is prepared, and the generated module it is written to
 * (src/validate/<module>.generated.ts). The values validator has a module of
 * its own so that bootstrap-env does not load it (nor ajv-formats).
 */
export const VALIDATORS = {
  binding: {
    file: 'binding.schema.json',
    module: 'validators',
    prepare: (s: Record<string, unknown>) => withoutUniqueApis(inlineDefs(s)),
  },
  bindingResponse: {
    file: 'binding-response.schema.json',
    module: 'validators',
    prepare: (s: Record<string, unknown>) => inlineDefs(s),
  },
  // Not inlined: control-plane/values.ts recognises secretRef problems by their schemaPath (#/$defs/secretRef/...).
  controlPlaneValues: {
    file: 'control-plane.schema.json',
    module: 'values-validator',
    prepare: (s: Record<string, unknown>) => s,
  },
} as const;

export type ValidatorName = keyof typeof VALIDATORS;

/**
 * Replaces every "#/$defs/<name>" reference by the definition itself. Ajv
 * compiles a $ref as a call whose errors it appends with Array#concat,
 * copying all errors so far on each failing call: 100,000 bad resources in
 * a BindingResponse took minutes. Inlined, the errors are pushed in place.
 */
export function inlineDefs(schema: Record<string, unknown>): Record<string, unknown> {
  const defs = (schema.$defs ?? {}) as Record<string, unknown>;
  const walk = (node: unknown, depth: number): unknown => {
    if (depth > 64) throw new Error('inlineDefs: recursive $ref');
    if (Array.isArray(node)) return node.map((n) => walk(n, depth + 1));
    if (!node || typeof node !== 'object') return node;
    const { $ref, ...rest } = node as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) out[k] = walk(v, depth + 1);
    if ($ref === undefined) return out;
    const name = typeof $ref === 'string' ? /^#\/\$defs\/([^/~]+)$/.exec($ref)?.[1] : undefined;
    if (name === undefined || !Object.hasOwn(defs, name))
      throw new Error(`inlineDefs: unsupported $ref ${JSON.stringify($ref)}`);
    return { ...(walk(defs[name], depth + 1) as Record<string, unknown>), ...out };
  };
  const { $defs: _defs, ...rest } = schema;
  return walk(rest, 0) as Record<string, unknown>;
}

/**
 * Ajv checks uniqueItems by comparing every pair of items with a recursive
 * deep-equal that calls an item's own toString: quadratic in the number of
 * apis (minutes for a 2 MiB file), a stack overflow on deeply nested items
 * and a TypeError on an item with a "toString" key. validateBinding checks
 * the same rule of binding.schema.json in linear time instead.
 */
export function withoutUniqueApis(schema: Record<string, unknown>): Record<string, unknown> {
  const apis = (schema.properties as Record<string, Record<string, unknown>>).apis!;
  if (apis.uniqueItems !== true) throw new Error('binding.schema.json: expected apis.uniqueItems');
  delete apis.uniqueItems;
  return schema;
}
