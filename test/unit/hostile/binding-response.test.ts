/**
 * validateBindingResponse and parseBindingResponse under hostile 200 bodies:
 * generated, mutated, huge and deep. Only BackendError (exit 5) may escape;
 * validateBindingResponse accepts exactly what the schema oracle below
 * accepts, and whatever parseBindingResponse accepts has a canonical base64
 * kubeconfig, and returns a new one that @kubernetes/client-node loads to the
 * same facts and credential as the given one, holding only allow-listed fields.
 */
import * as k8s from '@kubernetes/client-node';
import t, { type Test } from 'tap';
import { parse, stringify } from 'yaml';
import { parseBindingResponse } from '../../../src/backend/binding-response.ts';
import { BackendError } from '../../../src/errors.ts';
import { validateBindingResponse } from '../../../src/validate/schemas.ts';
import {
  attempt,
  sizeOf,
  mutateJsonRepeatedly,
  silenceYamlWarnings,
  clone,
  codePoints,
  deepJson,
  fuzzCases,
  fuzzSeed,
  hugeString,
  isApiGroup,
  isCanonicalBase64,
  isHttpUrl,
  isPlainObject,
  mulberry32,
  mutateBytes,
  mutateText,
  NASTY_STRINGS,
  preview,
  randomJson,
  setOwn,
  validBindingResponse,
  validKubeconfig,
  yamlAliasBomb,
  yamlText,
  type Rng,
} from '../../helpers/gen.ts';
import { assertWithinBudget, WorkTally } from '../../helpers/work.ts';

const SEED = fuzzSeed(0x5eed0003);
const CASES = fuzzCases(2500);

silenceYamlWarnings();

const API_VERSION = 'klutch.anynines.com/v1alpha1';
const RESOURCE = /^[a-z][-a-z0-9]*[a-z0-9]$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** schemas/binding-response.schema.json, rule by rule. */
function schemaOracle(b: unknown): string | null {
  if (!isPlainObject(b)) return 'not an object';
  if (b.apiVersion !== API_VERSION) return 'apiVersion';
  if (b.kind !== 'BindingResponse') return 'kind';
  if ('authentication' in b && !isPlainObject(b.authentication)) return 'authentication';
  if (typeof b.kubeconfig !== 'string' || codePoints(b.kubeconfig) < 1 || !BASE64.test(b.kubeconfig))
    return 'kubeconfig';
  if (!Array.isArray(b.requests) || b.requests.length < 1) return 'requests';
  for (const r of b.requests as unknown[]) {
    if (!isPlainObject(r) || r.apiVersion !== API_VERSION || r.kind !== 'APIServiceExportRequest') return 'request';
    if ('metadata' in r) {
      if (!isPlainObject(r.metadata)) return 'metadata';
      if ('name' in r.metadata && (typeof r.metadata.name !== 'string' || codePoints(r.metadata.name) > 253))
        return 'metadata.name';
    }
    if ('status' in r && !isPlainObject(r.status)) return 'status';
    const spec = r.spec;
    if (!isPlainObject(spec)) return 'spec';
    if ('parameters' in spec && !isPlainObject(spec.parameters)) return 'parameters';
    if (!Array.isArray(spec.resources) || spec.resources.length < 1) return 'resources';
    for (const x of spec.resources as unknown[]) {
      if (!isPlainObject(x) || typeof x.resource !== 'string' || !RESOURCE.test(x.resource)) return 'resource';
      if ('group' in x && (typeof x.group !== 'string' || !isApiGroup(x.group, Infinity))) return 'group';
      if ('versions' in x && (!Array.isArray(x.versions) || x.versions.some((v) => typeof v !== 'string')))
        return 'versions';
      if ('permissionClaims' in x) {
        if (!Array.isArray(x.permissionClaims)) return 'permissionClaims';
        for (const c of x.permissionClaims as unknown[]) {
          if (
            !isPlainObject(c) ||
            typeof c.resource !== 'string' ||
            codePoints(c.resource) < 1 ||
            typeof c.version !== 'string' ||
            codePoints(c.version) < 1
          )
            return 'claim';
          if ('group' in c && typeof c.group !== 'string') return 'claim group';
        }
      }
    }
  }
  return null;
}

/** What parseBindingResponse returned, checked against the body and against client-node. */
function acceptedProblem(b: Record<string, unknown>, got: ReturnType<typeof parseBindingResponse>): string | null {
  const b64 = b.kubeconfig as string;
  if (!isCanonicalBase64(b64)) return 'kubeconfig is not canonical base64';
  if (got.requests !== b.requests) return "requests are not the body's";
  const given = new k8s.KubeConfig();
  const kc = new k8s.KubeConfig();
  try {
    given.loadFromString(Buffer.from(b64, 'base64').toString('utf8'));
    kc.loadFromString(got.kubeconfig);
  } catch (err) {
    return `client-node cannot load the kubeconfig: ${(err as Error).message.split('\n')[0]}`;
  }
  const outside = keysOutsideAllowList(parse(got.kubeconfig));
  if (outside.length) return `the rebuilt kubeconfig has fields outside the allow-list: ${outside.join(', ')}`;
  if (
    kc.getCurrentContext() !== given.getCurrentContext() ||
    kc.getCurrentUser()?.token !== given.getCurrentUser()?.token?.trim() ||
    kc.getCurrentCluster()?.server !== given.getCurrentCluster()?.server.replace(/\/+$/, '') ||
    kc.getCurrentCluster()?.caData !== given.getCurrentCluster()?.caData ||
    kc.getContextObject(kc.getCurrentContext())?.namespace !==
      given.getContextObject(given.getCurrentContext())?.namespace
  )
    return 'the rebuilt kubeconfig says something else than the given one';
  const p = got.provider;
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (kc.getCurrentContext() !== p.contextName || ctx?.namespace !== p.namespace || !p.namespace)
    return 'client-node sees another context or namespace';
  if (kc.getCurrentCluster()?.server !== p.server.replace(/\/$/, '') || !isHttpUrl(p.server))
    return 'client-node sees another server, or it is no http(s) URL';
  if (kc.getCurrentUser()?.name !== p.userName) return 'client-node sees another user';
  if (kc.users.some((u) => u.exec || u.authProvider || u.certFile || u.keyFile) || kc.clusters.some((c) => c.caFile))
    return 'client-node would run a program or read a local file';
  return null;
}

/** Paths in a kubeconfig document that the allow-list (an independent copy of it) does not name. */
function keysOutsideAllowList(doc: unknown): string[] {
  const allowed: Record<string, readonly string[]> = {
    '': ['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context'],
    'clusters[]': ['name', 'cluster'],
    'clusters[].cluster': ['server', 'certificate-authority-data'],
    'users[]': ['name', 'user'],
    'users[].user': ['token', 'client-certificate-data', 'client-key-data'],
    'contexts[]': ['name', 'context'],
    'contexts[].context': ['cluster', 'user', 'namespace'],
  };
  const out: string[] = [];
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, `${at}[]`);
      return;
    }
    if (!isPlainObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (!allowed[at]?.includes(k)) out.push(at ? `${at}.${k}` : k);
      else walk(x, at ? `${at}.${k}` : k);
    }
  };
  walk(doc, '');
  return out;
}

/** A base64 string that is not canonical standard base64 (or not base64 at all). */
function badBase64(rng: Rng, text: string): string {
  const b64 = Buffer.from(text).toString('base64');
  const variants = [
    () => b64.replace(/=+$/, ''),
    () => `${b64}=`,
    () => b64.replace(/\+/g, '-').replace(/\//g, '_'),
    () => b64.replace(/(.{76})/g, '$1\n'),
    () => ` ${b64}`,
    () => `${b64}\n`,
    () => b64.slice(0, -1),
    () => Buffer.from('x').toString('base64').replace('A', 'B'), // "eB==": the unused bits are set
    () => `${b64.slice(0, 4)}=${b64.slice(5)}`,
    () => `data:text/yaml;base64,${b64}`,
    () => Buffer.from(text, 'utf16le').toString('base64'),
    () => Buffer.from(Buffer.from(text).toString('base64')).toString('base64'),
  ];
  return rng.pick(variants)();
}

interface Case {
  body: unknown;
  what: string;
  mustAccept?: boolean;
}

function makeCase(rng: Rng): Case {
  const kc = validKubeconfig(rng, { binding: true });
  const kubeText = yamlText(rng, kc.doc);
  const body = validBindingResponse(rng, kubeText);
  switch (rng.int(10)) {
    case 0:
    case 1:
      return { body, what: 'valid', mustAccept: true };
    case 2:
    case 3:
    case 4: {
      const { value: v, what: whats } = mutateJsonRepeatedly(rng, body);
      return { body: v, what: whats };
    }
    case 5:
      return { body: { ...body, kubeconfig: badBase64(rng, kubeText) }, what: 'bad base64' };
    case 6: {
      const m = mutateText(rng, kubeText);
      return { body: { ...body, kubeconfig: Buffer.from(m.text).toString('base64') }, what: `kubeconfig: ${m.what}` };
    }
    case 7: {
      const m = mutateBytes(rng, Buffer.from(kubeText));
      return { body: { ...body, kubeconfig: m.bytes.toString('base64') }, what: `kubeconfig bytes: ${m.what}` };
    }
    case 8: {
      const v = randomJson(rng, 5);
      if (isPlainObject(v) && rng.bool())
        Object.assign(v, { apiVersion: API_VERSION, kind: 'BindingResponse', kubeconfig: body.kubeconfig });
      return { body: v, what: 'random JSON' };
    }
    default: {
      const b = clone(body);
      const k = rng.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
      const target = rng.pick<Record<string, unknown>>([
        b,
        (b.requests as Array<Record<string, unknown>>)[0]!,
        (b.requests as Array<Record<string, { resources: Array<Record<string, unknown>> }>>)[0]!.spec!.resources[0]!,
      ]);
      setOwn(
        target,
        k,
        rng.pick<unknown>([
          { apiVersion: API_VERSION, kind: 'BindingResponse' },
          { polluted: true },
          null,
          'x',
          rng.pick(NASTY_STRINGS),
        ]),
      );
      return { body: b, what: `own key ${k}` };
    }
  }
}

t.test(`validateBindingResponse and parseBindingResponse: ${CASES} generated bodies (seed ${SEED})`, async (t) => {
  const rng = mulberry32(SEED);
  const failures: string[] = [];
  const tally = { schemaOk: 0, parsed: 0, rejected: 0 };
  const work = new WorkTally();
  for (let i = 0; i < CASES && failures.length < 10; i++) {
    const c = makeCase(rng.fork());
    // The body reaches the parsers through JSON.parse of the HTTP response.
    const body = c.body === undefined ? undefined : (JSON.parse(JSON.stringify(c.body)) as unknown);
    const tag = `seed ${SEED} case ${i} (${c.what}): ${preview(body)}`;
    const want = schemaOracle(body);

    const v = attempt(() => validateBindingResponse(body));
    if (v.ok) {
      tally.schemaOk++;
      if (want) failures.push(`validateBindingResponse accepted an invalid body (${want}): ${tag}`);
      if (v.value !== body) failures.push(`validateBindingResponse returned something else: ${tag}`);
    } else if (
      !(v.error instanceof BackendError) ||
      v.error.exitCode !== 5 ||
      v.error.code !== 'HELPER_BACKEND_RESPONSE_INVALID'
    ) {
      failures.push(
        `validateBindingResponse threw ${(v.error as Error)?.constructor?.name} ` +
          `${(v.error as { code?: string }).code}: ${(v.error as Error)?.message?.slice(0, 200)}: ${tag}`,
      );
    } else if (!want)
      failures.push(`validateBindingResponse rejected a valid body: ${v.error.message.slice(0, 300)}: ${tag}`);

    const p = attempt(() => parseBindingResponse(body));
    work.check(p.work, sizeOf(body), tag, failures);
    if (p.ok) {
      tally.parsed++;
      if (want) failures.push(`parseBindingResponse accepted a body the schema refuses (${want}): ${tag}`);
      else {
        const why = acceptedProblem(body as Record<string, unknown>, p.value);
        if (why) failures.push(`parseBindingResponse accepted it, but ${why}: ${tag}`);
      }
    } else {
      tally.rejected++;
      const e = p.error;
      if (!(e instanceof BackendError) || e.exitCode !== 5)
        failures.push(
          `parseBindingResponse threw ${(e as Error)?.constructor?.name}: ` +
            `${(e as Error)?.message?.slice(0, 200)}: ${tag}`,
        );
      else if (c.mustAccept)
        failures.push(`parseBindingResponse rejected a valid body: ${e.message.slice(0, 300)}: ${tag}`);
    }
  }
  t.same(failures, [], 'no failures');
  t.ok(
    tally.parsed > CASES / 10 && tally.rejected > CASES / 5,
    `both outcomes are exercised: ${JSON.stringify(tally)}`,
  );
  t.comment(work.summary());
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
});

/** Rejected with a BackendError, in work linear in the body's size (workBudget). */
function expectBackendError(t: Test, body: unknown, what: string): BackendError | undefined {
  const got = attempt(() => parseBindingResponse(body));
  assertWithinBudget(t, what, got.work, sizeOf(body));
  if (got.ok) {
    t.fail(`${what}: accepted`);
    return undefined;
  }
  t.type(
    got.error,
    BackendError,
    `${what}: ${(got.error as Error).constructor.name}: ${(got.error as Error).message.slice(0, 120)}`,
  );
  return got.error as BackendError;
}

t.test('fixed hostile bodies', async (t) => {
  const rng = mulberry32(SEED);
  const { doc } = validKubeconfig(rng, { binding: true });
  const kubeText = yamlText(rng, doc);
  const body = validBindingResponse(rng, kubeText);
  t.ok(parseBindingResponse(body), 'the base body is valid');
  const withUsers = (user: Record<string, unknown>) =>
    Buffer.from(stringify({ ...doc, users: doc.users.map((u) => ({ ...u, user })) })).toString('base64');
  const deep = deepJson(10_000, 'object');
  for (const [what, b] of [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'BindingResponse'],
    ['an array', [body]],
    ['a number', 0],
    ['10k-deep authentication', { ...body, authentication: deep, kind: 'x' }],
    ['10k-deep as requests', { ...body, requests: deep }],
    ['10k-deep array as kubeconfig', { ...body, kubeconfig: deepJson(10_000) }],
    ['2 MiB of base64 that is not YAML', { ...body, kubeconfig: Buffer.alloc(3 << 19, 0xff).toString('base64') }],
    [
      'a 2 MiB kubeconfig',
      {
        ...body,
        kubeconfig: Buffer.from(`${kubeText}padding: ${hugeString(2 << 20)}\n`).toString('base64'),
        kind: 'Nope',
      },
    ],
    [
      'a billion-laughs kubeconfig',
      { ...body, kubeconfig: Buffer.from(`${kubeText}${yamlAliasBomb(9, 9)}`).toString('base64') },
    ],
    [
      'a circular-alias kubeconfig',
      { ...body, kubeconfig: Buffer.from(`${kubeText.replace(/^kind: .*\n/m, '')}kind: &k [*k]\n`).toString('base64') },
    ],
    [
      'a kubeconfig whose users run a program',
      { ...body, kubeconfig: withUsers({ exec: { command: 'sh', args: ['-c', 'id'] } }) },
    ],
    [
      'a kubeconfig whose tokens are a local file',
      { ...body, kubeconfig: withUsers({ 'token-file': '/etc/hostname' }) },
    ],
    [
      '100,000 requests, one bad',
      { ...body, requests: [...Array.from({ length: 100_000 }, () => (body.requests as unknown[])[0]), {}] },
    ],
    [
      'requests with 100,000 bad resources',
      {
        ...body,
        requests: [
          {
            apiVersion: API_VERSION,
            kind: 'APIServiceExportRequest',
            spec: { resources: Array.from({ length: 100_000 }, (_, i) => ({ resource: `R${i}` })) },
          },
        ],
      },
    ],
  ] as Array<[string, unknown]>) {
    const e = expectBackendError(t, b, what);
    if (e) t.ok(e.message.length < 20_000, `${what}: the message is bounded (${e.message.length} chars)`);
  }
  const deepFields = attempt(() => parseBindingResponse({ ...body, extra: deep, authentication: { deep } }));
  t.ok(deepFields.ok, 'unknown fields may be 10k deep: the schema allows them');
  assertWithinBudget(t, 'and nothing walks them', deepFields.work, sizeOf(body));
  const polluted = JSON.parse(
    `{"__proto__":{"polluted":true},"apiVersion":"${API_VERSION}","kind":"BindingResponse","kubeconfig":"` +
      `${body.kubeconfig as string}","requests":${JSON.stringify(body.requests)}}`,
  ) as unknown;
  t.ok(parseBindingResponse(polluted), 'an own __proto__ key is just an unknown field');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
});
