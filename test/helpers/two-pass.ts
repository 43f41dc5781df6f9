/**
 * The README's story of a plain `kubectl apply -f all.yaml` on a new App
 * Cluster: the first pass fails (exit 1) on exactly the APIServiceBindings,
 * because kubectl maps every document before it applies the CRDs; it applies
 * the rest. The second pass is clean and creates the bindings.
 */
import type { Test } from 'tap';
import { kubectl, type Binaries } from '../sandbox/cluster.ts';

export async function assertKubectlTwoPasses(
  t: Test,
  bin: Binaries,
  kubeconfig: string,
  file: string,
  bindings: readonly string[],
): Promise<void> {
  t.ok(bindings.length > 0, `all.yaml holds APIServiceBindings: ${bindings.join(', ')}`);
  const first = await kubectl(bin, kubeconfig, ['apply', '-f', file]);
  t.equal(first.code, 1, `the first kubectl apply fails on a new cluster (exit 1): ${first.stderr}`);
  const failing = [...first.stderr.matchAll(/resource mapping not found for name: "([^"]+)".*kind "(\w+)"/g)]
    .map((m) => `${m[2]}/${m[1]}`)
    .sort();
  t.same(
    failing,
    bindings.map((b) => `APIServiceBinding/${b}`).sort(),
    'the documents that fail are exactly the APIServiceBindings',
  );
  t.match(
    first.stderr,
    /no matches for kind "APIServiceBinding" in version "klutch\.anynines\.com\/v1alpha1"/,
    'kubectl says the kind is not known yet',
  );
  t.match(first.stderr, /ensure CRDs are installed first/, 'and what to do about it');
  t.match(
    first.stdout,
    /customresourcedefinition\.apiextensions\.k8s\.io\/apiservicebindings\.klutch\.anynines\.com created/,
    'the first pass did create the CRDs',
  );
  t.notMatch(first.stdout, /apiservicebinding\.klutch\.anynines\.com\//, 'and no binding');
  const second = await kubectl(bin, kubeconfig, ['apply', '-f', file]);
  t.equal(second.code, 0, `second pass clean: ${second.stderr}`);
  t.notMatch(second.stderr, /resource mapping not found/, 'nothing fails on the second pass');
  for (const name of bindings) {
    t.match(
      second.stdout,
      new RegExp(`apiservicebinding\\.klutch\\.anynines\\.com/${name.replace(/\./g, '\\.')} created`),
      `the second pass creates ${name}`,
    );
  }
}
