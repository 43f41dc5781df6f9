/**
 * The apply flow in process: the manifest from the injected files, the
 * cluster the in-memory Kubernetes factory. Success, a dry run (nothing in
 * the journal), input errors, and a failure part way (the journal says n of m).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { apply, applyJson } from '../../../src/flows/apply.ts';
import { summaryLine } from '../../../src/kube/apply.ts';
import { newAjv } from '../../../src/validate/ajv.ts';
import { Journal } from '../../../src/journal.ts';
import { applyOptions } from '../../../src/options/apply.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { FakeFiles, fakeKube } from '../../helpers/flow-fakes.ts';

const MANIFEST = [
  'apiVersion: v1',
  'kind: Namespace',
  'metadata: {name: team-a}',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: c1, namespace: team-a}',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: c2, namespace: team-a}',
  '',
].join('\n');
const argv = (extra: Record<string, unknown> = {}) => ({
  file: 'all.yaml',
  kubeconfig: 'app.kubeconfig',
  timeout: '2m',
  'request-timeout': '5s',
  retries: 0,
  ...extra,
});

function deps(
  kube: ReturnType<typeof fakeKube>,
  files = new FakeFiles({ 'all.yaml': MANIFEST }),
  journal = new Journal(),
) {
  return { files, journal, kube: { resolve: kube.resolve, caPem: kube.caPem, target: () => kube.target } };
}

t.test("every object applied, in file order; the journal says all of them; stdout: kubectl's lines", async (t) => {
  const app = new MemoryCluster('App Cluster');
  const kube = fakeKube(new MemoryCluster('cp'), app);
  const d = deps(kube);
  const out = await apply(applyOptions(argv(), {}), d);
  t.equal(out.stdout, 'namespace/team-a created\nconfigmap/c1 created\nconfigmap/c2 created\n');
  t.same(
    out.result.applied.map((a) => `${a.kind} ${a.name} ${a.outcome}`),
    ['Namespace team-a created', 'ConfigMap c1 created', 'ConfigMap c2 created'],
  );
  t.ok(app.find({ apiVersion: 'v1', kind: 'ConfigMap' }, 'c2', 'team-a'));
  t.same(d.journal.applied, {
    server: 'App Cluster 127.0.0.1:7443',
    total: 3,
    objects: ['Namespace team-a', 'ConfigMap team-a/c1', 'ConfigMap team-a/c2'],
  });
});

t.test('--dry-run: nothing persisted, nothing in the journal', async (t) => {
  const app = new MemoryCluster('App Cluster');
  const d = deps(fakeKube(new MemoryCluster('cp'), app));
  await apply(applyOptions(argv({ 'dry-run': 'server' }), {}), d);
  t.equal(app.objects.size, 0);
  t.ok(d.journal.empty);
});

t.test('a failure part way: the error, and the journal holds the objects that reached the cluster', async (t) => {
  const d = deps(fakeKube(new MemoryCluster('cp'), new MemoryCluster('App Cluster'), { failAfter: 1 }));
  await t.rejects(apply(applyOptions(argv(), {}), d), { exitCode: 6, message: /ECONNREFUSED/ });
  t.same(d.journal.warnings(), [
    'already applied to App Cluster 127.0.0.1:7443: 1 of 3 object(s) (Namespace team-a); the other 2 were ' +
      'not; re-running the same command is safe and applies the rest',
  ]);
});

t.test('input errors: an unreadable manifest, a manifest that is not Kubernetes objects', async (t) => {
  const kube = fakeKube(new MemoryCluster('cp'));
  await t.rejects(apply(applyOptions(argv(), {}), deps(kube, new FakeFiles())), {
    exitCode: 3,
    code: 'HELPER_MANIFEST',
    message: 'cannot read all.yaml: ENOENT',
  });
  const d = deps(kube, new FakeFiles({ 'all.yaml': 'kind: [\n' }));
  await t.rejects(apply(applyOptions(argv(), {}), d), { exitCode: 3, message: /all\.yaml/ });
  t.ok(d.journal.empty);
});

t.test('the manifest from stdin (-) is named "stdin" in messages', async (t) => {
  const d = deps(fakeKube(new MemoryCluster('cp')), new FakeFiles({ '-': 'just text\n' }));
  await t.rejects(apply(applyOptions(argv({ file: '-' }), {}), d), { exitCode: 3, message: /stdin/ });
});

t.test(
  'issue 24 #7, #13: -o json of a dry run matches its schema; the summary counts what was not validated',
  async (t) => {
    const validate = newAjv().compile(
      JSON.parse(readFileSync(new URL('../../../schemas/apply.schema.json', import.meta.url), 'utf8')) as object,
    );
    const r = {
      applied: [{ apiVersion: 'v1', kind: 'Namespace', name: 'klutch-bind', phase: 1 as const }],
      notValidated: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'konnector',
          namespace: 'klutch-bind',
          reason: 'new-namespace' as const,
        },
      ],
    };
    const json = applyJson(r, true);
    t.ok(validate(json), JSON.stringify(validate.errors));
    t.same(json.counts, { applied: 1, created: 0, configured: 0, unchanged: 0, validated: 1, notValidated: 1 });
    t.equal(
      summaryLine(r, true),
      '(dry run) 1 object(s) validated by the API server, nothing persisted; 1 not validated (their CRD or ' +
        'namespace is new in this manifest)',
    );
  },
);
