/**
 * --write-secret's Secret: its reference is checked before anything happens,
 * and only a Secret that is absent or provably this binding's is written.
 */
import t from 'tap';
import type { KObject } from '../../../src/kube/resources.ts';
import {
  CLUSTER_ID_ANNOTATION,
  MANAGED_BY,
  SECRET_KEYS,
  checkBindingSecret,
  parseSecretRef,
  writeBindingSecret,
  type SecretClient,
} from '../../../src/kube/binding-secret.ts';

/** One namespace's Secrets in memory; apply bumps the resourceVersion only when something changed, and refuses a stale
 * one. */
function secrets(initial: KObject[] = []): SecretClient & { objects: Map<string, KObject>; applied: number } {
  const objects = new Map(initial.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o]));
  let rv = 10;
  return {
    server: 'mgmt.test:6443',
    objects,
    applied: 0,
    async get(_kind, name, namespace) {
      return structuredClone(objects.get(`${namespace}/${name}`));
    },
    async apply(obj) {
      this.applied++;
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const old = objects.get(key);
      const sent = obj.metadata?.resourceVersion;
      if (old && sent && sent !== old.metadata?.resourceVersion) throw new Error('409 conflict');
      const strip = (o: KObject | undefined) =>
        JSON.stringify({ ...o, metadata: { ...o?.metadata, resourceVersion: undefined } });
      const next =
        old && strip(old) === strip(obj)
          ? old
          : { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      objects.set(key, next);
      return structuredClone(next);
    },
  };
}

const ref = { namespace: 'ci', name: 'helper-binding-a' };
const data = { kubeconfig: 'apiVersion: v1\nkind: Config\n', manifest: 'kind: Namespace\n' };

t.test('parseSecretRef: NAMESPACE/NAME, each a Kubernetes name, else a usage error naming the value', async (t) => {
  t.same(parseSecretRef('ci/helper-binding-a'), ref);
  t.same(parseSecretRef('ci/a.b'), { namespace: 'ci', name: 'a.b' });
  for (const [value, message] of [
    ['ci', /--write-secret "ci" is not NAMESPACE\/NAME/],
    ['a/b/c', /is not NAMESPACE\/NAME/],
    ['CI/x', /namespace "CI" is not a Kubernetes namespace name/],
    ['ci/Bad_Name', /name "Bad_Name" is not a Kubernetes object name/],
    [`ci/${'a'.repeat(254)}`, /is not a Kubernetes object name/],
  ] as const)
    t.throws(() => parseSecretRef(value), { exitCode: 2, message }, value);
});

t.test(
  'writeBindingSecret: created with both keys, the label and the clusterID; a re-run is unchanged; new data updates it',
  async (t) => {
    const c = secrets();
    t.equal(await writeBindingSecret(c, ref, 'cluster-a', data), 'created');
    const s = c.objects.get('ci/helper-binding-a')!;
    t.equal(s.type, 'Opaque');
    t.same((s.metadata as { labels: object }).labels, { [MANAGED_BY]: 'helper' });
    t.same((s.metadata as { annotations: object }).annotations, { [CLUSTER_ID_ANNOTATION]: 'cluster-a' });
    const d = s.data as Record<string, string>;
    t.equal(Buffer.from(d[SECRET_KEYS.kubeconfig]!, 'base64').toString(), data.kubeconfig);
    t.equal(Buffer.from(d[SECRET_KEYS.manifest]!, 'base64').toString(), data.manifest);
    t.equal(await writeBindingSecret(c, ref, 'cluster-a', data), 'unchanged');
    t.equal(await writeBindingSecret(c, ref, 'cluster-a', { ...data, manifest: 'kind: Secret\n' }), 'updated');
  },
);

t.test("a Secret that is not provably this binding's is refused by name (exit 6) and never written", async (t) => {
  const foreign = (labels: object, annotations: object): KObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ref.namespace, resourceVersion: '3', labels, annotations },
    data: { keep: 'eA==' },
  });
  for (const [what, obj, message] of [
    [
      'no label',
      foreign({}, { [CLUSTER_ID_ANNOTATION]: 'cluster-a' }),
      /it has no label app\.kubernetes\.io\/managed-by=helper/,
    ],
    [
      'another clusterID',
      foreign({ [MANAGED_BY]: 'helper' }, { [CLUSTER_ID_ANNOTATION]: 'cluster-b' }),
      /its annotation helper\.klutch\.anynines\.com\/cluster-id is "cluster-b", not "cluster-a"/,
    ],
    [
      'no annotation',
      foreign({ [MANAGED_BY]: 'helper' }, {}),
      /it has no annotation helper\.klutch\.anynines\.com\/cluster-id/,
    ],
  ] as const) {
    const c = secrets([obj]);
    await t.rejects(
      checkBindingSecret(c, ref, 'cluster-a'),
      {
        exitCode: 6,
        code: 'HELPER_SECRET_FOREIGN',
        message: /^Secret ci\/helper-binding-a on mgmt\.test:6443 exists and is not this binding's/,
      },
      `${what}: check`,
    );
    await t.rejects(writeBindingSecret(c, ref, 'cluster-a', data), { exitCode: 6, message }, `${what}: write`);
    t.equal(c.applied, 0, `${what}: nothing applied`);
    t.same(c.objects.get('ci/helper-binding-a'), obj, `${what}: the Secret unchanged`);
  }
});
