/**
 * prepare.ts: how a schema is changed before it is compiled (inlined $defs,
 * binding.json's uniqueItems left to validateBinding), and the list of
 * validators the build generates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { newAjv } from '../../../src/validate/ajv.ts';
import { inlineDefs, VALIDATORS, withoutUniqueApis } from '../../../src/validate/prepare.ts';
import { repoRoot } from '../../helpers/run-cli.ts';

const schemaFile = (file: string) =>
  JSON.parse(readFileSync(join(repoRoot, 'schemas', file), 'utf8')) as Record<string, unknown>;

t.test('inlineDefs puts each definition where it is referenced, nested ones too, and drops $defs', async (t) => {
  const schema = {
    type: 'object',
    properties: {
      a: { $ref: '#/$defs/name', description: 'A.' },
      list: { type: 'array', items: { $ref: '#/$defs/pair' } },
    },
    $defs: {
      name: { type: 'string', minLength: 1 },
      pair: { type: 'object', properties: { left: { $ref: '#/$defs/name' } } },
    },
  };
  const before = structuredClone(schema);
  t.same(inlineDefs(schema), {
    type: 'object',
    properties: {
      a: { type: 'string', minLength: 1, description: 'A.' },
      list: { type: 'array', items: { type: 'object', properties: { left: { type: 'string', minLength: 1 } } } },
    },
  });
  t.same(schema, before, 'the input is not changed');
});

t.test('a keyword beside $ref wins over the definition', async (t) => {
  t.same(
    inlineDefs({
      properties: { x: { $ref: '#/$defs/d', maxLength: 5 } },
      $defs: { d: { type: 'string', maxLength: 9 } },
    }),
    { properties: { x: { type: 'string', maxLength: 5 } } },
  );
});

t.test('references inlineDefs cannot resolve are refused', async (t) => {
  t.throws(() => inlineDefs({ items: { $ref: '#/$defs/missing' }, $defs: {} }), {
    message: 'inlineDefs: unsupported $ref "#/$defs/missing"',
  });
  t.throws(() => inlineDefs({ items: { $ref: 'other.json' } }), {
    message: 'inlineDefs: unsupported $ref "other.json"',
  });
  t.throws(
    () => inlineDefs({ items: { $ref: '#/$defs/loop' }, $defs: { loop: { items: { $ref: '#/$defs/loop' } } } }),
    { message: 'inlineDefs: recursive $ref' },
  );
});

t.test('an inlined schema reports the same problems as the schema itself', async (t) => {
  const raw = schemaFile('binding-response.schema.json');
  const a = newAjv().compile(raw);
  const b = newAjv().compile(inlineDefs(raw));
  const doc = {
    apiVersion: 'x',
    kind: 'BindingResponse',
    kubeconfig: '',
    requests: [
      {
        apiVersion: 'klutch.anynines.com/v1alpha1',
        kind: 'APIServiceExportRequest',
        spec: { resources: [{ resource: 'A', permissionClaims: [{}] }] },
      },
    ],
  };
  const problems = (v: typeof a) => (v(doc) ? [] : v.errors!.map((e) => `${e.instancePath} ${e.message}`));
  t.ok(problems(a).length >= 5, problems(a).join('; '));
  t.same(problems(b), problems(a));
});

t.test('withoutUniqueApis drops only apis.uniqueItems, and insists it is there', async (t) => {
  const schema = schemaFile('binding.schema.json');
  const apis = (schema.properties as Record<string, Record<string, unknown>>).apis!;
  const { uniqueItems: _u, ...rest } = apis;
  const prepared = withoutUniqueApis(structuredClone(schema));
  t.same((prepared.properties as Record<string, unknown>).apis, rest);
  t.same({ ...prepared, properties: {} }, { ...schema, properties: {} }, 'nothing else changes');
  t.throws(() => withoutUniqueApis(prepared), { message: 'binding.schema.json: expected apis.uniqueItems' });
});

t.test('every validator names a schema in schemas/; those prepared with inlineDefs keep no $ref', async (t) => {
  for (const [name, v] of Object.entries(VALIDATORS)) {
    const prepared = v.prepare(schemaFile(v.file));
    t.equal(typeof prepared.$id, 'string', `${name}: ${v.file} has an $id`);
    const refs = JSON.stringify(prepared).includes('"$ref"');
    t.equal(refs, name === 'controlPlaneValues', `${name}: ${refs ? 'keeps' : 'has no'} $ref`);
  }
});
