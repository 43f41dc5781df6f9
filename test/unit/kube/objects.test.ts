/** ref(): how lines and JSON name an object; mayI(): one SelfSubjectAccessReview. (The ObjectClient interface is
 * implemented by KubeClient, tested in client.test.ts, and by the flows' MemoryCluster.) */
import t from 'tap';
import type { KObject } from '../../../src/kube/resources.ts';
import { mayI, ref } from '../../../src/kube/objects.ts';

t.test('ns/name or name', async (t) => {
  t.equal(ref({ metadata: { name: 'a', namespace: 'b' } }), 'b/a');
  t.equal(ref({ metadata: { name: 'a' } }), 'a');
  t.equal(ref({}), '');
});

t.test('mayI: sends the attributes as a SelfSubjectAccessReview; only allowed: true is yes', async (t) => {
  const sent: KObject[] = [];
  const answering = (status: unknown) => ({
    review: async (body: KObject) => {
      sent.push(body);
      return { ...body, status } as KObject;
    },
  });
  t.equal(
    await mayI(answering({ allowed: true }), {
      verb: 'create',
      group: 'anynines.com',
      resource: 'servicebindings',
      namespace: 'ns-a',
    }),
    true,
  );
  t.same(sent[0], {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: { verb: 'create', group: 'anynines.com', resource: 'servicebindings', namespace: 'ns-a' },
    },
  });
  t.equal(
    await mayI(answering({ allowed: false, reason: 'no' }), { verb: 'delete', resource: 'namespaces', name: 'x' }),
    false,
  );
  t.equal(
    await mayI(answering(undefined), { verb: 'delete', resource: 'namespaces', name: 'x' }),
    false,
    'no status is no',
  );
  t.equal(
    await mayI(answering({ allowed: 'true' }), { verb: 'delete', resource: 'namespaces', name: 'x' }),
    false,
    'only the boolean true',
  );
});
