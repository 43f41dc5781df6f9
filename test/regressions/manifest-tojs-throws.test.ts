/**
 * Bug: parseManifest let doc.toJS() throw its own errors: a "billion laughs"
 * alias bomb escaped as ReferenceError ("Excessive alias count indicates a
 * resource exhaustion attack") and a merge key of a non-mapping (<<: [1, 2])
 * as a plain Error, both exit 1 instead of an InputError (exit 3).
 * Found by test/unit/hostile/manifest.test.ts.
 */
import t from 'tap';
import { InputError } from '../../src/errors.ts';
import { parseManifest } from '../../src/kube/apply.ts';

const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n';
const bomb = [
  'a0: &a0 lol',
  ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`),
].join('\n');

t.test('alias bombs and bad merges are InputErrors naming the document', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['billion laughs', `${bomb}\n`, /^all\.yaml: document 1 cannot be read: Excessive alias count/],
    [
      'billion laughs in the second document',
      `${cm}---\n${bomb}\n${cm}`,
      /^all\.yaml: document 2 cannot be read: Excessive alias count/,
    ],
    ['merge of a list', `${cm}<<: [1, 2]\n`, /^all\.yaml: document 1 cannot be read: Merge sources must be maps/],
    ['merge of a scalar', `${cm}<<: 5\n`, /^all\.yaml: document 1 cannot be read: Merge sources must be maps/],
  ];
  for (const [what, text, message] of cases) {
    t.throws(
      () => parseManifest(text, 'all.yaml'),
      { constructor: InputError, code: 'HELPER_MANIFEST', exitCode: 3, message },
      what,
    );
  }
});

t.test('merges of mappings and a few aliases still work', async (t) => {
  const objs = parseManifest(
    '<<: {apiVersion: v1, kind: ConfigMap}\nmetadata: &m {name: m}\ndata: {copy: *m}\n',
    'all.yaml',
  );
  t.same(objs, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { copy: { name: 'm' } } }]);
});
