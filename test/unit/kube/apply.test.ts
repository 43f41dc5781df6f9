/**
 * applyInPhases in process against a MockAgent API server: Namespaces and
 * CRDs first, a wait until each CRD is Established, then the rest in file
 * order; per-object outcomes by resourceVersion; a dry run persists nothing
 * and tolerates what depends on new CRDs. parseManifest's errors.
 */
import t from 'tap';
import { applyInPhases, parseManifest } from '../../../src/kube/apply.ts';
import { mockApi, notFound, type Sent } from '../../helpers/mock-api.ts';

const manifest = `apiVersion: v1
kind: ConfigMap
metadata: {name: first, namespace: team}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, properties: {a: {type: string, enum: [x]}}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: team}
`;

/** A tiny API server: objects by path, SSA bumps resourceVersion only when the body changed, CRDs Established on the
 * second read. */
function server() {
  const store = new Map<string, { rv: number; body: string }>();
  let crdReads = 0;
  let rv = 10;
  return (req: Sent) => {
    if (req.method === 'GET' && req.path === '/apis/example.com/v1')
      return { status: 200, body: { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true }] } };
    const o = store.get(req.path);
    if (req.method === 'GET') {
      if (!o) return notFound;
      const body = {
        ...JSON.parse(o.body),
        metadata: { ...JSON.parse(o.body).metadata, resourceVersion: String(o.rv) },
      };
      if (req.path.includes('customresourcedefinitions'))
        body.status = {
          conditions: [{ type: 'Established', status: ++crdReads >= 2 ? 'True' : 'False', reason: 'Installing' }],
        };
      return { status: 200, body };
    }
    if (req.method === 'PATCH') {
      const text = JSON.stringify(req.body);
      if (req.query.dryRun !== 'All' && o?.body !== text)
        store.set(req.path, { rv: o?.body === text ? o.rv : ++rv, body: text });
      const now = store.get(req.path);
      return {
        status: 200,
        body: {
          ...(req.body as object),
          metadata: { ...(req.body as { metadata: object }).metadata, resourceVersion: String(now?.rv ?? 0) },
        },
      };
    }
    return { status: 405 };
  };
}

t.test(
  'phases: Namespace and CRD first, the CRD waited for, then the rest in file order; re-run unchanged',
  async (t) => {
    const objects = parseManifest(manifest, 'all.yaml');
    const { client, sent } = mockApi(t, server());
    const r = await applyInPhases(client, objects, { timeoutMs: 5000, report: true });
    t.same(
      r.applied.map((a) => [a.kind, a.phase, a.outcome]),
      [
        ['CustomResourceDefinition', 1, 'created'],
        ['Namespace', 1, 'created'],
        ['ConfigMap', 2, 'created'],
        ['Widget', 2, 'created'],
      ],
    );
    const patches = sent.filter((s) => s.method === 'PATCH');
    t.same(
      patches.map((s) => s.path),
      [
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
        '/api/v1/namespaces/team',
        '/api/v1/namespaces/team/configmaps/first',
        '/apis/example.com/v1/namespaces/team/widgets/w',
      ],
    );
    t.same(patches[0]!.query, { fieldManager: 'helper', force: 'true' });
    t.same(
      (patches[0]!.body as { spec: { versions: Array<{ schema: unknown }> } }).spec.versions[0]!.schema,
      { openAPIV3Schema: { type: 'object', properties: { a: { type: 'string', enum: ['x'] } } } },
      'the CRD schema is sent as written (enum kept)',
    );
    const lastCrdRead = sent.findLastIndex((s) => s.method === 'GET' && s.path.includes('customresourcedefinitions'));
    t.ok(
      lastCrdRead < sent.findIndex((s) => s.method === 'PATCH' && s.path.includes('configmaps')),
      'the rest waits for Established',
    );
    const again = await applyInPhases(client, objects, { timeoutMs: 5000, report: true });
    t.same(
      again.applied.map((a) => a.outcome),
      ['unchanged', 'unchanged', 'unchanged', 'unchanged'],
    );
  },
);

t.test(
  'dry run: dryRun=All on every apply, no CRD wait, objects of the new CRD not validated but not fatal',
  async (t) => {
    const objects = parseManifest(manifest, 'all.yaml');
    const { client, sent } = mockApi(t, (req) => (req.path === '/apis/example.com/v1' ? notFound : server()(req)));
    const r = await applyInPhases(client, objects, { timeoutMs: 5000, dryRun: true });
    t.same(
      r.applied.map((a) => a.kind),
      ['CustomResourceDefinition', 'Namespace', 'ConfigMap'],
    );
    t.ok(sent.filter((s) => s.method === 'PATCH').every((s) => s.query.dryRun === 'All'));
    t.notOk(
      sent.some((s) => s.method === 'GET' && s.path.includes('customresourcedefinitions')),
      'no wait for Established',
    );
  },
);

t.test('a refused apply names the object and the server; nothing after it is applied', async (t) => {
  const { client, sent } = mockApi(t, (req) =>
    req.method === 'PATCH' ? { status: 403, body: { kind: 'Status', reason: 'Forbidden', message: 'nope' } } : notFound,
  );
  await t.rejects(
    applyInPhases(
      client,
      parseManifest(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n---\napiVersion: v1\nkind: ' +
          'ConfigMap\nmetadata: {name: c, namespace: b}\n',
        'x',
      ),
      { timeoutMs: 1000 },
    ),
    {
      code: 'HELPER_CLUSTER_FORBIDDEN',
      message: 'cluster api.test:6443 refused to apply ConfigMap b/a (403 Forbidden): nope',
    },
  );
  t.equal(sent.length, 1);
});

t.test('parseManifest names the document and the problem', async (t) => {
  t.throws(() => parseManifest('a: [\n', 'm.yaml'), {
    code: 'HELPER_MANIFEST',
    message: /^m\.yaml: document 1 is not valid YAML/,
  });
  t.throws(() => parseManifest('---\n', 'm.yaml'), { message: 'm.yaml: no objects' });
  t.throws(() => parseManifest('kind: X\n', 'm.yaml'), { message: /document 1 is not a Kubernetes object/ });
});
