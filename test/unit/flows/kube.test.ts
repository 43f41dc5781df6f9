/**
 * The real Kubernetes factories refuse an unusable kubeconfig as an input
 * error naming the flag, before any call (nothing here reaches a server).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MockAgent } from 'undici';
import { applyKube, bootstrapKube } from '../../../src/flows/kube.ts';

const policy = { requestTimeoutMs: 1000, attempts: 1, signal: new AbortController().signal };
const tls = { caPem: undefined, insecure: false };

t.test('bootstrap-env --apply-to: a missing file is exit 3 naming --apply-to', async (t) => {
  const dir = t.testdir({});
  t.throws(() => bootstrapKube.appCluster(join(dir, 'app.kubeconfig'), undefined, tls, policy), {
    exitCode: 3,
    message: new RegExp(`--apply-to ${dir}/app\\.kubeconfig`),
  });
});

t.test('apply: a context that names no cluster is exit 3 saying so', async (t) => {
  const dir = t.testdir({ kc: 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n' });
  const resolved = applyKube.resolve({ flag: join(dir, 'kc'), context: undefined, env: {} });
  t.throws(() => applyKube.target(resolved, tls, policy), {
    exitCode: 3,
    code: 'HELPER_KUBECONFIG_INVALID',
    message: /has no cluster for context "" \(no current-context; pass --context\)$/,
  });
});

t.test('apply: a usable kubeconfig gives a target named after its server', async (t) => {
  const dir = t.testdir({
    kc:
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: ' +
      '"https://127.0.0.1:7443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: ' +
      '{cluster: c, user: u}}]\ncurrent-context: c\n',
  });
  const target = applyKube.target(
    applyKube.resolve({ flag: join(dir, 'kc'), context: undefined, env: {} }),
    tls,
    policy,
  );
  t.equal(target.server, 'cluster 127.0.0.1:7443');
});

t.test(
  "bootstrap-env's control plane over an undici MockAgent: export requests are POSTed to the cluster " +
    "namespace with the binding's token",
  async (t) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    t.teardown(() => agent.close());
    const sent: Array<{
      path: string;
      auth: string | undefined;
      body: { metadata?: { name?: string; namespace?: string } };
    }> = [];
    agent
      .get('https://127.0.0.1:6443')
      .intercept({ path: () => true, method: 'POST' })
      .reply((req) => {
        const body = JSON.parse(String(req.body)) as { metadata?: { name?: string; namespace?: string } };
        sent.push({ path: req.path, auth: (req.headers as Record<string, string>).authorization, body });
        return {
          statusCode: 201,
          data: JSON.stringify(body),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      })
      .persist();
    const conn = {
      server: 'https://127.0.0.1:6443',
      insecure: false,
      auth: { kind: 'token' as const, token: 'binding-token-not-real' },
    };
    const cp = bootstrapKube.controlPlane(conn, 'cluster-abc', tls, { ...policy, dispatcher: agent });
    const created: string[] = [];
    const out = await cp.createExportRequests(
      [
        {
          apiVersion: 'klutch.anynines.com/v1alpha1',
          kind: 'APIServiceExportRequest',
          spec: { resources: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] },
        },
      ],
      (r) => created.push(r.name),
    );
    t.same(out, [{ name: 'postgresqlinstances.anynines.com', action: 'created' }]);
    t.same(created, [out[0]!.name], 'each creation is reported as it happens (the journal records it)');
    t.equal(sent.length, 1);
    t.equal(sent[0]!.path, '/apis/klutch.anynines.com/v1alpha1/namespaces/cluster-abc/apiserviceexportrequests');
    t.equal(sent[0]!.auth, 'Bearer binding-token-not-real');
    t.equal(sent[0]!.body.metadata?.namespace, 'cluster-abc');
    t.equal(sent[0]!.body.metadata?.name, out[0]!.name);
  },
);

t.test(
  'apply of a manifest that starts a konnector: a control plane the provider kubeconfig cannot read stops it ' +
    'before anything is applied (exit 6)',
  async (t) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    t.teardown(() => agent.close());
    const seen: string[] = [];
    agent
      .get('https://127.0.0.1:6443')
      .intercept({ path: () => true, method: () => true })
      .reply((req) => {
        seen.push(`cp ${req.method} ${req.path}`);
        return {
          statusCode: 503,
          data: '{"kind":"Status","message":"unavailable"}',
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      })
      .persist();
    agent
      .get('https://127.0.0.1:7443')
      .intercept({ path: () => true, method: () => true })
      .reply((req) => {
        seen.push(`app ${req.method} ${req.path}`);
        return { statusCode: 500, data: '{}' };
      })
      .persist();
    const dir = t.testdir({
      kc:
        'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: ' +
        '"https://127.0.0.1:7443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: ' +
        '{cluster: c, user: u}}]\ncurrent-context: c\n',
    });
    const target = applyKube.target(applyKube.resolve({ flag: join(dir, 'kc'), context: undefined, env: {} }), tls, {
      ...policy,
      dispatcher: agent,
    });
    const provider =
      'apiVersion: v1\nkind: Config\nclusters: [{name: p, cluster: {server: ' +
      '"https://127.0.0.1:6443"}}]\nusers: [{name: p, user: {token: not-a-real-token}}]\ncontexts: [{name: ' +
      'p, context: {cluster: p, user: p, namespace: cluster-abc}}]\ncurrent-context: p\n';
    const objects = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'kubeconfig', namespace: 'klutch-bind' },
        data: { kubeconfig: Buffer.from(provider).toString('base64') },
      },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'konnector', namespace: 'klutch-bind' } },
    ];
    await t.rejects(target.apply(objects, { timeoutMs: 5000, onApplied: () => {} }), {
      exitCode: 6,
      message:
        /control plane 127\.0\.0\.1:6443.*; nothing was applied: before a konnector starts, helper reads the binding's claims on the control plane/s,
    });
    t.ok(
      seen.length > 0 &&
        seen.every((s) => s.startsWith('cp GET /apis/klutch.anynines.com/v1alpha1/namespaces/cluster-abc/')),
      `only the binding's cluster namespace was read: ${seen.join(', ')}`,
    );
  },
);

t.test(
  'apply of a manifest that starts a konnector: a Secret kubeconfig that would run a program or read a local ' +
    'file is refused (exit 3), nothing run, read or applied',
  async (t) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    t.teardown(() => agent.close());
    const seen: string[] = [];
    for (const origin of ['https://127.0.0.1:6443', 'https://127.0.0.1:7443']) {
      agent
        .get(origin)
        .intercept({ path: () => true, method: () => true })
        .reply((req) => {
          seen.push(`${origin} ${req.method} ${req.path}`);
          return { statusCode: 500, data: '{}' };
        })
        .persist();
    }
    const dir = t.testdir({
      kc:
        'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: ' +
        '"https://127.0.0.1:7443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: ' +
        '{cluster: c, user: u}}]\ncurrent-context: c\n',
    });
    const ran = join(dir, 'the-program-ran');
    const target = applyKube.target(applyKube.resolve({ flag: join(dir, 'kc'), context: undefined, env: {} }), tls, {
      ...policy,
      dispatcher: agent,
    });
    const users = {
      exec:
        `{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ["-c", "touch ${ran}; ` +
        `echo ` +
        `'{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"x\\"}}'"]}}`,
      'token-file': `{token-file: ${join(dir, 'kc')}}`,
    };
    for (const [field, user] of Object.entries(users)) {
      const provider =
        `apiVersion: v1\nkind: Config\nclusters: [{name: p, cluster: {server: ` +
        `"https://127.0.0.1:6443"}}]\nusers: [{name: p, user: ${user}}]\ncontexts: [{name: p, context: ` +
        `{cluster: p, user: p, namespace: cluster-abc}}]\ncurrent-context: p\n`;
      const objects = [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'kubeconfig', namespace: 'klutch-bind' },
          data: { kubeconfig: Buffer.from(provider).toString('base64') },
        },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'konnector', namespace: 'klutch-bind' } },
      ];
      await t.rejects(
        target.apply(objects, { timeoutMs: 5000, onApplied: () => {} }),
        {
          exitCode: 3,
          message: /provider kubeconfig in the manifest's Secret klutch-bind\/kubeconfig .*nothing was applied/s,
        },
        field,
      );
    }
    t.notOk(existsSync(ran), 'the exec program never ran');
    t.same(seen, [], 'no request reached either cluster');
  },
);
