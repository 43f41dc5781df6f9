/**
 * KubeClient in process, the API server an undici MockAgent (the injected
 * transport): what is sent (method, path, query, content type, credential),
 * what comes back, and how every failure is named. The real API servers are
 * exercised by the e2e suite.
 */
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import type { MockInterceptor } from 'undici/types/mock-interceptor.js';
import { ClusterError } from '../../../src/errors.ts';
import { addSecret } from '../../../src/log.ts';
import { ControlPlane, KubeClient } from '../../../src/kube/client.ts';
import { KINDS } from '../../../src/kube/resources.ts';
import { retryDecision } from '../../../src/kube/transport.ts';
import type { Connection } from '../../../src/kube/kubeconfig.ts';

const SERVER = 'https://api.test:6443';
const TOKEN = 'kube-token-do-not-print-1234';
const json = { 'content-type': 'application/json' };
const conn: Connection = { server: SERVER, insecure: false, auth: { kind: 'token', token: TOKEN } };

function agent(t: Test): MockAgent {
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  return a;
}

function client(a: MockAgent, over: Partial<ConstructorParameters<typeof KubeClient>[1]> = {}): KubeClient {
  return new KubeClient(conn, {
    label: 'control plane',
    dispatcher: a,
    requestTimeoutMs: 1000,
    attempts: 1,
    baseDelayMs: 1,
    ...over,
  });
}

const cm = { apiVersion: 'v1', kind: 'ConfigMap' };

t.test('get: the bearer token is sent; the object comes back; a 404 is absent', async (t) => {
  const a = agent(t);
  const pool = a.get(SERVER);
  let auth: string | undefined;
  pool.intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' }).reply((req) => {
    auth = (req.headers as Record<string, string>).authorization;
    return {
      statusCode: 200,
      data: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } }),
      responseOptions: { headers: json },
    };
  });
  pool
    .intercept({ path: '/api/v1/namespaces/ns/configmaps/b', method: 'GET' })
    .reply(404, { kind: 'Status', reason: 'NotFound', message: 'configmaps "b" not found' }, { headers: json });
  const c = client(a);
  t.equal((await c.get(cm, 'a', 'ns'))?.metadata?.name, 'a');
  t.equal(auth, `Bearer ${TOKEN}`);
  t.equal(await c.get(cm, 'b', 'ns'), undefined);
  t.equal(c.server, 'control plane api.test:6443');
});

t.test("a user's as: goes with every request as Impersonate-User", async (t) => {
  const a = agent(t);
  let seen: string | undefined;
  a.get(SERVER)
    .intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' })
    .reply((req) => {
      seen = (req.headers as Record<string, string>)['impersonate-user'];
      return {
        statusCode: 200,
        data: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } }),
        responseOptions: { headers: json },
      };
    });
  const c = new KubeClient(
    { ...conn, impersonate: 'ci-bot' },
    { label: 'cluster', dispatcher: a, requestTimeoutMs: 1000, attempts: 1 },
  );
  await c.get(cm, 'a', 'ns');
  t.equal(seen, 'ci-bot');
});

t.test(
  'translation: 401, 403, 409, 5xx and an HTML 200 each name server and action; a plain-text error body is ' +
    'shown (redacted), no token, header or HTML anywhere',
  async (t) => {
    addSecret(TOKEN);
    const a = agent(t);
    const pool = a.get(SERVER);
    const path = '/api/v1/namespaces/ns/configmaps';
    pool
      .intercept({ path, method: 'POST' })
      .reply(401, { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' }, { headers: json });
    pool
      .intercept({ path, method: 'POST' })
      .reply(
        403,
        { kind: 'Status', reason: 'Forbidden', message: 'configmaps is forbidden: User "x" cannot create' },
        { headers: json },
      );
    pool
      .intercept({ path, method: 'POST' })
      .reply(
        409,
        { kind: 'Status', reason: 'AlreadyExists', message: 'configmaps "a" already exists' },
        { headers: json },
      );
    pool
      .intercept({ path, method: 'POST' })
      .reply(503, `upstream down ${TOKEN}`, { headers: { 'content-type': 'text/plain', 'x-secret-header': TOKEN } });
    pool
      .intercept({ path, method: 'POST' })
      .reply(200, `<html>${TOKEN}</html>`, { headers: { 'content-type': 'text/html' } });
    const c = client(a);
    const body = { ...cm, metadata: { name: 'a', namespace: 'ns' } };
    const errs: unknown[] = [];
    for (let i = 0; i < 5; i++) errs.push(await c.create(body).catch((e: unknown) => e as ClusterError));
    t.match(errs[0], {
      code: 'HELPER_CLUSTER_UNAUTHORIZED',
      status: 401,
      message:
        "control plane api.test:6443 did not accept the kubeconfig's credentials (401) when trying to " +
        'create ConfigMap "a" in namespace "ns"',
    });
    t.match(errs[1], {
      code: 'HELPER_CLUSTER_FORBIDDEN',
      status: 403,
      hint: "the kubeconfig's identity lacks this permission",
      message: /refused to create ConfigMap "a" in namespace "ns" \(403 Forbidden\): configmaps is forbidden/,
    });
    t.match(errs[2], {
      code: 'HELPER_CLUSTER_STATUS',
      status: 409,
      message:
        /failed to create ConfigMap "a" in namespace "ns": HTTP 409 AlreadyExists: configmaps "a" already exists$/,
    });
    t.match(errs[3], { code: 'HELPER_CLUSTER_STATUS', status: 503, message: /HTTP 503: upstream down \[REDACTED\]$/ });
    t.match(errs[4], {
      code: 'HELPER_CLUSTER_RESPONSE',
      message:
        'control plane api.test:6443 answered create ConfigMap "a" in namespace "ns" with a body that is not ' +
        'a Kubernetes object: the answer is not JSON (content-type text/html)',
    });
    for (const e of errs) {
      t.ok(e instanceof ClusterError && e.exitCode === 6, 'a ClusterError, exit 6');
      const all =
        `${(e as Error).message} ${String(((e as Error).cause as Error | undefined)?.message)} ` +
        `${JSON.stringify(e)}`;
      t.notMatch(all, TOKEN, 'no token anywhere');
      t.notMatch(all, /<html>/, 'no HTML body');
      t.ok((e as Error).cause instanceof Error, 'the cause is kept');
    }
    t.same(
      [401, 403, 409, 503].map((s) => retryDecision(errs.find((e) => (e as ClusterError).status === s)).retry),
      [false, false, false, true],
    );
  },
);

t.test('429 with Retry-After and 5xx are retried, 4xx are not', async (t) => {
  const a = agent(t);
  const pool = a.get(SERVER);
  const path = '/api/v1/namespaces/ns/configmaps/a';
  pool
    .intercept({ path, method: 'GET' })
    .reply(
      429,
      { kind: 'Status', reason: 'TooManyRequests', message: 'slow down' },
      { headers: { ...json, 'retry-after': '0' } },
    );
  pool.intercept({ path, method: 'GET' }).reply(500, { kind: 'Status', message: 'oops' }, { headers: json });
  pool.intercept({ path, method: 'GET' }).reply(200, { metadata: { name: 'a' } }, { headers: json });
  const c = client(a, { attempts: 3 });
  t.equal((await c.get(cm, 'a', 'ns'))?.metadata?.name, 'a', 'the third attempt answers');
  t.same(a.pendingInterceptors(), []);
  pool
    .intercept({ path, method: 'GET' })
    .reply(400, { kind: 'Status', reason: 'BadRequest', message: 'no' }, { headers: json });
  await t.rejects(c.get(cm, 'a', 'ns'), { code: 'HELPER_CLUSTER_STATUS', status: 400 });
});

t.test('a 2xx that is another object is not taken', async (t) => {
  const a = agent(t);
  a.get(SERVER)
    .intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' })
    .reply(200, { metadata: { name: 'other' } }, { headers: json });
  await t.rejects(client(a).get(cm, 'a', 'ns'), {
    code: 'HELPER_CLUSTER_RESPONSE',
    message: /the answer is not the ConfigMap a$/,
  });
});

t.test('timeouts: a stalled answer ends with HELPER_CLUSTER_TIMEOUT after every attempt', async (t) => {
  const a = agent(t);
  a.get(SERVER)
    .intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' })
    .reply(200, { metadata: { name: 'a' } }, { headers: json })
    .delay(5000)
    .times(2);
  await t.rejects(client(a, { requestTimeoutMs: 50, attempts: 2 }).get(cm, 'a', 'ns'), {
    code: 'HELPER_CLUSTER_TIMEOUT',
    message: 'control plane api.test:6443 did not answer get ConfigMap within 0s',
  });
});

t.test('a network error is "cannot reach" and retried', async (t) => {
  const a = agent(t);
  a.get(SERVER)
    .intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' })
    .replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }));
  const err = await client(a)
    .get(cm, 'a', 'ns')
    .catch((e: unknown) => e as ClusterError);
  t.match(err, {
    code: 'HELPER_CLUSTER_UNREACHABLE',
    message: /^cannot reach control plane api\.test:6443 to get ConfigMap "a" in namespace "ns": /,
  });
  t.equal(retryDecision(err).retry, true);
});

t.test(
  'discovery maps a kind whose plural is unknown, once per client; a kind it does not list is UnknownKind',
  async (t) => {
    const a = agent(t);
    const pool = a.get(SERVER);
    const resources = {
      kind: 'APIResourceList',
      resources: [
        { name: 'widgets', kind: 'Widget', namespaced: true },
        { name: 'widgets/status', kind: 'Widget', namespaced: true },
        { name: 'gadgets', kind: 'Gadget', namespaced: false },
      ],
    };
    pool.intercept({ path: '/apis/example.com/v1', method: 'GET' }).reply(200, resources, { headers: json });
    pool
      .intercept({ path: '/apis/example.com/v1/namespaces/ns/widgets/w', method: 'GET' })
      .reply(200, { metadata: { name: 'w' } }, { headers: json });
    pool
      .intercept({ path: '/apis/example.com/v1/gadgets?labelSelector=a%3Db&limit=250', method: 'GET' })
      .reply(200, { items: [{ metadata: { name: 'g' } }] }, { headers: json });
    const c = client(a);
    t.equal((await c.get({ apiVersion: 'example.com/v1', kind: 'Widget' }, 'w', 'ns'))?.metadata?.name, 'w');
    t.same(
      await c.list({ apiVersion: 'example.com/v1', kind: 'Gadget' }, 'ignored', { labelSelector: 'a=b' }),
      [{ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } }],
      'cluster-scoped: no namespace in the path; the list items get apiVersion and kind',
    );
    // A missing kind: discovery is fetched again (its CRD may be new), then it is final.
    pool.intercept({ path: '/apis/example.com/v1', method: 'GET' }).reply(200, resources, { headers: json });
    const err = await c
      .apply(
        { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } },
        { fieldManager: 'helper', label: { action: 'apply Thing t' } },
      )
      .catch((e: unknown) => e);
    t.match(err, {
      code: 'HELPER_CLUSTER_UNKNOWN_KIND',
      message:
        'control plane api.test:6443 cannot apply Thing t: it does not serve example.com/v1 Thing (is its ' +
        'CustomResourceDefinition installed?)',
    });
    t.same(
      a.pendingInterceptors(),
      [],
      'discovery was fetched once for the two kinds it lists, and once more for the missing one',
    );
    pool
      .intercept({ path: '/apis/gone.com/v1', method: 'GET' })
      .reply(
        404,
        { kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' },
        { headers: json },
      );
    t.equal(
      await c.list({ apiVersion: 'gone.com/v1', kind: 'X' }),
      undefined,
      'a group version not served: the kind is not served',
    );
  },
);

t.test('server-side apply: plain JSON as apply-patch, fieldManager, force, dryRun', async (t) => {
  const a = agent(t);
  let seen: { path?: string; type?: string; body?: string } = {};
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'ws.example.com' },
    spec: {
      versions: [
        {
          schema: {
            openAPIV3Schema: {
              properties: { a: { enum: ['x'], default: 'x', 'x-kubernetes-validations': [{ rule: 'true' }] } },
            },
          },
        },
      ],
    },
  };
  a.get(SERVER)
    .intercept({
      path: (p) => p.startsWith('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ws.example.com?'),
      method: 'PATCH',
    })
    .reply((req) => {
      seen = { path: req.path, type: (req.headers as Record<string, string>)['content-type'], body: String(req.body) };
      return {
        statusCode: 200,
        data: JSON.stringify({ ...crd, metadata: { name: 'ws.example.com', resourceVersion: '7' } }),
        responseOptions: { headers: json },
      };
    });
  const out = await client(a).apply(crd, {
    fieldManager: 'helper',
    dryRun: true,
    label: { action: 'apply CustomResourceDefinition ws.example.com' },
  });
  t.equal(out.metadata?.resourceVersion, '7');
  t.equal(seen.type, 'application/apply-patch+yaml');
  t.same(Object.fromEntries(new URL(`https://x${seen.path}`).searchParams), {
    fieldManager: 'helper',
    force: 'true',
    dryRun: 'All',
  });
  t.same(JSON.parse(seen.body!), crd, "the API's own field names: enum, default and x-kubernetes-* arrive as written");
});

t.test('merge patch, delete with propagationPolicy and dryRun, review', async (t) => {
  const a = agent(t);
  const pool = a.get(SERVER);
  const kind = { apiVersion: 'klutch.anynines.com/v1alpha1', kind: 'APIServiceBinding' };
  const sent: Array<{ method: string; path: string; type?: string; body?: string }> = [];
  const record = (status: number, data: object) => (req: MockInterceptor.MockResponseCallbackOptions) => {
    sent.push({
      method: req.method,
      path: req.path,
      type: (req.headers as Record<string, string>)['content-type'],
      body: req.body === undefined ? undefined : String(req.body),
    });
    return { statusCode: status, data: JSON.stringify(data), responseOptions: { headers: json } };
  };
  pool
    .intercept({
      path: (p) => p.startsWith('/apis/klutch.anynines.com/v1alpha1/apiservicebindings/b'),
      method: 'PATCH',
    })
    .reply(record(200, { metadata: { name: 'b' } }));
  pool
    .intercept({
      path: (p) => p.startsWith('/apis/klutch.anynines.com/v1alpha1/apiservicebindings/b'),
      method: 'DELETE',
    })
    .reply(record(200, { kind: 'Status', status: 'Success' }));
  pool
    .intercept({
      path: (p) => p.startsWith('/apis/klutch.anynines.com/v1alpha1/apiservicebindings/c'),
      method: 'DELETE',
    })
    .reply(record(404, { kind: 'Status', reason: 'NotFound', message: 'not found' }));
  pool
    .intercept({ path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', method: 'POST' })
    .reply(record(201, { status: { allowed: true } }));
  const c = client(a);
  t.equal(await c.mergePatch(kind, 'b', undefined, { metadata: { finalizers: null } }, { dryRun: true }), 'patched');
  t.equal(await c.delete(kind, 'b', undefined, { propagationPolicy: 'Orphan', dryRun: true }), 'deleted');
  t.equal(await c.delete(kind, 'c', undefined), 'gone');
  t.same(
    (await c.review({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} })).status,
    { allowed: true },
  );
  t.equal(sent[0]!.type, 'application/merge-patch+json');
  t.same(JSON.parse(sent[0]!.body!), { metadata: { finalizers: null } });
  t.match(sent[0]!.path, /[?&]dryRun=All/);
  t.match(sent[1]!.path, /[?&]propagationPolicy=Orphan/);
  t.match(sent[1]!.path, /[?&]dryRun=All/);
  t.equal(sent[3]!.method, 'POST');
});

t.test(
  'ControlPlane: klutch objects in the cluster namespace, labelled as create-ns names them; 409 for the caller',
  async (t) => {
    const a = agent(t);
    const pool = a.get(SERVER);
    const path = '/apis/klutch.anynines.com/v1alpha1/namespaces/cluster-ab12c/apiservicenamespaces';
    pool
      .intercept({ path, method: 'POST' })
      .reply(201, { metadata: { name: 'team-a', namespace: 'cluster-ab12c' } }, { headers: json });
    pool
      .intercept({ path, method: 'POST' })
      .reply(409, { kind: 'Status', reason: 'AlreadyExists', message: 'exists' }, { headers: json });
    pool
      .intercept({ path: `${path}/team-a`, method: 'GET' })
      .reply(403, { kind: 'Status', reason: 'Forbidden', message: 'no' }, { headers: json });
    const cp = new ControlPlane(client(a), 'cluster-ab12c');
    const body = {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceNamespace',
      metadata: { name: 'team-a' },
      spec: {},
    };
    t.equal((await cp.create(KINDS.serviceNamespace, body)).metadata?.name, 'team-a');
    t.match(await cp.create(KINDS.serviceNamespace, body).catch((e: unknown) => e), { status: 409 });
    await t.rejects(cp.peek(KINDS.serviceNamespace, 'team-a'), {
      code: 'HELPER_CLUSTER_FORBIDDEN',
      message:
        'control plane api.test:6443 refused to get apiservicenamespaces "team-a" in namespace ' +
        '"cluster-ab12c" (403 Forbidden): no',
      hint: /was the binding created for this cluster namespace\?/,
    });
    t.equal(cp.collectionPath(KINDS.serviceNamespace), path);
  },
);

t.test('watch: events wake the caller, the end is reported once, the signal stops it', async (t) => {
  const a = agent(t);
  a.get(SERVER)
    .intercept({ path: '/apis/x/v1/namespaces/n/things?watch=true&fieldSelector=metadata.name%3Dx', method: 'GET' })
    .reply(200, '{"type":"ADDED","object":{}}\n{"type":"MODIFIED","object":{}}\n', { headers: json });
  let events = 0;
  const ended: unknown[] = [];
  const done = new Promise<void>((resolve) => {
    void client(a).watch(
      '/apis/x/v1/namespaces/n/things',
      'x',
      () => events++,
      (err) => {
        ended.push(err);
        resolve();
      },
      new AbortController().signal,
    );
  });
  await done;
  t.ok(events >= 1, 'at least one wake-up');
  t.same(ended, [undefined], 'one clean end');
  a.get(SERVER)
    .intercept({ path: (p) => p.includes('watch=true'), method: 'GET' })
    .reply(403, { kind: 'Status' }, { headers: json });
  t.match(
    await client(a)
      .watch(
        '/apis/x/v1/namespaces/n/things',
        'x',
        () => {},
        () => {},
        new AbortController().signal,
      )
      .catch((e: unknown) => e),
    { status: 403 },
    'a refused watch does not start',
  );
});

t.test(
  "a server's error text is shown with its control characters escaped (regression: ESC, BEL and line breaks " +
    'of a Status message reached stderr)',
  async (t) => {
    const a = agent(t);
    const pool = a.get(SERVER);
    const hostile = 'no \x1b]0;pwned\x07\x1b[2J\nerror: forged line';
    pool
      .intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' })
      .reply(403, { kind: 'Status', reason: 'Forbidden\x1b[1m', message: hostile }, { headers: json });
    pool
      .intercept({ path: '/api/v1/namespaces/ns/configmaps/b', method: 'GET' })
      .reply(400, `plain ${hostile}`, { headers: { 'content-type': 'text/plain' } });
    const forbidden = await client(a)
      .get(cm, 'a', 'ns')
      .catch((e: unknown) => e as ClusterError);
    t.equal(
      (forbidden as ClusterError).message,
      'control plane api.test:6443 refused to get ConfigMap "a" in namespace "ns" (403 Forbidden): no ' +
        '\\x1b]0;pwned\\x07\\x1b[2J\\nerror: forged line',
    );
    const plain = await client(a)
      .get(cm, 'b', 'ns')
      .catch((e: unknown) => e as ClusterError);
    t.equal(
      (plain as ClusterError).message,
      'control plane api.test:6443 failed to get ConfigMap "b" in namespace "ns": HTTP 400: plain no ' +
        '\\x1b]0;pwned\\x07\\x1b[2J\\nerror: forged line',
    );
  },
);

t.test(
  'an answer over 16 MiB is not read past the limit: a malformed answer naming server, action and limit ' +
    '(regression: every body was read whole)',
  async (t) => {
    const a = agent(t);
    const pool = a.get(SERVER);
    const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
    pool.intercept({ path: '/api/v1/namespaces/ns/configmaps/a', method: 'GET' }).reply(200, big, { headers: json });
    pool
      .intercept({ path: '/api/v1/namespaces/ns/configmaps/b', method: 'GET' })
      .reply(500, big, { headers: { 'content-type': 'text/plain' } });
    const err = await client(a)
      .get(cm, 'a', 'ns')
      .catch((e: unknown) => e as ClusterError);
    t.match(err, {
      code: 'HELPER_CLUSTER_RESPONSE',
      exitCode: 6,
      message:
        'control plane api.test:6443 answered get ConfigMap "a" in namespace "ns" with a body over 16 MiB ' +
        "(16777216 bytes), helper's limit for one Kubernetes answer (lists are read in pages of 250)",
    });
    t.equal(retryDecision(err).retry, true, 'retried as a malformed answer');
    const err500 = await client(a)
      .get(cm, 'b', 'ns')
      .catch((e: unknown) => e as ClusterError);
    t.match(err500, { code: 'HELPER_CLUSTER_RESPONSE', message: /with a body over 16 MiB/ }, 'an error body too');
    // Exactly the limit is read.
    pool
      .intercept({ path: '/api/v1/namespaces/ns/configmaps/c', method: 'GET' })
      .reply(200, `{"metadata":{"name":"c"}}${' '.repeat(16 * 1024 * 1024 - 25)}`, { headers: json });
    t.equal((await client(a).get(cm, 'c', 'ns'))?.metadata?.name, 'c', 'a body of exactly 16 MiB is read');
  },
);

t.test(
  'lists are read in pages of 250 (continue tokens followed); a server whose pages never end is a malformed answer',
  async (t) => {
    const a = agent(t);
    const pool = a.get(SERVER);
    const page = (names: string[], cont?: string) => ({
      kind: 'ConfigMapList',
      metadata: cont ? { continue: cont } : {},
      items: names.map((name) => ({ metadata: { name } })),
    });
    pool
      .intercept({ path: '/api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=250', method: 'GET' })
      .reply(200, page(['a', 'b'], 'tok1'), { headers: json });
    pool
      .intercept({
        path: '/api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=250&continue=tok1',
        method: 'GET',
      })
      .reply(200, page(['c']), { headers: json });
    t.same(
      (await client(a).list(cm, 'ns', { labelSelector: 'a=b' }))?.map((o) => o.metadata?.name),
      ['a', 'b', 'c'],
    );
    t.same(a.pendingInterceptors(), [], 'two pages');
    pool
      .intercept({
        path: (p) => p.startsWith('/api/v1/namespaces/ns/configmaps?') && p.includes('limit=250'),
        method: 'GET',
      })
      .reply(200, page(['x'], 'again'), { headers: json })
      .persist();
    const err = await client(a, { requestTimeoutMs: 20_000 })
      .list(cm, 'ns')
      .catch((e: unknown) => e as ClusterError);
    t.match(err, { code: 'HELPER_CLUSTER_RESPONSE', message: /2000 pages of 250 and still a continue token/ });
  },
);

t.test(
  'watch: a line that grows past 16 MiB ends the watch with the limit (the wait then reads instead)',
  async (t) => {
    const a = agent(t);
    a.get(SERVER)
      .intercept({ path: (p) => p.includes('watch=true'), method: 'GET' })
      .reply(200, Buffer.alloc(16 * 1024 * 1024 + 10, 0x61), { headers: json });
    const ended = await new Promise<unknown>((resolve) => {
      void client(a).watch('/apis/x/v1/namespaces/n/things', 'x', () => {}, resolve, new AbortController().signal);
    });
    t.match(ended, { name: 'ResponseTooLargeError', message: /response body exceeds 16777216 bytes \(16 MiB\)/ });
  },
);
