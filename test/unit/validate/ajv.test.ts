/**
 * The one Ajv setup (src/validate/ajv.ts) that every validator is compiled
 * with: all errors at once, strict about schemas, and the ajv-formats formats
 * the values schema relies on.
 */
import t from 'tap';
import { AJV_OPTIONS, newAjv } from '../../../src/validate/ajv.ts';

t.test('every problem is reported, not only the first', async (t) => {
  const v = newAjv().compile({
    type: 'object',
    required: ['a', 'b'],
    properties: { a: {}, b: {}, c: { type: 'string' } },
  });
  t.notOk(v({ c: 1 }));
  t.same(
    v.errors?.map((e) => `${e.instancePath} ${e.message}`),
    [" must have required property 'a'", " must have required property 'b'", '/c must be string'],
  );
});

t.test('strict: a misspelt keyword or an unknown format is an error, not an ignored rule', async (t) => {
  t.throws(() => newAjv().compile({ type: 'string', patern: '^a' }), /unknown keyword: "patern"/);
  t.throws(() => newAjv().compile({ type: 'string', format: 'hostnam' }), /unknown format "hostnam"/);
});

t.test('the formats of schemas/control-plane.schema.json are known and checked', async (t) => {
  const ajv = newAjv();
  const check = (format: string, value: string) => ajv.validate({ type: 'string', format }, value);
  t.ok(check('hostname', 'bind.example.com'));
  t.notOk(check('hostname', 'not a host'));
  t.ok(check('uri', 'https://idp.example.com/realms/k'));
  t.notOk(check('uri', 'no scheme'));
  t.ok(check('email', 'ops@example.com'));
  t.notOk(check('email', 'ops'));
});

t.test('extra options are added to, not instead of, the shared ones', async (t) => {
  const ajv = newAjv({ code: { source: true } });
  t.equal(ajv.opts.allErrors, AJV_OPTIONS.allErrors);
  t.equal(ajv.opts.strict, AJV_OPTIONS.strict);
  t.equal(ajv.opts.code.source, true);
  t.throws(() => ajv.compile({ type: 'string', patern: '^a' }), /unknown keyword/);
});
