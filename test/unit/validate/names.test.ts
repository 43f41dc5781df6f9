import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import {
  API_GROUP_PATTERN,
  CLAIMED_RESOURCE_PATTERN,
  DNS1123_LABEL_PATTERN,
  DNS1123_SUBDOMAIN_PATTERN,
  isDnsLabel,
  namespaceNameProblems,
  RESOURCE_PATTERN,
} from '../../../src/validate/names.ts';

t.test('accepts DNS-1123 labels within the budget', async (t) => {
  t.same(namespaceNameProblems('team-a', 'cluster-ab12c'), []);
  // 63 - len('cluster-ab12c') - 1 = 49 characters left
  t.same(namespaceNameProblems('a'.repeat(49), 'cluster-ab12c'), []);
});

t.test('names the problem and the budget', async (t) => {
  t.match(namespaceNameProblems('Team_A', 'cluster-ab12c')[0], /not a DNS-1123 label/);
  t.match(namespaceNameProblems('-a', 'c')[0], /not a DNS-1123 label/);
  t.match(namespaceNameProblems('', 'c')[0], /empty/);
  const p = namespaceNameProblems('a'.repeat(50), 'cluster-ab12c');
  t.equal(p.length, 1);
  t.match(p[0], /at most 49 are left for the name \(1 too many\)/);
});

t.test('isDnsLabel: the label pattern and at most 63 characters', async (t) => {
  t.ok(isDnsLabel('a'));
  t.ok(isDnsLabel(`a${'-'.repeat(61)}b`));
  t.notOk(isDnsLabel('a'.repeat(64)), '64 characters');
  for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'a.b', 'ä']) t.notOk(isDnsLabel(bad), JSON.stringify(bad));
});

/** Every `pattern` in the schema, with its JSON pointer. */
function* patterns(node: unknown, at = ''): Generator<[string, string]> {
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'pattern' && typeof v === 'string') yield [at, v];
    else yield* patterns(v, `${at}/${k}`);
  }
}

t.test('every Kubernetes-name pattern in schemas/ is one of names.ts', async (t) => {
  const known = new Set([
    DNS1123_LABEL_PATTERN,
    DNS1123_SUBDOMAIN_PATTERN,
    API_GROUP_PATTERN,
    RESOURCE_PATTERN,
    CLAIMED_RESOURCE_PATTERN,
  ]);
  const dir = new URL('../../../schemas/', import.meta.url);
  const seen = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
    for (const [at, p] of patterns(JSON.parse(readFileSync(new URL(file, dir), 'utf8')))) {
      // Name rules start with a lower-case character class; the others (base64, env:, --flags, URLs) are not names.
      if (!p.startsWith('^[a-z') && !p.startsWith('^(|[a-z')) continue;
      t.ok(known.has(p), `${file}#${at}: ${p}`);
      seen.add(p);
    }
  }
  t.same(
    [...known].filter((p) => !seen.has(p)),
    [],
    'each names.ts pattern is used by a schema',
  );
});

t.test('the patterns mean what their names say', async (t) => {
  const label = new RegExp(DNS1123_LABEL_PATTERN);
  const subdomain = new RegExp(DNS1123_SUBDOMAIN_PATTERN);
  const group = new RegExp(API_GROUP_PATTERN);
  const resource = new RegExp(RESOURCE_PATTERN);
  t.ok(label.test('cluster') && !label.test('a.b'));
  t.ok(subdomain.test('a.b-c') && !subdomain.test('a.'));
  t.ok(group.test('') && group.test('anynines.com') && !group.test('.com') && !group.test('a..b'));
  t.ok(resource.test('postgresqlinstances') && !resource.test('1abc') && !resource.test('a'));
  const claimed = new RegExp(CLAIMED_RESOURCE_PATTERN);
  t.ok(
    claimed.test('secrets') &&
      claimed.test('certificates.cert-manager.io') &&
      !claimed.test('secrets.') &&
      !claimed.test('.secrets') &&
      !claimed.test('Secrets') &&
      !claimed.test('a..b'),
  );
});
