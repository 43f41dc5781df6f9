import t from 'tap';
import { type BackendError, InputError } from '../../../src/errors.ts';
import { validateBinding, validateBindingResponse } from '../../../src/validate/schemas.ts';

// The binding.json example of the Klutch v1.4.0 setup guide.
const docsExample = `{
"clusterID": "dummy-",
"apis": [
{ "group": "anynines.com", "resource": "logme2instances" },
{ "group": "anynines.com", "resource": "mariadbinstances" },
{ "group": "anynines.com", "resource": "messaginginstances" },
{ "group": "anynines.com", "resource": "mongodbinstances" },
{ "group": "anynines.com", "resource": "postgresqlinstances" },
{ "group": "anynines.com", "resource": "prometheusinstances" },
{ "group": "anynines.com", "resource": "searchinstances" },
{ "group": "anynines.com", "resource": "servicebindings" },
{ "group": "anynines.com", "resource": "backups" },
{ "group": "anynines.com", "resource": "restores" }
]
}
`;

function problemsOf(input: string | object): string[] {
  const raw = typeof input === 'string' ? input : JSON.stringify(input);
  try {
    validateBinding(Buffer.from(raw), 'binding.json');
  } catch (err) {
    if (err instanceof InputError) return [...err.problems];
    throw err;
  }
  throw new Error('expected an InputError');
}

t.test('accepts the documented example with all 10 APIs', async (t) => {
  const b = validateBinding(Buffer.from(docsExample), 'binding.json');
  t.equal(b.clusterID, 'dummy-');
  t.equal(b.apis.length, 10);
  t.same(b.apis[4], { group: 'anynines.com', resource: 'postgresqlinstances' });
  t.same(
    validateBinding('{"clusterID":"c","apis":[{"group":"","resource":"secrets"}]}', 'x').apis,
    [{ group: '', resource: 'secrets' }],
    'core group',
  );
});

t.test('bad JSON is HELPER_BINDING_JSON with the position', async (t) => {
  t.throws(() => validateBinding('{"clusterID": "a",\n  "apis": [}', 'my.json'), {
    code: 'HELPER_BINDING_JSON',
    exitCode: 3,
    message: /^my\.json is not valid JSON at line 2, column 12 \(position 30\): Unexpected token '}'$/,
  });
  // V8 reports no position for this one; the scanner finds it.
  t.throws(() => validateBinding('{"clusterID": tru}', 'my.json'), {
    code: 'HELPER_BINDING_JSON',
    message: /at line 1, column 15 .*Unexpected token/,
  });
  t.throws(() => validateBinding('{"a":1} x', 'my.json'), { code: 'HELPER_BINDING_JSON', message: /line 1, column 9/ });
  t.throws(() => validateBinding('{"a":"\\q"}', 'my.json'), {
    code: 'HELPER_BINDING_JSON',
    message: /line 1, column 8/,
  });
  t.throws(() => validateBinding('{"a":"\\u12G4"}', 'my.json'), {
    code: 'HELPER_BINDING_JSON',
    message: /line 1, column 11/,
  });
  t.throws(() => validateBinding('{"a" "b"}', 'my.json'), { code: 'HELPER_BINDING_JSON', message: /line 1, column 6/ });
  t.throws(() => validateBinding(' \n', 'my.json'), {
    code: 'HELPER_BINDING_JSON',
    exitCode: 3,
    message: /my\.json is empty/,
  });
  t.throws(() => validateBinding('\uFEFF{}', 'my.json'), { code: 'HELPER_BINDING_JSON', message: /byte order mark/ });
});

t.test('invalid bindings list every problem with its JSON path', async (t) => {
  const cases: Array<[string, string | object, string[]]> = [
    ['empty object', {}, ["/: must have required property 'clusterID'", "/: must have required property 'apis'"]],
    ['not an object', [], ['/: must be object']],
    [
      'blank clusterID',
      { clusterID: ' \t', apis: [{ group: 'anynines.com', resource: 'backups' }] },
      ['/clusterID: must match pattern "\\S"'],
    ],
    ['empty apis', { clusterID: 'c', apis: [] }, ['/apis: must NOT have fewer than 1 items']],
    [
      'wrong resource pattern',
      { clusterID: 'c', apis: [{ group: 'anynines.com', resource: 'Postgresql_Instances' }] },
      ['/apis/0/resource: must match pattern "^[a-z][-a-z0-9]*[a-z0-9]$"'],
    ],
    [
      'uppercase group',
      { clusterID: 'c', apis: [{ group: 'AnyNines.com', resource: 'backups' }] },
      [/^\/apis\/0\/group: must match pattern "\^\(\|\[a-z0-9\]/.source],
    ],
    [
      'duplicate apis',
      {
        clusterID: 'c',
        apis: [
          { group: 'gg.io', resource: 'rs' },
          { resource: 'rs', group: 'gg.io' },
        ],
      },
      ['/apis: must NOT have duplicate items (/apis/0 and /apis/1 are identical)'],
    ],
    [
      'unknown top-level field',
      { clusterId: 'c', clusterID: 'c', apis: [{ group: 'gg.io', resource: 'rs' }] },
      ['/: must NOT have additional property "clusterId"'],
    ],
    [
      'unknown item field',
      { clusterID: 'c', apis: [{ group: 'gg.io', resource: 'rs', version: 'v1' }] },
      ['/apis/0: must NOT have additional property "version"'],
    ],
    ['missing group', { clusterID: 'c', apis: [{ resource: 'rs' }] }, ["/apis/0: must have required property 'group'"]],
    [
      'non-string types',
      { clusterID: 42, apis: [{ group: null, resource: ['x'] }, 'backups'] },
      [
        '/clusterID: must be string',
        '/apis/0/group: must be string',
        '/apis/0/resource: must be string',
        '/apis/1: must be object',
      ],
    ],
    ['apis not an array', { clusterID: 'c', apis: { group: 'g', resource: 'r' } }, ['/apis: must be array']],
  ];
  for (const [name, input, want] of cases) {
    const got = problemsOf(input);
    if (name === 'uppercase group') t.match(got, [new RegExp(want[0]!)], name);
    else t.same(got, want, name);
    for (const p of got) t.match(p, /^\/[^:]*: /, `${name}: "${p}" starts with a JSON path`);
  }
});

t.test('the error names the source, exits 3 and lists the problems', async (t) => {
  const err = t.throws(() => validateBinding('{"clusterID":"","apis":[]}', 'ci/binding.json')) as InputError;
  t.equal(err.code, 'HELPER_BINDING_INVALID');
  t.equal(err.exitCode, 3);
  t.match(
    err.message,
    /^ci\/binding\.json is not a valid binding\n {2}- \/clusterID: must match pattern "\\S"\n {2}- \/apis: must NOT have fewer than 1 items$/,
  );
});

t.test('<resource>.<group> must fit an object name', async (t) => {
  const group = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}`; // 243 characters
  const ok = { clusterID: 'c', apis: [{ group, resource: 'abcdefghi' }] }; // 253
  t.equal(validateBinding(JSON.stringify(ok), 'b').apis.length, 1);
  const bad = { clusterID: 'c', apis: [{ group, resource: 'abcdefghij' }] }; // 254
  t.same(problemsOf(bad), [
    '/apis/0: the name "<resource>.<group>" is 254 characters; it names the APIServiceBinding and must be at most 253',
  ]);
});

const response = () => ({
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  authentication: {},
  kubeconfig: Buffer.from('apiVersion: v1\nkind: Config\n').toString('base64'),
  requests: [
    {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceExportRequest',
      metadata: { name: 'postgresqlinstances.anynines.com' },
      spec: {
        resources: [
          {
            group: 'anynines.com',
            resource: 'postgresqlinstances',
            permissionClaims: [
              { resource: 'secrets', version: 'v1', selector: { owner: 'Provider' }, required: false },
            ],
          },
        ],
      },
      status: {},
    },
  ],
});

t.test('accepts a BindingResponse, unknown fields included', async (t) => {
  const body = { ...response(), futureField: 1 };
  body.requests[0]!.spec.resources.push({ resource: 'secrets' } as never);
  t.equal(validateBindingResponse(body), body);
});

t.test('rejects a malformed BindingResponse as a BackendError listing every problem', async (t) => {
  const body = response() as Record<string, unknown>;
  body.kind = 'Other';
  body.kubeconfig = 'not base64!';
  (body.requests as Array<Record<string, unknown>>)[0]!.apiVersion = 'kube-bind.io/v1alpha1';
  const err = t.throws(() => validateBindingResponse(body)) as BackendError;
  t.equal(err.code, 'HELPER_BACKEND_RESPONSE_INVALID');
  t.equal(err.exitCode, 5);
  t.match(err.message, /^the backend's 200 response is not a valid BindingResponse\n/);
  t.match(err.message, /- \/kind: must be equal to constant "BindingResponse"/);
  t.match(err.message, /- \/kubeconfig: must match pattern/);
  t.match(err.message, /- \/requests\/0\/apiVersion: must be equal to constant "klutch\.anynines\.com\/v1alpha1"/);

  t.throws(() => validateBindingResponse({ ...response(), requests: [] }), {
    message: /\/requests: must NOT have fewer than 1 items/,
  });
  t.throws(() => validateBindingResponse(null), { message: /- \/: must be object/ });
  const noVersion = response();
  delete (noVersion.requests[0]!.spec.resources[0]!.permissionClaims[0] as Record<string, unknown>).version;
  t.throws(() => validateBindingResponse(noVersion), {
    message: /\/requests\/0\/spec\/resources\/0\/permissionClaims\/0: must have required property 'version'/,
  });
  const noResources = response();
  noResources.requests[0]!.spec.resources = [];
  t.throws(() => validateBindingResponse(noResources), {
    message: /\/requests\/0\/spec\/resources: must NOT have fewer than 1 items/,
  });
});
