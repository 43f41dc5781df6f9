/**
 * parseManifest (helper apply, bootstrap-env --apply-to) under hostile YAML
 * streams: generated, mutated, alias bombs, deep, huge. Only InputError
 * (exit 3) may escape, every object returned is a Kubernetes object, and
 * generated manifests come back unchanged.
 */
import t, { type Test } from 'tap';
import { InputError } from '../../../src/errors.ts';
import { parseManifest } from '../../../src/kube/apply.ts';
import {
  attempt,
  fuzzParser,
  mutateTextRepeatedly,
  silenceYamlWarnings,
  deepYamlBlock,
  deepYamlFlow,
  fuzzCases,
  fuzzSeed,
  hugeString,
  isPlainObject,
  mutateJson,
  NASTY_STRINGS,
  randomJson,
  randomString,
  validManifest,
  yamlAliasBomb,
  type Rng,
} from '../../helpers/gen.ts';
import { assertWithinBudget } from '../../helpers/work.ts';
import { stringify } from 'yaml';

const SEED = fuzzSeed(0x5eed0004);
const CASES = fuzzCases(2500);

silenceYamlWarnings();

/** Why a returned object is not a Kubernetes object, or null. */
function notAnObject(o: unknown): string | null {
  if (!isPlainObject(o)) return 'not a mapping';
  if (typeof o.apiVersion !== 'string' || o.apiVersion.length === 0) return 'apiVersion';
  if (typeof o.kind !== 'string' || o.kind.length === 0) return 'kind';
  if (!isPlainObject(o.metadata) || typeof o.metadata.name !== 'string' || o.metadata.name.length === 0)
    return 'metadata.name';
  return null;
}

/** YAML constructs the serializer never writes, spliced into a manifest. */
function yamlTrick(rng: Rng, text: string): { text: string; what: string } {
  const tricks: Array<() => string> = [
    () => `${text}---\n${yamlAliasBomb(rng.range(3, 10), rng.range(3, 10))}`,
    () =>
      `${yamlAliasBomb(rng.range(3, 10), rng.range(3, 10))}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ` +
      `x}\ndata: {big: *a${rng.range(1, 3)}}\n`,
    () => `base: &b {apiVersion: v1, kind: ConfigMap}\n<<: *b\nmetadata: {name: merged}\n`,
    () =>
      `apiVersion: v1\nkind: ConfigMap\n<<: ` +
      `${rng.pick(['x', '[1, 2]', '[x]', '5', 'null', '*nope', '!!binary aGk='])}\nmetadata: {name: m}\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: !!omap [a: 1, a: 2]\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: !!set {a, a}\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: !!pairs [a: 1, a: 2]\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: m, self: *m}\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: !!binary aGk=}\n`,
    () => `apiVersion: !!timestamp 2001-12-14\nkind: ConfigMap\nmetadata: {name: m}\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: ${deepYamlFlow(rng.range(10, 3000))}`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: ${deepYamlBlock(rng.range(10, 3000))}`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  name: n\n`,
    () => `%YAML 1.2\n---\n${text}`,
    () => `%TAG ! tag:example.com,2000:\n---\n${text}`,
    () => `${text}\n...\n%YAML 1.1\n---\n${text}`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${rng.pick(NASTY_STRINGS)}}\n`,
    () =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n${rng.pick(['__proto__', 'constructor'])}: ` +
      `{polluted: true}\n`,
    () => `apiVersion: v1\nkind: ConfigMap\n? [complex, key]\n: value\nmetadata: {name: m}\n`,
    () => `apiVersion: v1\nkind: ConfigMap\n? {a: 1}\n: value\nmetadata: {name: m}\n`,
    () => `---\n---\n---\n`,
    () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {x: ${hugeString(1 << 20)}}\n`,
  ];
  const i = rng.int(tricks.length);
  return { text: tricks[i]!(), what: `yaml trick ${i}` };
}

interface Case {
  text: string;
  what: string;
  objects?: unknown[];
}

function makeCase(rng: Rng): Case {
  const m = validManifest(rng);
  switch (rng.int(10)) {
    case 0:
    case 1:
      return { text: m.text, what: 'valid', objects: m.objects };
    case 2:
    case 3: {
      const i = rng.int(m.objects.length);
      const mu = mutateJson(rng, m.objects[i]);
      const docs = m.objects.map((o, j) => stringify(j === i ? mu.value : o, { version: '1.1' }));
      return { text: docs.join('---\n'), what: `object ${i}: ${mu.what}` };
    }
    case 4:
    case 5:
    case 6: {
      const { value: s, what: whats } = mutateTextRepeatedly(rng, m.text);
      return { text: s, what: whats };
    }
    case 7:
      return {
        text: rng.bool() ? stringify(randomJson(rng, 5), { version: '1.1' }) : randomString(rng, 300),
        what: 'random',
      };
    default: {
      const tr = yamlTrick(rng, m.text);
      return { text: tr.text, what: tr.what };
    }
  }
}

t.test(`parseManifest: ${CASES} generated manifests (seed ${SEED})`, async (t) => {
  fuzzParser(t, {
    seed: SEED,
    cases: CASES,
    make: makeCase,
    parse: (text) => parseManifest(text, 'all.yaml'),
    accepted: (value, c) => {
      const out: string[] = [];
      if (!Array.isArray(value) || !value.length) out.push('accepted no objects');
      else {
        const bad = value.map(notAnObject).find((w) => w);
        if (bad) out.push(`returned a non-object (${bad})`);
      }
      if (c.objects && JSON.stringify(value) !== JSON.stringify(c.objects))
        out.push('returned other objects than generated');
      return out;
    },
    rejected: (e, c) => {
      if (!(e instanceof InputError) || e.exitCode !== 3 || e.code !== 'HELPER_MANIFEST')
        return [`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message?.slice(0, 200)}`];
      if (!e.message.startsWith('all.yaml: ')) return ['message does not name the source'];
      return c.objects ? [`rejected a valid manifest: ${e.message.slice(0, 300)}`] : [];
    },
  });
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
});

function expectInputError(t: Test, text: string, what: string): void {
  const got = attempt(() => parseManifest(text, 'all.yaml'));
  assertWithinBudget(t, what, got.work, text.length);
  if (got.ok) t.fail(`${what}: accepted`);
  else
    t.type(
      got.error,
      InputError,
      `${what}: ${(got.error as Error).constructor.name}: ${(got.error as Error).message.slice(0, 120)}`,
    );
}

t.test('fixed hostile manifests', async (t) => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n';
  expectInputError(t, yamlAliasBomb(9, 9), 'billion laughs');
  expectInputError(
    t,
    `${cm}data: {x: *a9}\n`.replace(/^/, yamlAliasBomb(9, 9).replace(/\n$/, '\n')),
    'billion laughs inside an object',
  );
  expectInputError(t, `${cm}---\n${yamlAliasBomb(20, 2)}`, 'deep alias chain in a second document');
  expectInputError(t, deepYamlFlow(10_000), '10k-deep flow sequence');
  expectInputError(t, deepYamlBlock(10_000), '10k-deep block sequence');
  expectInputError(t, `${cm}data: ${deepYamlFlow(10_000)}`, '10k-deep data');
  expectInputError(t, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, '10k-deep JSON');
  expectInputError(t, `${cm}<<: [1, 2]\n`, 'merge of a non-mapping');
  expectInputError(t, hugeString(2 << 20), '2 MiB scalar');
  expectInputError(t, `${cm}metadata: {name: m}\n`, 'duplicate key');
  expectInputError(t, '\u0000\u0001\u0002', 'control characters');
  const bigText = `${cm}data: {x: ${hugeString(2 << 20)}}\n`;
  const big = attempt(() => parseManifest(bigText, 'all.yaml'));
  t.ok(big.ok, 'a 2 MiB object is fine');
  assertWithinBudget(t, 'a 2 MiB object', big.work, bigText.length);
  const manyText = Array.from({ length: 5_000 }, (_, i) => cm.replace('name: m', `name: m${i}`)).join('---\n');
  const many = attempt(() => parseManifest(manyText, 'all.yaml'));
  t.ok(many.ok && many.value.length === 5_000, '5,000 documents are 5,000 objects');
  assertWithinBudget(t, '5,000 documents', many.work, manyText.length);
});
