/**
 * inspectKubeconfig under hostile input. It must never throw, and whatever it
 * calls ok must be usable: the documented rules hold (checked by an oracle
 * on the generated object), and @kubernetes/client-node, which loads the same
 * text afterwards with another YAML parser (js-yaml), must load it without
 * throwing and see the same context, namespace, server and user.
 */
import * as k8s from '@kubernetes/client-node';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { inspectKubeconfig } from '../../../src/kube/kubeconfig.ts';
import {
  attempt,
  sizeOf,
  mutateTextRepeatedly,
  silenceYamlWarnings,
  clone,
  deepYamlBlock,
  deepYamlFlow,
  fuzzCases,
  fuzzSeed,
  hugeString,
  isHttpUrl,
  isPlainObject,
  mulberry32,
  mutateJson,
  NASTY_STRINGS,
  preview,
  randomJson,
  randomString,
  setOwn,
  validKubeconfig,
  yamlAliasBomb,
  yamlText,
  type KubeconfigDoc,
  type Rng,
} from '../../helpers/gen.ts';
import { assertWithinBudget, WorkTally } from '../../helpers/work.ts';

const SEED = fuzzSeed(0x5eed0002);
const CASES = fuzzCases(2500);

// Unresolved tags make the yaml package emit a process warning per document; thousands would drown the output.
silenceYamlWarnings();

interface Facts {
  contextName: string;
  namespace: string;
  server: string;
  clusterName: string;
  userName: string;
}

/** The documented rules, written out on the parsed object. */
function oracle(doc: unknown): { ok: true; facts: Facts } | { ok: false; why: string } {
  if (!isPlainObject(doc)) return { ok: false, why: 'not a mapping' };
  if (doc.kind !== undefined && doc.kind !== 'Config') return { ok: false, why: 'kind' };
  const current = doc['current-context'];
  if (typeof current !== 'string' || current === '') return { ok: false, why: 'no current-context' };
  const find = (list: unknown, name: unknown) =>
    Array.isArray(list) && typeof name === 'string' && name !== ''
      ? (list.find((e) => isPlainObject(e) && e.name === name) as Record<string, unknown> | undefined)
      : undefined;
  const ctx = find(doc.contexts, current);
  if (!ctx) return { ok: false, why: 'current context missing' };
  const c = isPlainObject(ctx.context) ? ctx.context : {};
  const { namespace, cluster: clusterName, user: userName } = c;
  if (typeof namespace !== 'string' || namespace === '') return { ok: false, why: 'no namespace' };
  if (namespace.length > 63 || /[^a-z0-9-]/.test(namespace) || namespace.startsWith('-') || namespace.endsWith('-'))
    return { ok: false, why: 'namespace not a DNS label' };
  const cluster = find(doc.clusters, clusterName);
  if (!cluster) return { ok: false, why: 'cluster missing' };
  const cl = isPlainObject(cluster.cluster) ? cluster.cluster : {};
  const server = cl.server;
  if (typeof server !== 'string' || !/^https?:\/\//.test(server) || /\s/.test(server) || !isHttpUrl(server))
    return { ok: false, why: 'server' };
  const cad = cl['certificate-authority-data'];
  if (
    cad !== undefined &&
    (typeof cad !== 'string' || !Buffer.from(cad, 'base64').toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
  )
    return { ok: false, why: 'certificate-authority-data' };
  if (!find(doc.users, userName)) return { ok: false, why: 'user missing' };
  // What @kubernetes/client-node's loader throws on (config_types.ts): every entry, not just the current ones.
  const entries = (list: unknown) => (Array.isArray(list) ? (list as unknown[]) : []);
  for (const e of entries(doc.clusters)) {
    if (
      !isPlainObject(e) ||
      !e.name ||
      !isPlainObject(e.cluster) ||
      typeof e.cluster.server !== 'string' ||
      !e.cluster.server
    )
      return { ok: false, why: 'a cluster entry client-node refuses' };
  }
  for (const e of entries(doc.contexts)) {
    if (!isPlainObject(e) || !e.name || !isPlainObject(e.context) || !e.context.cluster)
      return { ok: false, why: 'a context entry client-node refuses' };
  }
  for (const e of entries(doc.users)) {
    if (!isPlainObject(e) || !e.name) return { ok: false, why: 'a user entry client-node refuses' };
  }
  return {
    ok: true,
    facts: {
      contextName: current,
      namespace,
      server,
      clusterName: clusterName as string,
      userName: userName as string,
    },
  };
}

/** YAML 1.2 §5.1: a stream holds printable characters only (escapes aside); the yaml package is lenient here, js-yaml
 * is not. */
function isYamlPrintable(text: string): boolean {
  return /^[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u.test(text);
}

/** What the consumer sees: null when it agrees with `facts`, else the disagreement. */
function clientNodeDisagrees(text: string, facts: Facts): string | null {
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    return `client-node cannot load it: ${(err as Error).message.split('\n')[0]}`;
  }
  if (kc.getCurrentContext() !== facts.contextName)
    return `client-node's current context is ${preview(kc.getCurrentContext())}`;
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (ctx?.namespace !== facts.namespace) return `client-node's namespace is ${preview(ctx?.namespace)}`;
  if (kc.getCurrentCluster()?.server !== facts.server.replace(/\/$/, ''))
    return `client-node's server is ${preview(kc.getCurrentCluster()?.server)}`;
  if (kc.getCurrentUser()?.name !== facts.userName)
    return `client-node's user is ${preview(kc.getCurrentUser()?.name)}`;
  if (!isHttpUrl(facts.server)) return `server ${preview(facts.server)} is not an http(s) URL`;
  return null;
}

const BAD_SERVERS = [
  '',
  'x',
  'ftp://example.com',
  'https://',
  'http://',
  'https://[',
  'https://[::1',
  'https://a b',
  'https://:443',
  'https://a:99999',
  'https://a:-1',
  'https://exa\tmple.com',
  ' https://example.com',
  'https://example.com\n',
  'HTTPS://example.com',
  'https:example.com',
  'https:/example.com',
  'file:///etc/passwd',
  'https://%',
  'https://a%zz',
  'https://xn--',
  'https://\u0000',
  'javascript:alert(1)',
  'https://user:pw@',
];

/** A change that matters to a kubeconfig: names, servers, namespaces, entries. */
function mutateKubeconfig(rng: Rng, doc: KubeconfigDoc): { value: unknown; what: string } {
  const d = clone(doc) as Record<string, unknown> & KubeconfigDoc;
  const ctx = d.contexts.find((c) => c.name === d['current-context'])!;
  const cluster = d.clusters.find((c) => c.name === ctx.context.cluster)!;
  const odd = () =>
    rng.pick<unknown>([...NASTY_STRINGS, null, 0, 1, true, [], {}, ['x'], { name: 'x' }, randomString(rng)]);
  switch (rng.int(14)) {
    case 0:
      d['current-context'] = odd() as string;
      return { value: d, what: 'current-context' };
    case 1: {
      const v = odd() as string;
      d['current-context'] = v;
      ctx.name = v;
      return { value: d, what: 'rename the current context consistently' };
    }
    case 2:
      (ctx.context as Record<string, unknown>).namespace = odd();
      return { value: d, what: 'namespace' };
    case 3: {
      const v = odd() as string;
      ctx.context.cluster = v;
      cluster.name = v;
      return { value: d, what: 'rename the cluster consistently' };
    }
    case 4:
      cluster.cluster.server = rng.pick(BAD_SERVERS);
      return { value: d, what: `server ${JSON.stringify(cluster.cluster.server)}` };
    case 5:
      cluster.cluster.server = odd();
      return { value: d, what: 'server retyped' };
    case 6:
      cluster.cluster['certificate-authority-data'] = rng.pick<unknown>([
        '',
        'not base64',
        Buffer.from('no marker').toString('base64'),
        5,
        null,
        '-----BEGIN CERTIFICATE-----',
      ]);
      return { value: d, what: 'certificate-authority-data' };
    case 7:
      d.kind = odd() as string;
      return { value: d, what: 'kind' };
    case 8: {
      const list = rng.pick(['clusters', 'contexts', 'users'] as const);
      (d[list] as unknown[]).splice(
        rng.int(d[list].length + 1),
        0,
        rng.pick<unknown>([
          null,
          'x',
          5,
          [],
          {},
          { name: '' },
          { name: 'extra' },
          { name: 'extra', cluster: {} },
          { name: 'extra', context: {} },
          { name: 'extra', user: null },
        ]),
      );
      return { value: d, what: `odd entry in ${list}` };
    }
    case 9: {
      const list = rng.pick(['clusters', 'contexts', 'users'] as const);
      (d as Record<string, unknown>)[list] = rng.pick<unknown>([null, {}, 'x', [], { [ctx.name]: ctx }]);
      return { value: d, what: `${list} not a list` };
    }
    case 10: {
      // A second entry with the name of the current one, listed first or last.
      const dup = { name: ctx.name, context: { cluster: 'nope', user: 'nope', namespace: 'other' } };
      if (rng.bool()) d.contexts.unshift(dup);
      else d.contexts.push(dup);
      return { value: d, what: 'duplicate context name' };
    }
    case 11: {
      const k = rng.pick(['__proto__', 'constructor', 'toString']);
      setOwn(
        rng.pick<Record<string, unknown>>([d, ctx, ctx.context, cluster, cluster.cluster]),
        k,
        rng.bool() ? { namespace: 'p', server: 'https://p', name: ctx.name } : odd(),
      );
      return { value: d, what: `own key ${k}` };
    }
    case 12:
      (ctx.context as Record<string, unknown>).user = odd();
      return { value: d, what: 'user reference' };
    default:
      return mutateJson(rng, d);
  }
}

/** YAML the object serializer never writes: anchors, aliases, merge keys, tags, duplicate keys, timestamps. */
function yamlTrick(rng: Rng, text: string, facts: Facts): { text: string; what: string } {
  const tricks: Array<() => string> = [
    () => `current-context: other\n${text}`,
    () => `${text}current-context: other\n`,
    () => text.replace(/^kind: .*$/m, 'kind: Config\nkind: Pod'),
    () =>
      `x-anchor: &ctx ${JSON.stringify(facts.contextName)}\n` +
      `${text.replace(/^current-context: .*$/m, 'current-context: *ctx')}`,
    () => text.replace(/^current-context: .*$/m, `current-context: !!str ${JSON.stringify(facts.contextName)}`),
    () => text.replace(/^current-context: .*$/m, 'current-context: !!binary aGk='),
    () => text.replace(/^current-context: .*$/m, 'current-context: 2001-12-14'),
    () => text.replace(/^current-context: .*$/m, 'current-context: !!timestamp 2001-12-14'),
    () => text.replace(/^current-context: .*$/m, `current-context: !custom ${JSON.stringify(facts.contextName)}`),
    () => `base: &b {namespace: merged}\n${text.replace(/\bnamespace: /, '<<: *b\n    namespace: ')}`,
    () => `${text}preferences: &p {self: *p}\n`,
    () => `${text}extensions: ${deepYamlFlow(rng.range(50, 2000))}`,
    () => `${text}${yamlAliasBomb(rng.range(3, 9), rng.range(3, 9), 'lol')}`,
    () => text.replace(/^(\s*)token: .*$/m, `$1token: ${hugeString(1 << 20, 'x')}`),
    () => `%YAML 1.1\n---\n${text}`,
    () => `${text}---\nkind: Config\n`,
    () => text.replace(/\n/g, '\r\n'),
    () => `\ufeff${text}`,
    () =>
      text.replace(/^current-context: .*$/m, `current-context: '${facts.contextName.replace(/'/g, "''")}' # comment`),
  ];
  const i = rng.int(tricks.length);
  return { text: tricks[i]!(), what: `yaml trick ${i}` };
}

interface Case {
  text: string;
  what: string;
  doc?: unknown;
  facts?: Facts;
}

function makeCase(rng: Rng): Case {
  const { doc, facts } = validKubeconfig(rng);
  const text = yamlText(rng, doc);
  switch (rng.int(10)) {
    case 0:
    case 1:
      return { text, what: 'valid', doc, facts };
    case 2:
    case 3:
    case 4: {
      const m = mutateKubeconfig(rng, doc);
      // stringify keeps everything the oracle looks at; JSON text drops nothing either.
      return { text: rng.bool(0.8) ? stringify(m.value) : `${JSON.stringify(m.value)}\n`, what: m.what, doc: m.value };
    }
    case 5:
    case 6: {
      const { value: s, what: whats } = mutateTextRepeatedly(rng, text);
      return { text: s, what: whats };
    }
    case 7:
      return { text: rng.bool() ? stringify(randomJson(rng, 5)) : randomString(rng, 200), what: 'random' };
    default: {
      const m = yamlTrick(rng, stringify(doc), facts);
      return { text: m.text, what: m.what };
    }
  }
}

t.test(`inspectKubeconfig: ${CASES} generated kubeconfigs (seed ${SEED})`, async (t) => {
  const rng = mulberry32(SEED);
  const failures: string[] = [];
  const tally = { ok: 0, notOk: 0 };
  const work = new WorkTally();
  for (let i = 0; i < CASES && failures.length < 10; i++) {
    const c = makeCase(rng.fork());
    const tag = `seed ${SEED} case ${i} (${c.what}): ${preview(c.text)}`;
    const got = attempt(() => inspectKubeconfig(c.text));
    work.check(got.work, sizeOf(c.text), tag, failures);
    if (!got.ok) {
      failures.push(
        `threw ${(got.error as Error)?.constructor?.name}: ${(got.error as Error)?.message?.slice(0, 200)}: ${tag}`,
      );
      continue;
    }
    const r = got.value;
    if (r.ok) tally.ok++;
    else tally.notOk++;
    if (!r.ok && (!Array.isArray(r.problems) || !r.problems.length || r.problems.some((p) => typeof p !== 'string')))
      failures.push(`not ok without problems: ${tag}`);
    if (c.facts && !r.ok) failures.push(`rejected a valid kubeconfig: ${r.problems.join('; ')}: ${tag}`);
    if (c.facts && r.ok && JSON.stringify(r.value) !== JSON.stringify(c.facts))
      failures.push(`wrong facts ${preview(r.value)}: ${tag}`);
    if (c.doc !== undefined && !c.facts) {
      // With raw non-printable characters the YAML parsers differ; the client-node check below still applies.
      const want = isYamlPrintable(c.text) ? oracle(c.doc) : undefined;
      if (r.ok && want && !want.ok) failures.push(`accepted an invalid kubeconfig (${want.why}): ${tag}`);
      if (!r.ok && want?.ok) failures.push(`rejected a valid kubeconfig: ${r.problems.join('; ')}: ${tag}`);
    }
    if (r.ok) {
      const why = clientNodeDisagrees(c.text, r.value);
      if (why) failures.push(`accepted, but ${why}: ${tag}`);
    }
  }
  t.same(failures, [], 'no failures');
  t.ok(tally.ok > CASES / 10 && tally.notOk > CASES / 5, `both outcomes are exercised: ${JSON.stringify(tally)}`);
  t.comment(work.summary());
});

function quick(t: Test, text: string, what: string): ReturnType<typeof inspectKubeconfig> | undefined {
  const got = attempt(() => inspectKubeconfig(text));
  assertWithinBudget(t, what, got.work, text.length);
  if (!got.ok) {
    t.fail(`${what}: threw ${(got.error as Error).constructor.name}: ${(got.error as Error).message.slice(0, 200)}`);
    return undefined;
  }
  return got.value;
}

t.test('a "billion laughs" kubeconfig is rejected quickly', async (t) => {
  const { doc } = validKubeconfig(mulberry32(SEED));
  for (const [levels, width] of [
    [9, 9],
    [20, 2],
    [6, 30],
  ] as const) {
    const r = quick(t, `${stringify(doc)}${yamlAliasBomb(levels, width)}`, `bomb ${levels}x${width}`);
    t.equal(r?.ok, false, 'rejected');
    t.match(r?.ok === false ? r.problems : [], [/alias|resource exhaustion/i]);
  }
  // The bomb hidden inside the current context.
  const r = quick(
    t,
    `${yamlAliasBomb(9, 9)}${stringify(doc).replace(/^(\s*)namespace: (.*)$/m, '$1namespace: $2\n$1extra: *a9')}`,
    'bomb referenced from a context',
  );
  t.equal(r?.ok, false);
});

t.test('deep, huge and circular kubeconfigs never throw', async (t) => {
  const { doc } = validKubeconfig(mulberry32(SEED + 1));
  const base = stringify(doc);
  for (const [what, text] of [
    ['10k-deep flow', deepYamlFlow(10_000)],
    ['10k-deep block', deepYamlBlock(10_000)],
    ['10k-deep JSON object', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    ['10k-deep kind', `${base}kind: ${deepYamlFlow(10_000)}`],
    ['deep extension', `${base}extensions: ${deepYamlBlock(10_000)}`],
    ['1 MiB token', base.replace(/^(\s*)token: .*$/m, `$1token: ${hugeString()}`)],
    ['1 MiB namespace', base.replace(/^(\s*)namespace: .*$/m, `$1namespace: ${hugeString()}`)],
    ['1 MiB of keys', `${base}${Array.from({ length: 50_000 }, (_, i) => `k${i}: v`).join('\n')}\n`],
    ['circular kind', `${base}kind: &k [*k]\n`],
    ['circular kind mapping', `${base}kind: &k {self: *k}\n`],
    ['circular contexts', 'current-context: c\ncontexts: &c [*c]\n'],
    ['NUL bytes', base.replace(/: /, ':\u0000 ')],
    ['lone surrogate', base.replace(/^current-context: .*$/m, 'current-context: "\\ud800"')],
  ] as const) {
    const r = quick(t, text, what);
    if (r?.ok) t.equal(clientNodeDisagrees(text, r.value), null, `${what}: client-node agrees`);
  }
});

t.test('servers that are not http(s) URLs are rejected', async (t) => {
  const { doc } = validKubeconfig(mulberry32(SEED + 2));
  const ctx = doc.contexts.find((c) => c.name === doc['current-context'])!;
  for (const server of BAD_SERVERS) {
    const d = clone(doc);
    d.clusters.find((c) => c.name === ctx.context.cluster)!.cluster.server = server;
    const r = quick(t, stringify(d), JSON.stringify(server));
    t.equal(r?.ok, oracle(d).ok, `${JSON.stringify(server)}: ${r?.ok ? 'ok' : r?.problems.join('; ')}`);
  }
});
