/** waitForBindingsReady in process (MockAgent App Cluster): one list per round until every binding of the manifest is
 * Ready; a timeout names each one that is not. */
import t from 'tap';
import { bindingState, waitForBindingsReady } from '../../../src/kube/bindings-ready.ts';
import { mockApi } from '../../helpers/mock-api.ts';

const objects = [
  { kind: 'APIServiceBinding', metadata: { name: 'pg.anynines.com' } },
  { kind: 'Secret', metadata: { name: 's' } },
];
const binding = (ready: boolean) => ({
  metadata: { name: 'pg.anynines.com' },
  status: {
    conditions: [
      { type: 'Connected', status: ready ? 'True' : 'False', reason: 'NoKonnector' },
      { type: 'Ready', status: ready ? 'True' : 'False' },
    ],
  },
});

t.test('bindingState says why', async (t) => {
  t.same(bindingState(undefined), { ready: false, seen: 'does not exist' });
  t.same(bindingState(binding(true)), { ready: true, seen: 'Ready' });
  t.same(bindingState(binding(false)), { ready: false, seen: 'Connected=False NoKonnector' });
});

t.test('lists the cluster-scoped APIServiceBindings until Ready', async (t) => {
  let rounds = 0;
  const { client, sent } = mockApi(t, () => ({ status: 200, body: { items: [binding(++rounds >= 2)] } }), {
    label: 'App Cluster',
  });
  await waitForBindingsReady(client, objects, { timeoutMs: 10_000 });
  t.equal(rounds, 2);
  t.same(
    [...new Set(sent.map((s) => `${s.method} ${s.path}`))],
    ['GET /apis/klutch.anynines.com/v1alpha1/apiservicebindings'],
  );
});

t.test('a timeout names each binding that is not Ready', async (t) => {
  const { client } = mockApi(t, () => ({ status: 200, body: { items: [binding(false)] } }), { label: 'App Cluster' });
  await t.rejects(waitForBindingsReady(client, objects, { timeoutMs: 100 }), {
    code: 'HELPER_WAIT_TIMEOUT',
    message: /pg\.anynines\.com: Connected=False NoKonnector/,
  });
});

t.test('no APIServiceBinding in the manifest: nothing to wait for, nothing sent', async (t) => {
  const { client, sent } = mockApi(t, () => ({ status: 500 }));
  await waitForBindingsReady(client, [objects[1]!], { timeoutMs: 100 });
  t.equal(sent.length, 0);
});

t.test('issue 24 #9: without a konnector the still-waiting lines are short and repeat only what changed', async (t) => {
  const two = [
    { kind: 'APIServiceBinding', metadata: { name: 'postgresqlinstances.anynines.com' } },
    { kind: 'APIServiceBinding', metadata: { name: 'servicebindings.anynines.com' } },
  ];
  const { client } = mockApi(t, () => ({ status: 200, body: { items: [] } }), { label: 'App Cluster' });
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await t.rejects(waitForBindingsReady(client, two, { timeoutMs: 1_300, stillWaitingMs: 400 }), {
      code: 'HELPER_WAIT_TIMEOUT',
      // The timeout still names each binding.
      message: /postgresqlinstances\.anynines\.com, servicebindings\.anynines\.com .*last seen: both: does not exist/,
    });
  } finally {
    process.stderr.write = write;
  }
  const still = lines.filter((l) => l.startsWith('still waiting'));
  t.ok(still.length >= 2, JSON.stringify(lines));
  t.match(
    still[0],
    /^still waiting \(0s of 1s\): 2 APIServiceBinding\(s\) to be Ready; last seen: both: does not exist\n$/,
  );
  t.match(still[1], /^still waiting \(\ds of 1s\): 2 APIServiceBinding\(s\) to be Ready; last seen: same as at \ds\n$/);
  for (const l of still) t.ok(l.length <= 120, `${l.length} characters: ${l}`);
});
