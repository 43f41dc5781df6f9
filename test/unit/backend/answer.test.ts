/**
 * checkAnswer: the backend's export requests against binding.json (every
 * resource asked for, each once, every API answered, sane request names) and
 * the permission-claim policy (Klutch's own template claims pass; anything
 * else is refused by name unless acceptClaims names it). questionBody: what
 * the backend gets.
 */
import t from 'tap';
import { checkAnswer, claimName, judgeClaim, parseAcceptClaim, questionBody } from '../../../src/backend/answer.ts';
import { BackendError, ExitCode } from '../../../src/errors.ts';
import { log } from '../../../src/log.ts';
import type { Binding, ExportRequest, PermissionClaim } from '../../../src/types.ts';

const NS = 'cluster-ab12c';
const PG = { group: 'anynines.com', resource: 'postgresqlinstances' };
const SB = { group: 'anynines.com', resource: 'servicebindings' };
const binding = (apis = [PG], acceptClaims?: string[]): Binding => ({
  clusterID: 'c1',
  apis,
  ...(acceptClaims ? { acceptClaims } : {}),
});
// The claims of Klutch's release templates, as written and as an API server returns them with the CRD defaults.
const secrets: PermissionClaim = { group: '', resource: 'secrets', version: 'v1', selector: { owner: 'Provider' } };
const configmaps: PermissionClaim = {
  group: '',
  resource: 'configmaps',
  version: 'v1',
  selector: { owner: 'Provider' },
  required: false,
};
const defaulted: PermissionClaim = {
  resource: 'secrets',
  version: 'v1',
  selector: { owner: 'Provider', names: ['*'], namespaces: ['*'] },
  onConflict: { recreateWhenConsumerSideDeleted: true },
  read: {},
  required: false,
};
const request = (
  name: string | undefined,
  resources: ExportRequest['spec']['resources'],
  extra: Record<string, unknown> = {},
): ExportRequest => ({
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  ...(name !== undefined ? { metadata: { name, ...extra } } : {}),
  spec: { resources },
});
const pgRequest = (claims: PermissionClaim[] = [secrets, configmaps]) =>
  request('postgresqlinstances.anynines.com', [{ ...PG, permissionClaims: claims }]);

/** Runs fn, capturing the log lines ("level: message") and the BackendError it throws. */
function quiet<T>(fn: () => T): { value?: T; error?: BackendError; lines: string[] } {
  const lines: string[] = [];
  const orig = log.log.bind(log);
  log.log = (level, msg) => {
    lines.push(`${level}: ${msg}`);
  };
  try {
    return { value: fn(), lines };
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return { error: err, lines };
  } finally {
    log.log = orig;
  }
}

t.test("the real template claims pass the default policy, also with the API server's defaults", async (t) => {
  for (const c of [secrets, configmaps, defaulted])
    t.same(judgeClaim(c), { resource: false, options: [] }, JSON.stringify(c));
  const narrowed: PermissionClaim = {
    ...secrets,
    selector: {
      owner: 'Provider',
      names: ['db-creds'],
      namespaces: ['team-a'],
      labelSelectors: [{ app: 'x' }],
      fieldSelectors: ['type=Opaque'],
    },
  };
  t.same(judgeClaim(narrowed), { resource: false, options: [] }, 'selectors that only narrow are fine');
  const r = quiet(() =>
    checkAnswer(binding([PG, SB]), [pgRequest(), request(undefined, [{ ...SB, permissionClaims: [defaulted] }])], NS),
  );
  t.same(r.value, [
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'secrets',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'policy',
    },
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'configmaps',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'policy',
    },
    {
      api: 'servicebindings.anynines.com',
      group: '',
      resource: 'secrets',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'policy',
    },
  ]);
  t.same(
    r.lines,
    [
      'info: cluster "c1": APIServiceBinding postgresqlinstances.anynines.com accepts claims secrets (owner ' +
        'Provider), configmaps (owner Provider)',
      'info: cluster "c1": APIServiceBinding servicebindings.anynines.com accepts claims secrets (owner Provider)',
    ],
    'one info line per binding with claims',
  );
  t.same(quiet(() => checkAnswer(binding(), [pgRequest([])], NS)).lines, [], 'no claims, no line');
});

t.test('each claim outside the policy is named with what it asks', async (t) => {
  const cases: Array<[string, PermissionClaim, { resource: boolean; options: string[] }]> = [
    [
      'replaceExisting',
      { ...secrets, create: { replaceExisting: true } },
      { resource: false, options: ['create.replaceExisting'] },
    ],
    ['serviceaccounts', { ...secrets, resource: 'serviceaccounts' }, { resource: true, options: [] }],
    [
      'another group',
      { ...secrets, group: 'cert-manager.io', resource: 'certificates' },
      { resource: true, options: [] },
    ],
    ['another version', { ...secrets, version: 'v2' }, { resource: true, options: [] }],
    [
      'owner Consumer',
      { ...secrets, selector: { owner: 'Consumer' } },
      { resource: false, options: ['owner Consumer'] },
    ],
    [
      'no owner',
      { ...secrets, selector: { names: ['*'] } },
      { resource: false, options: ['no owner (objects of both sides)'] },
    ],
    [
      'no selector',
      { group: '', resource: 'secrets', version: 'v1' },
      { resource: false, options: ['no selector (every object of both sides)'] },
    ],
    ['autoAdopt', { ...secrets, autoAdopt: true }, { resource: false, options: ['autoAdopt'] }],
    ['autoDonate', { ...secrets, autoDonate: true }, { resource: false, options: ['autoDonate'] }],
    [
      'reads labels',
      { ...secrets, read: { labels: [{ pattern: '*' }] } },
      { resource: false, options: ['read.labels'] },
    ],
    [
      'updates',
      { ...secrets, update: { fields: ['$.data'], alwaysRecreate: true } },
      { resource: false, options: ['update.fields', 'update.alwaysRecreate'] },
    ],
    [
      'deletes upstream',
      { ...secrets, onConflict: { recreateWhenConsumerSideDeleted: false } },
      { resource: false, options: ['onConflict.recreateWhenConsumerSideDeleted false'] },
    ],
    ['an unknown field', { ...secrets, escalate: { all: true } }, { resource: false, options: ['escalate'] }],
    [
      'an unknown selector field',
      { ...secrets, selector: { owner: 'Provider', everything: true } },
      { resource: false, options: ['selector.everything'] },
    ],
  ];
  for (const [what, claim, verdict] of cases) t.same(judgeClaim(claim), verdict, what);
});

t.test(
  'a claim outside the policy: BackendError (exit 5) naming each, with the acceptClaims hint; nothing logged',
  async (t) => {
    const r = quiet(() =>
      checkAnswer(
        binding([PG, SB]),
        [
          pgRequest([secrets, { ...secrets, create: { replaceExisting: true } }]),
          request('servicebindings.anynines.com', [
            {
              ...SB,
              permissionClaims: [
                { ...secrets, resource: 'serviceaccounts' },
                { ...secrets, group: 'apps', resource: 'deployments', selector: { owner: 'Consumer' } },
              ],
            },
          ]),
        ],
        NS,
      ),
    );
    t.ok(r.error);
    t.equal(r.error!.exitCode, ExitCode.backend);
    t.equal(r.error!.code, 'HELPER_BACKEND_CLAIM_REFUSED');
    t.match(
      r.error!.message,
      /outside the default policy.*nothing was created:\n {2}- postgresqlinstances\.anynines\.com claims secrets with create\.replaceExisting\n {2}- servicebindings\.anynines\.com claims serviceaccounts\n {2}- servicebindings\.anynines\.com claims deployments\.apps with owner Consumer$/s,
    );
    t.equal(
      r.error!.hint,
      'if you trust them, list their resources in binding.json\'s acceptClaims, e.g. "acceptClaims": ' +
        '["secrets", "serviceaccounts", "deployments.apps"]',
    );
    t.same(r.lines, [], 'nothing listed as accepted');
  },
);

t.test('acceptClaims accepts a claim as sent, marks it, lists its options; unused entries warn', async (t) => {
  const replace = { ...secrets, create: { replaceExisting: true } };
  const r = quiet(() =>
    checkAnswer(
      binding([PG], ['secrets', 'serviceaccounts', 'certificates.cert-manager.io']),
      [pgRequest([secrets, replace, { ...secrets, resource: 'serviceaccounts' }])],
      NS,
    ),
  );
  t.same(r.value, [
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'secrets',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'policy',
    },
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'secrets',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'acceptClaims',
      options: ['create.replaceExisting'],
    },
    {
      api: 'postgresqlinstances.anynines.com',
      group: '',
      resource: 'serviceaccounts',
      version: 'v1',
      owner: 'Provider',
      acceptedBy: 'acceptClaims',
    },
  ]);
  t.same(r.lines, [
    'info: cluster "c1": APIServiceBinding postgresqlinstances.anynines.com accepts claims secrets (owner ' +
      'Provider), secrets (owner Provider, create.replaceExisting; accepted by acceptClaims), serviceaccounts ' +
      '(owner Provider; accepted by acceptClaims)',
    'warn: cluster "c1": binding.json\'s acceptClaims names certificates.cert-manager.io, but the backend\'s ' +
      'answer has no claim on it',
  ]);
  const other = quiet(() => checkAnswer(binding([PG], ['serviceaccounts']), [pgRequest([replace])], NS));
  t.match(
    other.error?.message,
    /claims secrets with create\.replaceExisting/,
    'accepting one resource accepts no other',
  );
  const group = quiet(() =>
    checkAnswer(
      binding([PG], ['certificates.cert-manager.io']),
      [pgRequest([{ ...secrets, group: 'cert-manager.io', resource: 'certificates', version: 'v1beta1' }])],
      NS,
    ),
  );
  t.equal(group.value?.[0]?.acceptedBy, 'acceptClaims', 'a claim of a named group');
  t.match(
    group.lines[0],
    /certificates\.cert-manager\.io \(version v1beta1, owner Provider; accepted by acceptClaims\)/,
  );
});

t.test('the answer must match the question: extras, missing, doubled, odd names, all named at once', async (t) => {
  const ok = quiet(() => checkAnswer(binding([PG, SB]), [request(undefined, [{ ...PG }, { ...SB }])], NS));
  t.same(ok.value, [], 'one request with both resources is fine');
  const cases: Array<[string, Binding, ExportRequest[], RegExp[]]> = [
    [
      'an unrequested API',
      binding(),
      [pgRequest(), request('certificates.cert-manager.io', [{ group: 'cert-manager.io', resource: 'certificates' }])],
      [/ - certificates\.cert-manager\.io: binding\.json did not ask for it/],
    ],
    [
      'an unrequested core API',
      binding(),
      [request(undefined, [{ ...PG }, { resource: 'secrets' }])],
      [/ - secrets: binding\.json did not ask for it/],
    ],
    [
      'group absent is the core group, not any group',
      binding(),
      [request(undefined, [{ resource: 'postgresqlinstances' }])],
      [
        / - postgresqlinstances: binding\.json did not ask for it/,
        /postgresqlinstances\.anynines\.com: binding\.json asked for it, but it is not in the backend's answer/,
      ],
    ],
    [
      'a missing API',
      binding([PG, SB]),
      [pgRequest()],
      [/ - servicebindings\.anynines\.com: binding\.json asked for it, but it is not in the backend's answer/],
    ],
    [
      'a doubled API',
      binding(),
      [pgRequest(), request('other', [{ ...PG }])],
      [/ - postgresqlinstances\.anynines\.com: answered more than once/],
    ],
    [
      'a doubled API in one request',
      binding(),
      [request(undefined, [{ ...PG }, { ...PG }])],
      [/answered more than once/],
    ],
    [
      'two requests of one name',
      binding([PG, SB]),
      [pgRequest(), request('postgresqlinstances.anynines.com', [{ ...SB }])],
      [/request 2: more than one request is named postgresqlinstances\.anynines\.com/],
    ],
    [
      'a name that is no object name',
      binding(),
      [request('../../secrets/x', [{ ...PG }])],
      [/request 1 is named "\.\.\/\.\.\/secrets\/x", which is not a valid object name/],
    ],
    [
      'an empty name',
      binding(),
      [request('', [{ ...PG }])],
      [/request 1 is named "", which is not a valid object name/],
    ],
    [
      'another namespace',
      binding(),
      [request('postgresqlinstances.anynines.com', [{ ...PG }], { namespace: 'kube-system' })],
      [
        /request postgresqlinstances\.anynines\.com names namespace "kube-system", not the cluster namespace cluster-ab12c/,
      ],
    ],
  ];
  for (const [what, b, reqs, res] of cases) {
    const r = quiet(() => checkAnswer(b, reqs, NS));
    t.equal(r.error?.code, 'HELPER_BACKEND_ANSWER_MISMATCH', what);
    t.equal(r.error?.exitCode, 5, `${what}: exit 5`);
    t.match(r.error?.message, /^the backend's answer does not match binding\.json \(nothing was created\):\n/, what);
    for (const re of res) t.match(r.error?.message, re, what);
  }
  const same = quiet(() =>
    checkAnswer(binding(), [request('postgresqlinstances.anynines.com', [{ ...PG }], { namespace: NS })], NS),
  );
  t.same(same.value, [], 'the cluster namespace itself is fine');
  const all = quiet(() =>
    checkAnswer(
      binding([PG, SB]),
      [request('x y', [{ ...PG }, { group: 'cert-manager.io', resource: 'certificates' }])],
      NS,
    ),
  );
  t.equal(all.error?.message.split('\n').length, 4, 'every problem, one line each');
});

t.test('a mismatch is reported before any claim is judged', async (t) => {
  const r = quiet(() =>
    checkAnswer(
      binding(),
      [pgRequest([{ ...secrets, resource: 'serviceaccounts' }]), request('x', [{ group: 'a.io', resource: 'things' }])],
      NS,
    ),
  );
  t.equal(r.error?.code, 'HELPER_BACKEND_ANSWER_MISMATCH');
});

t.test('claim names and acceptClaims entries', async (t) => {
  t.equal(claimName({ resource: 'secrets' }), 'secrets');
  t.equal(claimName({ group: '', resource: 'secrets' }), 'secrets');
  t.equal(claimName({ group: 'cert-manager.io', resource: 'certificates' }), 'certificates.cert-manager.io');
  t.same(parseAcceptClaim('secrets'), { group: '', resource: 'secrets' });
  t.same(parseAcceptClaim('certificates.cert-manager.io'), { group: 'cert-manager.io', resource: 'certificates' });
});

t.test('questionBody: binding.json unchanged, without acceptClaims when it has them', async (t) => {
  const raw = Buffer.from(
    '{ "clusterID": "c1",\n  "apis": [{"group": "anynines.com", "resource": "postgresqlinstances"}] }',
  );
  t.equal(questionBody(raw, binding()), raw, 'the same bytes');
  const withAccept = Buffer.from(JSON.stringify(binding([PG], ['serviceaccounts'])));
  t.same(JSON.parse(questionBody(withAccept, binding([PG], ['serviceaccounts'])).toString()), {
    clusterID: 'c1',
    apis: [PG],
  });
});
