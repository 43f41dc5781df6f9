/**
 * Bug: parseManifest accepted documents whose apiVersion, kind or
 * metadata.name was an empty string (only the type was checked); apply then
 * sent them to the API server, which answered with an unhelpful 404 or 422
 * about an object the user never meant to write. Noticed while writing the
 * oracle of test/unit/hostile/manifest.test.ts; now an InputError (exit 3)
 * naming the document.
 */
import t from 'tap';
import { InputError } from '../../src/errors.ts';
import { parseManifest } from '../../src/kube/apply.ts';

for (const [what, doc] of [
  ['empty apiVersion', 'apiVersion: ""\nkind: ConfigMap\nmetadata: {name: a}\n'],
  ['empty kind', 'apiVersion: v1\nkind: ""\nmetadata: {name: a}\n'],
  ['empty name', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ""}\n'],
  ['a sequence', '- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n'],
] as const) {
  t.test(what, async (t) => {
    t.throws(
      () => parseManifest(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n${doc}`, 'all.yaml'),
      new InputError(
        'HELPER_MANIFEST',
        'all.yaml: document 2 is not a Kubernetes object (needs apiVersion, kind and metadata.name, each a ' +
          'non-empty string)',
      ),
    );
  });
}
