/**
 * validateBinding under hostile input: generated, mutated, huge, deep and
 * non-UTF-8 binding.json files. It must throw InputError (exit 3) and nothing
 * else, and accept exactly the documents the oracle below calls valid.
 */
import t, { type Test } from 'tap';
import { InputError } from '../../../src/errors.ts';
import { validateBinding } from '../../../src/validate/schemas.ts';
import {
  attempt,
  codePoints,
  deepJsonText,
  fuzzCases,
  fuzzSeed,
  hugeString,
  isApiGroup,
  isPlainObject,
  isWellFormedUtf8,
  jsonText,
  mulberry32,
  mutateBytes,
  apiGroup,
  type BindingDoc,
  mutateJsonRepeatedly,
  mutateText,
  NASTY_STRINGS,
  preview,
  randomJson,
  resourceName,
  sizeOf,
  validBinding,
  type Rng,
} from '../../helpers/gen.ts';
import { assertWithinBudget, WorkTally } from '../../helpers/work.ts';

const SEED = fuzzSeed(0x5eed0001);
const CASES = fuzzCases(3000);

type Verdict = { valid: true; value: unknown } | { valid: false; why: string };

/** binding.json per schemas/binding.schema.json, written out rule by rule (not with Ajv). */
function oracle(raw: Buffer | string): Verdict {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else {
    if (!isWellFormedUtf8(raw)) return { valid: false, why: 'not UTF-8' };
    text = raw.toString('utf8');
  }
  if (text.startsWith('\ufeff')) return { valid: false, why: 'BOM' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { valid: false, why: 'not JSON' };
  }
  if (!isPlainObject(v)) return { valid: false, why: 'not an object' };
  const keys = Object.keys(v);
  if (!keys.includes('clusterID') || !keys.includes('apis') || keys.length !== (keys.includes('acceptClaims') ? 3 : 2))
    return { valid: false, why: 'top-level keys' };
  if (keys.includes('acceptClaims')) {
    const ac = v.acceptClaims;
    if (!Array.isArray(ac) || ac.length > 100) return { valid: false, why: 'acceptClaims not an array of at most 100' };
    // <resource>, or <resource>.<group> with DNS-1123 labels; at most 63 + 1 + 253 characters.
    const claimed = /^[a-z][-a-z0-9]*[a-z0-9](\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    if (!ac.every((e) => typeof e === 'string' && e.length <= 317 && claimed.test(e)))
      return { valid: false, why: 'acceptClaims entry' };
  }
  const id = v.clusterID;
  if (typeof id !== 'string' || codePoints(id) > 253 || !/\S/u.test(id)) return { valid: false, why: 'clusterID' };
  const apis = v.apis;
  if (!Array.isArray(apis) || apis.length < 1) return { valid: false, why: 'apis not a non-empty array' };
  const seen = new Set<string>();
  for (const a of apis) {
    if (!isPlainObject(a)) return { valid: false, why: 'api not an object' };
    const ks = Object.keys(a);
    if (ks.length !== 2 || !ks.includes('group') || !ks.includes('resource')) return { valid: false, why: 'api keys' };
    const { group, resource } = a;
    if (typeof group !== 'string' || !isApiGroup(group)) return { valid: false, why: 'group' };
    if (
      typeof resource !== 'string' ||
      resource.length < 2 ||
      resource.length > 63 ||
      !/^[a-z][-a-z0-9]*[a-z0-9]$/.test(resource)
    )
      return { valid: false, why: 'resource' };
    if ((group ? `${resource}.${group}` : resource).length > 253) return { valid: false, why: 'name > 253' };
    const k = `${group}\u0000${resource}`;
    if (seen.has(k)) return { valid: false, why: 'duplicate api' };
    seen.add(k);
  }
  return { valid: true, value: v };
}

interface Case {
  raw: Buffer | string;
  what: string;
  /** Generated valid and unmutated: must be accepted whatever the oracle says. */
  mustAccept?: boolean;
}

function toRaw(rng: Rng, text: string): Buffer | string {
  return rng.bool(0.8) ? Buffer.from(text) : text;
}

function makeCase(rng: Rng): Case {
  const doc: BindingDoc & { acceptClaims?: string[] } = validBinding(rng);
  if (rng.bool(0.3)) {
    doc.acceptClaims = Array.from({ length: rng.int(4) }, () => {
      const resource = resourceName(rng);
      const group = apiGroup(rng);
      return group ? `${resource}.${group}` : resource;
    });
  }
  const text = jsonText(rng, doc);
  switch (rng.int(10)) {
    case 0:
    case 1:
      return { raw: toRaw(rng, text), what: 'valid', mustAccept: true };
    case 2:
    case 3:
    case 4: {
      const { value: v, what: whats } = mutateJsonRepeatedly(rng, doc);
      return { raw: toRaw(rng, jsonText(rng, v)), what: whats };
    }
    case 5:
    case 6: {
      const m = mutateText(rng, text);
      return { raw: toRaw(rng, m.text), what: m.what };
    }
    case 7: {
      const m = mutateBytes(rng, Buffer.from(text));
      return { raw: m.bytes, what: m.what };
    }
    case 8: {
      const v = randomJson(rng, 5);
      if (isPlainObject(v) && rng.bool()) {
        v.clusterID = rng.bool() ? 'c' : (v.clusterID ?? null);
        v.apis = rng.bool() ? [{ group: '', resource: resourceName(rng) }, structuredClone(v)] : (v.apis ?? []);
      }
      return { raw: toRaw(rng, jsonText(rng, v)), what: 'random JSON' };
    }
    default: {
      // Hand-written texts the serializer never produces: duplicate keys, NaN-ish literals, raw tokens.
      const tok = rng.pick(NASTY_STRINGS);
      const api = JSON.stringify(doc.apis[0]);
      const texts = [
        `{"clusterID":"a","clusterID":${JSON.stringify(doc.clusterID)},"apis":[${api}]}`,
        `{"clusterID":${JSON.stringify(doc.clusterID)},"apis":[${api}],"apis":[${api},${api}]}`,
        `{"clusterID":${tok},"apis":[${api}]}`,
        `{"clusterID":"${tok}","apis":[${api}]}`,
        `{"clusterID":"x","apis":[${api}],"__proto__":{"apis":[]}}`,
        `{"__proto__":{"clusterID":"x","apis":[${api}]}}`,
        `{"clusterID":"x","apis":[{"group":"","resource":"ab","__proto__":{}}]}`,
        `{"clusterID":"x","apis":[{"group":${tok},"resource":"ab"}]}`,
        `{"clusterID":NaN,"apis":[${api}]}`,
        `{"clusterID":"x","apis":[${api}],}`,
        `{"clusterID":"\\ud800","apis":[${api}]}`,
        tok,
      ];
      return { raw: toRaw(rng, rng.pick(texts)), what: 'hand-written' };
    }
  }
}

t.test(`validateBinding: ${CASES} generated documents (seed ${SEED})`, async (t) => {
  const rng = mulberry32(SEED);
  const failures: string[] = [];
  const tally = { accepted: 0, rejected: 0, mustAccept: 0 };
  const work = new WorkTally();
  for (let i = 0; i < CASES; i++) {
    const c = makeCase(rng.fork());
    const want = oracle(c.raw);
    const got = attempt(() => validateBinding(c.raw, 'binding.json'));
    const tag = `seed ${SEED} case ${i} (${c.what}): ${preview(c.raw)}`;
    work.check(got.work, sizeOf(c.raw), tag, failures);
    if (c.mustAccept) tally.mustAccept++;
    if (got.ok) {
      tally.accepted++;
      if (!want.valid) failures.push(`accepted an invalid document (${want.why}): ${tag}`);
      else if (JSON.stringify(got.value) !== JSON.stringify(want.value))
        failures.push(`returned something else than the document: ${tag}`);
    } else {
      tally.rejected++;
      const e = got.error;
      if (!(e instanceof InputError))
        failures.push(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message?.slice(0, 200)}: ${tag}`);
      else {
        if (e.exitCode !== 3 || !['HELPER_BINDING_JSON', 'HELPER_BINDING_INVALID'].includes(e.code))
          failures.push(`InputError ${e.code}/${e.exitCode}: ${tag}`);
        if (!e.message.startsWith('binding.json ')) failures.push(`message does not name the source: ${tag}`);
        if (e.problems.length > 26) failures.push(`${e.problems.length} problems listed: ${tag}`);
        if (want.valid || c.mustAccept) failures.push(`rejected a valid document: ${e.message.slice(0, 300)}: ${tag}`);
      }
    }
    if (failures.length >= 10) break;
  }
  t.same(failures, [], 'no failures');
  t.ok(
    tally.accepted > CASES / 5 && tally.rejected > CASES / 5,
    `both outcomes are exercised: ${JSON.stringify(tally)}`,
  );
  t.comment(work.summary());
});

/** Rejected with an InputError, in work linear in the input's size (workBudget). */
function expectInputError(t: Test, raw: Buffer | string, what: string): InputError | undefined {
  const got = attempt(() => validateBinding(raw, 'binding.json'));
  assertWithinBudget(t, what, got.work, raw.length);
  if (got.ok) {
    t.fail(`${what}: accepted`);
    return undefined;
  }
  t.type(
    got.error,
    InputError,
    `${what}: ${(got.error as Error).constructor.name}: ${(got.error as Error).message.slice(0, 120)}`,
  );
  return got.error as InputError;
}

t.test('10k-deep nested JSON is an InputError, not a stack overflow', async (t) => {
  for (const kind of ['array', 'object'] as const) {
    const deep = deepJsonText(10_000, kind);
    expectInputError(t, deep, `${kind} at the root`);
    expectInputError(t, `{"clusterID":"c","apis":[${deep}]}`, `${kind} as the only api`);
    expectInputError(t, `{"clusterID":"c","apis":[${deep},${deep}]}`, `${kind} twice in apis`);
    expectInputError(t, `{"clusterID":${deep},"apis":[{"group":"","resource":"ab"}]}`, `${kind} as clusterID`);
    expectInputError(t, deep.slice(0, -1), `${kind} unterminated`);
  }
  expectInputError(t, deepJsonText(500_000, 'array'), '500k-deep array');
  expectInputError(
    t,
    `{"clusterID":"c","apis":[${deepJsonText(200_000)},${deepJsonText(200_000)}]}`,
    '200k-deep twins in apis',
  );
});

t.test('2 MiB bindings finish quickly', async (t) => {
  const api = { group: 'anynines.com', resource: 'postgresqlinstances' };
  expectInputError(t, JSON.stringify({ clusterID: hugeString(2 << 20), apis: [api] }), '2 MiB clusterID');
  expectInputError(t, JSON.stringify({ clusterID: 'c', apis: [api], pad: hugeString(2 << 20) }), '2 MiB unknown field');
  expectInputError(
    t,
    JSON.stringify({ clusterID: 'c', apis: [{ ...api, group: hugeString(2 << 20) }] }),
    '2 MiB group',
  );

  const many = (n: number, distinct: boolean) =>
    Array.from({ length: n }, (_, i) => ({ group: `g${distinct ? i : 0}.example.com`, resource: 'backups' }));
  const distinctText = JSON.stringify({ clusterID: 'c', apis: many(48_000, true) });
  t.ok(distinctText.length > 2 << 20, `${distinctText.length} bytes`);
  const got = attempt(() => validateBinding(Buffer.from(distinctText), 'binding.json'));
  t.ok(got.ok, '48,000 distinct apis are valid');
  assertWithinBudget(t, '48,000 distinct apis', got.work, distinctText.length);

  const dup = expectInputError(
    t,
    JSON.stringify({ clusterID: 'c', apis: many(55_000, false) }),
    '55,000 identical apis',
  );
  t.match(dup?.problems, [/^\/apis: must NOT have duplicate items \(\/apis\/\d+ and \/apis\/\d+ are identical\)$/]);
  const junk = expectInputError(
    t,
    JSON.stringify({
      clusterID: 'c',
      apis: Array.from({ length: 60_000 }, (_, i) => ({ group: 'G', resource: `r${i}x` })),
    }),
    '60,000 invalid apis',
  );
  t.ok(junk && junk.problems.length <= 26, 'the problem list is capped');
});

t.test('non-UTF-8 bytes in binding.json are an InputError', async (t) => {
  const valid = '{"clusterID":"cluster-1","apis":[{"group":"anynines.com","resource":"backups"}]}';
  const at = valid.indexOf('cluster-1') + 7;
  for (const seq of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
    const raw = Buffer.concat([Buffer.from(valid.slice(0, at)), Buffer.from(seq), Buffer.from(valid.slice(at))]);
    const e = expectInputError(t, raw, `bytes ${Buffer.from(seq).toString('hex')} in clusterID`);
    t.match(e?.message, /UTF-8/, 'the message says UTF-8');
  }
  expectInputError(t, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]), 'UTF-16LE with BOM');
  expectInputError(t, Buffer.from(valid, 'utf16le'), 'UTF-16LE without BOM');
  expectInputError(t, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]), 'UTF-8 BOM');
  const latin1 = Buffer.from(valid.replace('cluster-1', 'clüster'), 'latin1');
  expectInputError(t, latin1, 'Latin-1 ü');
  t.equal(
    validateBinding(Buffer.from(valid.replace('cluster-1', 'clüster-😀')), 'b').clusterID,
    'clüster-😀',
    'real UTF-8 still works',
  );
});
