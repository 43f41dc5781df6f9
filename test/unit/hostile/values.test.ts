/**
 * parseValues (helper control-plane: the values file) under hostile YAML:
 * generated, mutated, alias bombs, deep, huge. Only InputError (exit 3) may
 * escape, whatever is accepted keeps the schema's key rules (checked by the
 * oracle below, not by Ajv), and generated values files are accepted.
 */
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { parseValues } from '../../../src/control-plane/values.ts';
import { InputError } from '../../../src/errors.ts';
import {
  attempt,
  fuzzParser,
  mutateJsonRepeatedly,
  silenceYamlWarnings,
  DATA_SERVICE_KEYS,
  deepYamlBlock,
  deepYamlFlow,
  fuzzCases,
  fuzzSeed,
  hugeString,
  isPlainObject,
  mulberry32,
  mutateText,
  NASTY_STRINGS,
  randomJson,
  randomString,
  validValues,
  yamlAliasBomb,
  yamlText,
  type Rng,
} from '../../helpers/gen.ts';
import { assertWithinBudget } from '../../helpers/work.ts';

const SEED = fuzzSeed(0x5eed0006);
const CASES = fuzzCases(2500);

silenceYamlWarnings();

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;
const isUrl = (v: unknown) => typeof v === 'string' && /^https?:\/\/[^\s/?#]+/.test(v) && !/\s/.test(v);
const isHostname = (v: unknown) =>
  typeof v === 'string' &&
  v.replace(/\.$/, '').length <= 253 &&
  v
    .replace(/\.$/, '')
    .split('.')
    .every((l) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i.test(l));
const onlyKeys = (o: Record<string, unknown>, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));

/** The key rules of schemas/control-plane.schema.json, or null when they hold. */
function oracle(v: unknown): string | null {
  if (!isPlainObject(v) || !onlyKeys(v, ['backend', 'oidc', 'tls', 'crossplane', 'dataServices'])) return 'top level';
  const { backend: b, oidc: o, tls, dataServices: ds } = v;
  if (
    !isPlainObject(b) ||
    !isHostname(b.host) ||
    !onlyKeys(b, [
      'host',
      'image',
      'externalAddress',
      'caCertificate',
      'cookieKeys',
      'namespacePrefix',
      'prettyName',
      'consumerScope',
      'serviceType',
      'binderClusterRole',
      'extraArgs',
    ])
  )
    return 'backend';
  if ('externalAddress' in b && !isUrl(b.externalAddress)) return 'backend.externalAddress';
  if (
    'namespacePrefix' in b &&
    (typeof b.namespacePrefix !== 'string' ||
      b.namespacePrefix.length > 40 ||
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(b.namespacePrefix))
  )
    return 'namespacePrefix';
  if (
    'cookieKeys' in b &&
    (!isPlainObject(b.cookieKeys) ||
      !SECRET_REF.test(String(b.cookieKeys.signingKey)) ||
      !SECRET_REF.test(String(b.cookieKeys.encryptionKey)) ||
      typeof b.cookieKeys.signingKey !== 'string' ||
      typeof b.cookieKeys.encryptionKey !== 'string')
  )
    return 'cookieKeys';
  if (
    'extraArgs' in b &&
    (!Array.isArray(b.extraArgs) ||
      b.extraArgs.some((a) => typeof a !== 'string' || !/^--[a-z0-9][-a-z0-9]*(=.*)?$/.test(a)) ||
      new Set(b.extraArgs).size !== b.extraArgs.length)
  )
    return 'extraArgs';
  if (
    !isPlainObject(o) ||
    !isUrl(o.issuerUrl) ||
    typeof o.clientSecret !== 'string' ||
    !SECRET_REF.test(o.clientSecret) ||
    !onlyKeys(o, ['issuerUrl', 'clientId', 'clientSecret', 'callbackUrl'])
  )
    return 'oidc';
  if ('callbackUrl' in o && !isUrl(o.callbackUrl)) return 'oidc.callbackUrl';
  if (!isPlainObject(tls) || 'acme' in tls === 'issuer' in tls) return 'tls: exactly one of acme and issuer';
  if (
    'acme' in tls &&
    (!isPlainObject(tls.acme) || typeof tls.acme.email !== 'string' || !tls.acme.email.includes('@'))
  )
    return 'tls.acme';
  if (
    'issuer' in tls &&
    (!isPlainObject(tls.issuer) ||
      !['Issuer', 'ClusterIssuer'].includes(tls.issuer.kind as string) ||
      typeof tls.issuer.name !== 'string')
  )
    return 'tls.issuer';
  if ('crossplane' in v && !isPlainObject(v.crossplane)) return 'crossplane';
  if (!isPlainObject(ds) || !Object.keys(ds).length || !onlyKeys(ds, DATA_SERVICE_KEYS)) return 'dataServices';
  for (const s of Object.values(ds)) {
    if (!isPlainObject(s) || !onlyKeys(s, ['serviceBroker', 'backupManager'])) return 'data service';
    for (const e of [s.serviceBroker, s.backupManager]) {
      if (
        !isPlainObject(e) ||
        !isUrl(e.url) ||
        typeof e.username !== 'string' ||
        !e.username ||
        typeof e.password !== 'string' ||
        !SECRET_REF.test(e.password)
      )
        return 'endpoint';
      if (
        !onlyKeys(e, ['url', 'username', 'password', 'healthCheckEndpoint', 'insecureSkipVerify', 'overrideServerName'])
      )
        return 'endpoint keys';
    }
  }
  return null;
}

function yamlTrick(rng: Rng, doc: Record<string, unknown>): { text: string; what: string } {
  const text = stringify(doc);
  const tricks: Array<() => string> = [
    () => `${text}${yamlAliasBomb(rng.range(3, 10), rng.range(3, 10), 'x-lol')}`,
    () => `${yamlAliasBomb(9, 9, 'x')}${text.replace(/^(\s*)host: .*$/m, '$1host: *a9')}`,
    () => `${text}crossplane: &c {namespace: *c}\n`,
    () =>
      `anchor: &d ${JSON.stringify(doc.dataServices)}\n${text.replace(/^dataServices:/m, 'dataServices: *d\nx-old:')}`,
    () => `${text.replace(/^backend:/m, 'backend: &b')}x-again: *b\n`,
    () => `<<: {backend: {host: merged.example.com}}\n${text}`,
    () => `${text}<<: [1, 2]\n`,
    () =>
      text.replace(
        /^(\s*)host: .*$/m,
        `$1host: ` +
          `${rng.pick(['!!binary aGk=', '!!str 5', '!!int 5', '!custom x', '2001-12-14', '*nope', '&a', '"\\ud800"'])}`,
      ),
    () => `${text}x-deep: ${deepYamlFlow(rng.range(50, 3000))}`,
    () => `${text}x-deep: ${deepYamlBlock(rng.range(50, 3000))}`,
    () => `backend: {host: a.example.com}\n${text}`,
    () => text.replace(/^(\s*)host: .*$/m, `$1host: ${hugeString(rng.range(1, 8) << 16)}`),
    () => `%YAML 1.1\n---\n${text}`,
    () => `${text}---\n${text}`,
    () => `\ufeff${text}`,
    () => text.replace(/\n/g, '\r\n'),
    () => text.replace(/^(\s*)host: .*$/m, `$1host: ${rng.pick(NASTY_STRINGS)}`),
    () =>
      `${text}backend:\n  extraArgs: [` +
      `${Array.from({ length: rng.range(2, 2000) }, (_, i) => `"--a${i % 7}"`).join(', ')}]\n`,
  ];
  const i = rng.int(tricks.length);
  return { text: tricks[i]!(), what: `yaml trick ${i}` };
}

interface Case {
  text: string;
  what: string;
  mustAccept?: boolean;
}

function makeCase(rng: Rng): Case {
  const doc = validValues(rng);
  switch (rng.int(10)) {
    case 0:
    case 1:
      return { text: yamlText(rng, doc), what: 'valid', mustAccept: true };
    case 2:
    case 3:
    case 4: {
      const { value: v, what: whats } = mutateJsonRepeatedly(rng, doc);
      return { text: rng.bool(0.8) ? (stringify(v) ?? '') : `${JSON.stringify(v) ?? ''}\n`, what: whats };
    }
    case 5:
    case 6: {
      const m = mutateText(rng, stringify(doc));
      return { text: m.text, what: m.what };
    }
    case 7:
      return { text: rng.bool() ? stringify(randomJson(rng, 5)) : randomString(rng, 300), what: 'random' };
    default:
      return yamlTrick(rng, doc);
  }
}

t.test(`parseValues: ${CASES} generated values files (seed ${SEED})`, async (t) => {
  // Once before counting: the first call compiles the schema, which is not the work of a case.
  parseValues(stringify(validValues(mulberry32(SEED))), 'values.yaml');
  fuzzParser(t, {
    seed: SEED,
    cases: CASES,
    make: makeCase,
    parse: (text) => parseValues(text, 'values.yaml'),
    accepted: (value) => {
      const why = oracle(value);
      return why ? [`accepted an invalid values file (${why})`] : [];
    },
    rejected: (e, c) => {
      if (
        !(e instanceof InputError) ||
        e.exitCode !== 3 ||
        !['HELPER_VALUES_YAML', 'HELPER_VALUES_INVALID'].includes(e.code)
      ) {
        return [
          `threw ${(e as Error)?.constructor?.name} ${(e as { code?: string })?.code}: ` +
            `${(e as Error)?.message?.slice(0, 200)}`,
        ];
      }
      if (!e.message.startsWith('values.yaml ')) return ['message does not name the source'];
      if (e.problems.length > 26) return [`${e.problems.length} problems listed`];
      return c.mustAccept ? [`rejected a valid values file: ${e.message.slice(0, 300)}`] : [];
    },
  });
});

/** Rejected with an InputError, in work linear in the file's size (workBudget; `extra` for a known quadratic step). */
function expectInputError(t: Test, text: string, what: string, extra = 0): void {
  const got = attempt(() => parseValues(text, 'values.yaml'));
  assertWithinBudget(t, what, Math.max(0, got.work - extra), text.length);
  if (got.ok) t.fail(`${what}: accepted`);
  else
    t.type(
      got.error,
      InputError,
      `${what}: ${(got.error as Error).constructor.name}: ${(got.error as Error).message.slice(0, 120)}`,
    );
}

t.test('fixed hostile values files', async (t) => {
  const doc = validValues(mulberry32(SEED));
  const text = stringify(doc);
  t.ok(parseValues(text, 'values.yaml'), 'the base file is valid');
  expectInputError(t, yamlAliasBomb(9, 9), 'billion laughs');
  expectInputError(
    t,
    `${yamlAliasBomb(9, 9, 'x')}${text.replace(/^(\s*)host: .*$/m, '$1host: *a9')}`,
    'billion laughs as backend.host',
  );
  expectInputError(t, deepYamlFlow(10_000), '10k-deep flow');
  expectInputError(t, deepYamlBlock(10_000), '10k-deep block');
  expectInputError(t, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, '10k-deep JSON');
  expectInputError(t, `${text}x-deep: ${deepYamlFlow(10_000)}`, '10k-deep unknown key');
  expectInputError(t, text.replace(/^(\s*)host: .*$/m, `$1host: ${hugeString(2 << 20)}`), '2 MiB host');
  expectInputError(t, `${text}crossplane: &c {namespace: *c}\n`, 'circular crossplane');
  const big = (n: number, item: (i: number) => string) =>
    text.replace(
      /^backend:\n/m,
      `backend:\n  extraArgs: [${Array.from({ length: n }, (_, i) => item(i)).join(', ')}]\n`,
    );
  expectInputError(
    t,
    big(50_000, (i) => `"bad${i}"`),
    '50,000 invalid extraArgs',
  );
  expectInputError(
    t,
    big(100_000, () => '"--same"'),
    '100,000 identical extraArgs',
  );
  // Not more: the yaml package's duplicate-key check is quadratic in the size of one mapping (it compares
  // each key with those before it: 5,000² / 2 comparisons, allowed here on top of the linear budget;
  // 50,000 keys take ~20 s).
  expectInputError(
    t,
    text.replace(/^backend:\n/m, `backend:\n${Array.from({ length: 5_000 }, (_, i) => `  x${i}: 1\n`).join('')}`),
    '5,000 unknown keys',
    5_000 ** 2 / 2,
  );
  expectInputError(t, '\u0000\u0001', 'control characters');
  expectInputError(t, '\ufeff', 'only a BOM');
});
