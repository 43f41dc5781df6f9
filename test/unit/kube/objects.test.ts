/** ref(): how lines and JSON name an object. (The ObjectClient interface is implemented by KubeClient, tested in client.test.ts, and by the flows' FakeCluster.) */
import t from 'tap';
import { ref } from '../../../src/kube/objects.ts';

t.test('ns/name or name', async (t) => {
  t.equal(ref({ metadata: { name: 'a', namespace: 'b' } }), 'b/a');
  t.equal(ref({ metadata: { name: 'a' } }), 'a');
  t.equal(ref({}), '');
});
