/**
 * The create-ns flow in process, the control plane an in-memory Kubernetes
 * factory: the name printed (text and json), the journal, the name budget
 * and an unusable kubeconfig refused before any call.
 */
import t from 'tap';
import { createNs } from '../../../src/flows/create-ns.ts';
import { Journal } from '../../../src/journal.ts';
import { createNsOptions } from '../../../src/options/create-ns.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { fakeKube, NS } from '../../helpers/flow-fakes.ts';

const argv = (extra: Record<string, unknown> = {}) => ({
  kubeconfig: 'provider.kfg.yaml',
  name: 'team-a',
  timeout: '60s',
  'request-timeout': '5s',
  retries: 0,
  ...extra,
});

function deps(cp: MemoryCluster, opts: { konnector?: boolean; text?: string } = {}) {
  const k = fakeKube(cp, undefined, opts);
  const resolve =
    opts.text === undefined ? k.resolve : (o: { flag?: string | undefined }) => ({ ...k.resolve(o), text: opts.text! });
  return { journal: new Journal(), kube: { resolve, caPem: k.caPem, controlPlane: k.createNsControlPlane } };
}

t.test('prints the control-plane name; the journal records it', async (t) => {
  const cp = new MemoryCluster('control plane');
  const d = deps(cp);
  const out = await createNs(createNsOptions(argv(), {}), d);
  t.equal(out.stdout, `${NS}-team-a\n`);
  t.same(d.journal.namespaces, [`${NS}-team-a`]);
  t.ok(cp.find({ apiVersion: 'klutch.anynines.com/v1alpha1', kind: 'APIServiceNamespace' }, 'team-a', NS));
});

t.test('-o json: every name and whether it was created', async (t) => {
  const cp = new MemoryCluster('control plane');
  await createNs(createNsOptions(argv(), {}), deps(cp));
  const out = await createNs(createNsOptions(argv({ output: 'json' }), {}), deps(cp, { konnector: true }));
  t.same(JSON.parse(out.stdout!), { name: 'team-a', namespace: `${NS}-team-a`, clusterNamespace: NS, created: false });
});

t.test('a name that is no DNS label, or too long for the budget: exit 3 before any call', async (t) => {
  const cp = new MemoryCluster('control plane');
  await t.rejects(createNs(createNsOptions(argv({ name: 'Team_A' }), {}), deps(cp)), {
    exitCode: 3,
    code: 'HELPER_NAMESPACE_NAME',
    message: /-n "Team_A" cannot be used as a namespace in cluster namespace cluster-abc:/,
  });
  await t.rejects(createNs(createNsOptions(argv({ name: 'a'.repeat(60) }), {}), deps(cp)), {
    exitCode: 3,
    message: /left/,
  });
  t.same(cp.calls, []);
});

t.test('a kubeconfig without a namespace in its context: exit 3 naming the input', async (t) => {
  const text =
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://h:6443"}}]\nusers: ' +
    '[{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: ' +
    'c\n';
  await t.rejects(createNs(createNsOptions(argv(), {}), deps(new MemoryCluster('cp'), { text })), {
    exitCode: 3,
    code: 'HELPER_KUBECONFIG_INVALID',
    message: /^--kubeconfig provider\.kfg\.yaml cannot be used:/,
  });
});
