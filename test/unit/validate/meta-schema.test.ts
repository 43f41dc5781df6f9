/**
 * Every JSON Schema in schemas/ is a valid 2020-12 schema that a strict Ajv
 * accepts. At run time helper skips this check (validateSchema: false) to
 * start faster, so it is made here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { newAjv } from '../../../src/validate/ajv.ts';
const dir = new URL('../../../schemas/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));

t.ok(files.length >= 3, `${files.length} schemas`);
for (const file of files) {
  t.test(file, async (t) => {
    // The Ajv helper's validators are compiled with, checking the schema as it compiles.
    const ajv = newAjv({ validateSchema: true });
    const schema = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;
    t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    t.ok(ajv.validateSchema(schema), `valid against the meta-schema: ${ajv.errorsText(ajv.errors)}`);
    t.doesNotThrow(() => ajv.compile(schema), 'compiles in strict mode');
  });
}

t.test('the check can fail: a schema with a misspelt keyword is refused', async (t) => {
  const ajv = newAjv();
  t.throws(() => ajv.compile({ type: 'object', propertiez: {} }), /unknown keyword: "propertiez"/);
  t.notOk(ajv.validateSchema({ type: 'objekt' }));
});
