/**
 * src/types.ts names the types generated from schemas/ (bin/gen-types.ts →
 * src/types.generated.ts). Here: the generated file is what the generator
 * makes of today's schemas (a schema changed without a rebuild fails), the
 * generator follows a schema change and refuses keywords it cannot express,
 * and, checked by tsc (npm run typecheck), schema-valid documents are
 * assignable to the types, invalid ones are not, and the types agree with
 * the shapes other modules declare for the same documents.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { generateTypes, TYPE_NAMES } from '../../bin/gen-types.ts';
import type { Values } from '../../src/control-plane/values.ts';
import type { KonnectorHeartbeat, StatusOverall, StatusVerdict } from '../../src/status/report.ts';
import type { Binding, BindingResponse, BindingStatus, ControlPlaneValues, ExportRequest } from '../../src/types.ts';
import * as valuesValidator from '../../src/validate/values-validator.generated.ts';
import * as validators from '../../src/validate/validators.generated.ts';
import { repoRoot } from '../helpers/run-cli.ts';

const schemas = join(repoRoot, 'schemas');
const check = (v: unknown) => v as ValidateFunction;

/** true when every A is a B (checked by tsc: a false here does not compile). */
type Assignable<A, B> = [A] extends [B] ? true : false;

t.test('src/types.generated.ts is what the generator makes of schemas/', async (t) => {
  t.equal(
    readFileSync(join(repoRoot, 'src', 'types.generated.ts'), 'utf8'),
    generateTypes(),
    'run "npm run build" to regenerate it',
  );
  t.same(
    Object.keys(TYPE_NAMES).sort(),
    readdirSync(schemas)
      .filter((f) => f.endsWith('.schema.json'))
      .sort(),
    'every schema has its types',
  );
});

/** A copy of schemas/ in a temp dir, with `edit` applied to one schema. */
function editedSchemas(t: Test, file: string, edit: (s: Record<string, any>) => void): string {
  const dir = t.testdir(
    Object.fromEntries(readdirSync(schemas).map((f) => [f, readFileSync(join(schemas, f), 'utf8')])),
  );
  const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, any>;
  edit(s);
  writeFileSync(join(dir, file), JSON.stringify(s));
  return dir;
}

t.test('a schema change changes the types (so the comparison above can fail)', async (t) => {
  const dir = editedSchemas(t, 'binding.schema.json', (s) => {
    s.properties.labels = { description: 'New.', type: 'object', additionalProperties: { type: 'string' } };
    s.required.push('labels');
    s.properties.clusterID.type = ['string', 'null'];
  });
  const text = generateTypes(dir);
  t.not(text, generateTypes());
  t.match(text, /\n  clusterID: string \| null;\n/);
  t.match(text, /\n  \/\*\* New\. \*\/\n  labels: Record<string, string>;\n/);
  t.match(
    generateTypes(
      editedSchemas(t, 'binding-response.schema.json', (s) => {
        s.$defs.permissionClaim.additionalProperties = false;
      }),
    ),
    /export interface PermissionClaim \{\n(?:.*\n)*?  version: string;\n\}/,
    'additionalProperties false: no index signature',
  );
});

t.test('keywords the converter cannot express are refused, not dropped', async (t) => {
  t.throws(
    () =>
      generateTypes(
        editedSchemas(t, 'binding.schema.json', (s) => {
          s.properties.clusterID.allOf = [{ type: 'string' }];
        }),
      ),
    { message: 'gen-types: binding.schema.json#/properties/clusterID: unsupported keyword "allOf"' },
  );
  t.throws(
    () =>
      generateTypes(
        editedSchemas(t, 'binding-response.schema.json', (s) => {
          s.properties.requests.items = { $ref: 'other.json#/x' };
        }),
      ),
    { message: 'gen-types: binding-response.schema.json#/properties/requests/items: unsupported $ref "other.json#/x"' },
  );
  t.throws(
    () =>
      generateTypes(
        editedSchemas(t, 'status.schema.json', (s) => {
          s.properties.counts.oneOf = [{ required: ['ok'] }, { type: 'string' }];
        }),
      ),
    /oneOf beside type or properties is supported only to require one of the properties/,
  );
  t.throws(
    () =>
      generateTypes(
        editedSchemas(t, 'control-plane.schema.json', (s) => {
          s.$defs.image = { type: 'array', items: { $ref: '#/$defs/image' } };
        }),
      ),
    { message: 'gen-types: control-plane.schema.json#/$defs/image refers to itself: name it in TYPE_NAMES' },
  );
  t.throws(
    () =>
      generateTypes(
        editedSchemas(t, 'control-plane.schema.json', (s) => {
          s.properties.backend.properties.image.type = 'string';
        }),
      ),
    { message: 'gen-types: control-plane.schema.json#/properties/backend/properties/image: type beside $ref' },
  );
  const dir = editedSchemas(t, 'binding.schema.json', () => {});
  writeFileSync(join(dir, 'extra.schema.json'), '{}');
  t.throws(() => generateTypes(dir), { message: 'gen-types: name the types of extra.schema.json in TYPE_NAMES' });
});

// Schema-valid documents, typed: tsc refuses them if the types are narrower than the schemas.
const binding = { clusterID: 'c-1', apis: [{ group: '', resource: 'widgets' }] } satisfies Binding;
const request = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  metadata: { name: 'widgets', labels: { a: 'b' } },
  spec: {
    resources: [
      {
        resource: 'widgets',
        permissionClaims: [{ resource: 'secrets', version: 'v1', selector: { owner: 'Provider' } }],
      },
    ],
    extra: 1,
  },
} satisfies ExportRequest;
const response = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  kubeconfig: Buffer.from('apiVersion: v1\n').toString('base64'),
  requests: [request],
  newerField: true,
} satisfies BindingResponse;
const endpoint = { url: 'https://sb.example.com', username: 'admin', password: 'env:PW' };
const values = {
  backend: { host: 'bind.example.com', consumerScope: 'Cluster' },
  oidc: { issuerUrl: 'https://idp.example.com', clientSecret: 'env:S' },
  tls: { issuer: { kind: 'ClusterIssuer', name: 'le' } },
  dataServices: { mariadb: { serviceBroker: endpoint, backupManager: endpoint } },
} satisfies ControlPlaneValues;

t.test('the typed examples are schema-valid (so the type checks above are about valid documents)', async (t) => {
  t.ok(check(validators.binding)(binding), 'binding');
  t.ok(check(validators.bindingResponse)(response), 'bindingResponse');
  t.ok(check(valuesValidator.controlPlaneValues)(values), 'control-plane values');
});

t.test('schema-invalid documents are not assignable (checked by tsc)', async (t) => {
  // @ts-expect-error kind is a const in the schema
  const wrongKind: BindingResponse = { ...response, kind: 'Other' };
  // @ts-expect-error apis is required
  const noApis: Binding = { clusterID: 'c' };
  // @ts-expect-error binding.json allows no unknown field
  const extra: Binding = { ...binding, unknownField: 1 };
  // @ts-expect-error consumerScope is an enum
  const scope: ControlPlaneValues = { ...values, backend: { host: 'h', consumerScope: 'Everywhere' } };
  for (const [doc, name] of [
    [wrongKind, 'bindingResponse'],
    [noApis, 'binding'],
    [extra, 'binding'],
  ] as const) {
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a test loops over the module's validators by name
    t.notOk(check(validators[name])(doc), `the schema refuses it too (${name})`);
  }
  t.notOk(check(valuesValidator.controlPlaneValues)(scope), 'the schema refuses it too (values)');
});

t.test(
  'the shapes other modules declare for schema documents accept every schema-valid one (checked by tsc)',
  async (t) => {
    // control-plane/values.ts' Values and status/report.ts' verdicts and heartbeat are hand-written there.
    const valuesAgree: Assignable<ControlPlaneValues, Values> = true;
    type Json = BindingStatus;
    const statusAgrees: Assignable<
      [Json['verdict'], Json['items'][number]['verdict'], NonNullable<Json['heartbeat']>],
      [StatusOverall, StatusVerdict, KonnectorHeartbeat]
    > = true;
    const narrower: Assignable<{ clusterID: number }, Binding> = false;
    t.same([valuesAgree, statusAgrees, narrower], [true, true, false]);
  },
);
