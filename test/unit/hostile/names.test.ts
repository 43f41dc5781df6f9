/**
 * namespaceNameProblems (create-ns -n) under hostile names and cluster
 * namespaces: it never throws, and reports no problem exactly for DNS-1123
 * labels that fit the 63-character budget of "<clusterNamespace>-<name>".
 */
import t from 'tap';
import { namespaceNameProblems } from '../../../src/validate/names.ts';
import {
  attempt,
  charFrom,
  dnsLabel,
  fuzzCases,
  fuzzSeed,
  hugeString,
  isDnsLabel,
  mulberry32,
  mutateText,
  NASTY_CHARS,
  NASTY_STRINGS,
  preview,
  randomString,
  type Rng,
} from '../../helpers/gen.ts';
import { assertWithinBudget } from '../../helpers/work.ts';

const SEED = fuzzSeed(0x5eed0005);
const CASES = fuzzCases(5000);

/** The rule, written out: a DNS-1123 label, and the control-plane twin "<ns>-<name>" at most 63 characters. */
function oracle(name: string, clusterNs: string): boolean {
  return isDnsLabel(name) && clusterNs.length + 1 + name.length <= 63;
}

function nameCase(rng: Rng): string {
  switch (rng.int(7)) {
    case 0:
    case 1:
      return dnsLabel(rng, 63);
    case 2:
      return mutateText(rng, dnsLabel(rng, 63)).text;
    case 3:
      return rng.pick(NASTY_STRINGS);
    case 4:
      return `${dnsLabel(rng, 20)}${rng.pick(NASTY_CHARS)}${dnsLabel(rng, 20)}`;
    case 5:
      return randomString(rng, 70);
    default:
      return `${charFrom(rng, 'abc')}${'-'.repeat(rng.int(3))}${'x'.repeat(rng.range(0, 70))}`;
  }
}

function clusterNsCase(rng: Rng): string {
  switch (rng.int(5)) {
    case 0:
      return `cluster-${dnsLabel(rng, 10)}`;
    case 1:
      return dnsLabel(rng, 63);
    case 2:
      return '';
    case 3:
      return randomString(rng, 70);
    default:
      return 'x'.repeat(rng.range(55, 64));
  }
}

t.test(`namespaceNameProblems: ${CASES} generated names (seed ${SEED})`, async (t) => {
  const rng = mulberry32(SEED);
  const failures: string[] = [];
  const tally = { fine: 0, refused: 0 };
  for (let i = 0; i < CASES && failures.length < 10; i++) {
    const r = rng.fork();
    const name = nameCase(r);
    const ns = clusterNsCase(r);
    const tag = `seed ${SEED} case ${i}: name ${preview(name)} in ${preview(ns)}`;
    const got = attempt(() => namespaceNameProblems(name, ns));
    if (!got.ok) {
      failures.push(`threw ${(got.error as Error)?.constructor?.name}: ${tag}`);
      continue;
    }
    const p = got.value;
    if (!Array.isArray(p) || p.some((x) => typeof x !== 'string' || !x))
      failures.push(`not a list of messages: ${tag}`);
    if (p.length) tally.refused++;
    else tally.fine++;
    const want = oracle(name, ns);
    if (want && p.length) failures.push(`refused a good name: ${p.join('; ')}: ${tag}`);
    if (!want && !p.length) failures.push(`accepted a bad name: ${tag}`);
  }
  t.same(failures, [], 'no failures');
  t.ok(tally.fine > CASES / 10 && tally.refused > CASES / 5, `both outcomes are exercised: ${JSON.stringify(tally)}`);
});

t.test('fixed hostile names', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['a', 'cluster-ab12c', true],
    ['a'.repeat(49), 'cluster-ab12c', true],
    ['a'.repeat(50), 'cluster-ab12c', false],
    ['a', 'x'.repeat(61), true],
    ['a', 'x'.repeat(62), false],
    ['a', 'x'.repeat(1000), false],
    ['a\n', 'ns', false],
    ['\na', 'ns', false],
    ['a-', 'ns', false],
    ['-a', 'ns', false],
    ['A', 'ns', false],
    ['\u212a', 'ns', false], // KELVIN SIGN, lower-cases to "k"
    ['ａ', 'ns', false],
    ['a\u0000', 'ns', false],
    ['\ud800', 'ns', false],
    ['__proto__', 'ns', false],
    ['constructor', 'ns', true],
    ['', 'ns', false],
    [hugeString(), 'ns', false],
    [`${hugeString()}\n`, 'ns', false],
  ];
  for (const [name, ns, fine] of cases) {
    const got = attempt(() => namespaceNameProblems(name, ns));
    const p = got.ok ? got.value : [`threw ${String(got.error)}`];
    t.equal(
      p.length === 0,
      fine,
      `${preview(name, 40)} in ${preview(ns, 40)}: ${p.join('; ').slice(0, 160) || 'fine'}`,
    );
    assertWithinBudget(t, preview(name, 40), got.work, name.length + ns.length);
  }
});
