/**
 * The one Ajv setup: the options and formats every validator of helper is
 * compiled with. Build time only (bin/gen-validators.ts turns the compiled
 * validators into standalone code) and tests (which compile the same schemas
 * at run time to compare); helper itself never loads the Ajv compiler.
 */
import { Ajv2020, type Options } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';

type FormatsPlugin = typeof formatsModule.default;
const addFormats =
  (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);

/**
 * allErrors: every problem is reported at once. strict: a misspelt keyword in
 * a schema is an error, not a silently ignored rule. validateSchema: false,
 * because test/unit/validate/meta-schema.test.ts checks every schema against
 * the 2020-12 meta-schema instead of each compile.
 */
export const AJV_OPTIONS = { allErrors: true, strict: true, validateSchema: false } as const satisfies Options;

/** A 2020-12 Ajv with AJV_OPTIONS (plus `extra`) and the ajv-formats formats (hostname, uri, email, ...). */
export function newAjv(extra: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...extra });
  addFormats(ajv);
  return ajv;
}
