/**
 * The bootstrap-env flow in process: the token endpoint and the bind backend
 * are an undici MockAgent (the injected dispatcher), the control plane and
 * the App Cluster the in-memory Kubernetes factory, the files in memory.
 * Each branch: success, input errors before anything is sent, a backend
 * failure (nothing in the journal), a failure after the bind (the journal
 * holds the binding and its export requests), an --apply-to that fails part
 * way (the journal says n of m).
 */
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import { generateKeyPairSync } from 'node:crypto';
import { bootstrapEnv, credentials } from '../../../src/flows/bootstrap-env.ts';
import { redact } from '../../../src/log.ts';
import { Journal } from '../../../src/journal.ts';
import { bootstrapEnvOptions } from '../../../src/options/bootstrap-env.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';
import { FakeFiles, fakeKube, NS, PROVIDER_KUBECONFIG } from '../../helpers/flow-fakes.ts';
import { captureStderr } from '../../helpers/stderr.ts';

/** PROVIDER_KUBECONFIG as kube/binding-kubeconfig.ts rebuilds it. */
const PROVIDER_KUBECONFIG_REBUILT = `apiVersion: v1
kind: Config
clusters:
  - name: default
    cluster:
      server: https://127.0.0.1:6443
users:
  - name: default
    user:
      token: provider-token-not-real
contexts:
  - name: default
    context:
      cluster: default
      user: default
      namespace: ${NS}
current-context: default
`;

const SECRET = 'client-secret-not-real';
const ENV = { OIDC_CLIENT_ID: 'ci-bot', OIDC_CLIENT_SECRET: SECRET, OIDC_TOKEN_URL: 'https://idp.test/token' };
const BINDING = JSON.stringify({ clusterID: 'c1', apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] });
const REQUEST = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  metadata: { name: 'postgresqlinstances.anynines.com' },
  spec: { resources: [{ group: 'anynines.com', resource: 'postgresqlinstances', versions: ['v1'] }] },
};
const RESPONSE = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  kubeconfig: Buffer.from(PROVIDER_KUBECONFIG).toString('base64'),
  requests: [REQUEST],
};

function argv(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    file: ['binding.json'],
    url: 'https://backend.test',
    timeout: '5m',
    'request-timeout': '5s',
    retries: 0,
    wait: true,
    ...extra,
  };
}

/** The token endpoint and the backend; `backend` answers the bind POST. */
function servers(t: Test, backend: { status: number; body: unknown } = { status: 200, body: RESPONSE }) {
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  const sent: { auth?: string; body?: string } = {};
  a.get('https://idp.test')
    .intercept({ path: '/token', method: 'POST' })
    .reply(200, JSON.stringify({ access_token: 'access-token-not-real', token_type: 'Bearer', expires_in: 300 }), {
      headers: { 'content-type': 'application/json' },
    });
  a.get('https://backend.test')
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply((req) => {
      sent.auth = (req.headers as Record<string, string>).authorization;
      sent.body = Buffer.from(req.body as Uint8Array).toString('utf8');
      return {
        statusCode: backend.status,
        data: JSON.stringify(backend.body),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    });
  return { agent: a, sent };
}

t.test(
  'one binding: all.yaml on stdout, the binding and its export request in the journal, nothing written',
  async (t) => {
    const { agent, sent } = servers(t);
    const cp = new MemoryCluster('control plane');
    const kube = fakeKube(cp);
    const files = new FakeFiles({ 'binding.json': BINDING });
    const journal = new Journal();
    const out = await bootstrapEnv(bootstrapEnvOptions(argv(), ENV), {
      dispatcher: agent,
      kube: kube.bootstrap,
      files,
      journal,
    });
    t.match(out.stdout, /kind: Namespace\n/);
    t.match(out.stdout, /kind: APIServiceBinding\n/);
    t.equal(out.error, undefined);
    t.equal(sent.auth, 'Bearer access-token-not-real', 'the token reaches the backend');
    t.equal(sent.body, BINDING, 'binding.json is sent as read');
    t.same(journal.bound, [{ clusterID: 'c1', clusterNamespace: NS, host: 'backend.test' }]);
    t.same(journal.exportRequests, [`${NS}/postgresqlinstances.anynines.com`]);
    t.ok(
      cp.find(
        { apiVersion: 'klutch.anynines.com/v1alpha1', kind: 'APIServiceExportRequest' },
        'postgresqlinstances.anynines.com',
        NS,
      ),
      'created on the control plane',
    );
    t.same(files.secured, ["all.yaml with the provider kubeconfig's token"], 'stdout made 0600 before the artifact');
    t.equal(files.written.size, 0);
    t.same(agent.pendingInterceptors(), []);
  },
);

t.test('--output-file and --write-kubeconfig: written 0600, stdout empty', async (t) => {
  const { agent } = servers(t);
  const files = new FakeFiles({ 'binding.json': BINDING });
  const out = await bootstrapEnv(
    bootstrapEnvOptions(argv({ 'output-file': 'all.yaml', 'write-kubeconfig': 'p.kfg' }), ENV),
    { dispatcher: agent, kube: fakeKube(new MemoryCluster('cp')).bootstrap, files },
  );
  t.equal(out.stdout, undefined);
  t.equal(files.written.get('all.yaml')?.mode, 0o600);
  t.match(files.written.get('all.yaml')?.text, /kind: APIServiceBinding/);
  const rebuilt = PROVIDER_KUBECONFIG_REBUILT;
  t.same(
    files.written.get('p.kfg'),
    { text: rebuilt, mode: 0o600 },
    "the kubeconfig rebuilt from the backend's, not its text",
  );
  t.match(
    files.written.get('all.yaml')?.text,
    `kubeconfig: ${Buffer.from(rebuilt).toString('base64')}\n`,
    "the konnector's Secret holds the same document",
  );
  t.same(files.secured, [], 'stdout is not the artifact');
});

t.test(
  'a backend kubeconfig with a field outside the allow-list: exit 5 naming it; nothing created, applied or written',
  async (t) => {
    const hostile = PROVIDER_KUBECONFIG.replace(
      '{token: provider-token-not-real}',
      '{token: provider-token-not-real, tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}',
    );
    const { agent } = servers(t, {
      status: 200,
      body: { ...RESPONSE, kubeconfig: Buffer.from(hostile).toString('base64') },
    });
    const cp = new MemoryCluster('cp');
    const app = new MemoryCluster('App Cluster');
    const kube = fakeKube(cp, app);
    const files = new FakeFiles({ 'binding.json': BINDING });
    const journal = new Journal();
    await t.rejects(
      bootstrapEnv(
        bootstrapEnvOptions(
          argv({ 'output-file': 'all.yaml', 'write-kubeconfig': 'p.kfg', 'apply-to': 'app.kubeconfig' }),
          ENV,
        ),
        { dispatcher: agent, kube: kube.bootstrap, files, journal },
      ),
      { exitCode: 5, code: 'HELPER_BACKEND_KUBECONFIG', message: /users\[0\]\.user\.tokenFile: a token file/ },
    );
    t.equal(files.written.size, 0, 'nothing written');
    t.equal(cp.objects.size, 0, 'no export request created');
    t.equal(app.objects.size, 0, 'nothing applied');
    t.ok(journal.empty, 'the journal is empty');
  },
);

t.test('input errors end before anything is sent', async (t) => {
  const cases: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv, FakeFiles, RegExp, number]> = [
    ['binding file missing', argv(), ENV, new FakeFiles(), /cannot read binding file binding\.json: no such file/, 3],
    [
      'binding invalid',
      argv(),
      ENV,
      new FakeFiles({ 'binding.json': '{"clusterID": "", "apis": []}' }),
      /binding\.json/,
      3,
    ],
    [
      'OIDC variables unset',
      argv(),
      {},
      new FakeFiles({ 'binding.json': BINDING }),
      /OIDC_CLIENT_ID is not set[\s\S]*no way of authenticating is set: set one of OIDC_CLIENT_SECRET[\s\S]*OIDC_TOKEN_URL is not set/,
      3,
    ],
    [
      'secret file unreadable',
      argv({ 'client-secret-file': 'secret.txt' }),
      { ...ENV, OIDC_CLIENT_SECRET: '' },
      new FakeFiles({ 'binding.json': BINDING }),
      /--client-secret-file secret\.txt: cannot read \(ENOENT\)/,
      3,
    ],
    [
      'output not writable',
      argv({ 'output-file': 'ro/all.yaml' }),
      ENV,
      Object.assign(new FakeFiles({ 'binding.json': BINDING }), { unwritable: new Set(['ro/all.yaml']) }),
      /--output-file ro\/all\.yaml: not writable/,
      3,
    ],
  ];
  for (const [name, a, env, files, message, exitCode] of cases) {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const journal = new Journal();
    await t.rejects(
      bootstrapEnv(bootstrapEnvOptions(a, env), {
        dispatcher: agent,
        kube: fakeKube(new MemoryCluster('cp')).bootstrap,
        files,
        journal,
      }),
      { exitCode, message },
      name,
    );
    t.ok(journal.empty, `${name}: nothing changed`);
    await agent.close();
  }
});

t.test('-f DIR without --out-dir is a usage error (exit 2) naming the fleet', async (t) => {
  const files = new FakeFiles();
  files.dirs.add('bindings');
  await t.rejects(
    bootstrapEnv(bootstrapEnvOptions(argv({ file: ['bindings'] }), ENV), {
      files,
      kube: fakeKube(new MemoryCluster('cp')).bootstrap,
    }),
    {
      exitCode: 2,
      message: /-f bindings is a directory: a directory of binding files binds a fleet; pass --out-dir DIR/,
    },
  );
});

t.test('the backend refuses: exit 4, the journal is empty (nothing exists on the control plane)', async (t) => {
  const { agent } = servers(t, { status: 403, body: { message: 'forbidden' } });
  const journal = new Journal();
  await t.rejects(
    bootstrapEnv(bootstrapEnvOptions(argv(), ENV), {
      dispatcher: agent,
      kube: fakeKube(new MemoryCluster('cp')).bootstrap,
      files: new FakeFiles({ 'binding.json': BINDING }),
      journal,
    }),
    { exitCode: 4, message: /backend\.test/ },
  );
  t.ok(journal.empty);
  t.same(journal.warnings(), []);
});

t.test(
  'an export request Failed after the bind: exit 8, the journal says what exists and that a re-run is safe',
  async (t) => {
    const { agent } = servers(t);
    const journal = new Journal();
    const files = new FakeFiles({ 'binding.json': BINDING });
    await t.rejects(
      bootstrapEnv(bootstrapEnvOptions(argv({ 'output-file': 'all.yaml' }), ENV), {
        dispatcher: agent,
        kube: fakeKube(new MemoryCluster('cp'), undefined, { failedRequest: 'postgresqlinstances.anynines.com' })
          .bootstrap,
        files,
        journal,
      }),
      { exitCode: 8, message: /Failed/ },
    );
    t.same(journal.warnings(), [
      `already done on the control plane: bound "c1" → namespace ${NS} (backend backend.test); ` +
        `APIServiceExportRequest(s) ${NS}/postgresqlinstances.anynines.com; re-running the same command is ` +
        `safe and finishes the binding`,
    ]);
    t.equal(files.written.size, 0, 'no file is written after a failure');
  },
);

t.test('--apply-to that fails part way: the journal holds n of m applied to the App Cluster', async (t) => {
  const { agent } = servers(t);
  const journal = new Journal();
  const kube = fakeKube(new MemoryCluster('cp'), new MemoryCluster('App Cluster'), { failAfter: 2 });
  await t.rejects(
    bootstrapEnv(bootstrapEnvOptions(argv({ 'apply-to': 'app.kubeconfig' }), ENV), {
      dispatcher: agent,
      kube: kube.bootstrap,
      files: new FakeFiles({ 'binding.json': BINDING }),
      journal,
    }),
    { exitCode: 6, message: /ECONNREFUSED/ },
  );
  t.equal(kube.seen.applyTo, 'app.kubeconfig');
  t.equal(journal.applied?.server, 'App Cluster 127.0.0.1:7443');
  t.equal(journal.applied?.objects.length, 2);
  const w = journal.warnings();
  t.equal(w.length, 2);
  t.match(
    w[1],
    new RegExp(
      `^already applied to App Cluster 127\\.0\\.0\\.1:7443: 2 of ${journal.applied!.total} object\\(s\\) ` +
        `\\(Namespace klutch-bind, `,
    ),
  );
});

t.test(
  '--insecure-skip-tls-verify covers the token endpoint, the backend and the control plane, each named; ' +
    'never the --apply-to App Cluster (issue 20, finding 6)',
  async (t) => {
    const { agent } = servers(t);
    const cp = new MemoryCluster('cp');
    const kube = fakeKube(cp, new MemoryCluster('App Cluster'));
    const seen: unknown[] = [];
    const bootstrap = {
      ...kube.bootstrap,
      appCluster: (path: string, _context: unknown, tls: unknown) => {
        seen.push(tls);
        return kube.bootstrap.appCluster(path);
      },
    };
    const stderr = await captureStderr(() =>
      bootstrapEnv(bootstrapEnvOptions(argv({ 'insecure-skip-tls-verify': true, 'apply-to': 'app.kubeconfig' }), ENV), {
        dispatcher: agent,
        kube: bootstrap,
        files: new FakeFiles({ 'binding.json': BINDING }),
      }),
    );
    t.same(seen, [{ caPem: undefined, insecure: false }], "the App Cluster's client does not skip verification");
    t.match((kube.seen as { tls?: unknown }).tls, { insecure: true }, "the control plane's does");
    t.match(
      stderr,
      /^warn: --insecure-skip-tls-verify: the TLS certificates of the token endpoint idp\.test, the backend backend\.test and the control plane the backend names are NOT verified$/m,
    );
    t.match(
      stderr,
      /^warn: --insecure-skip-tls-verify: the TLS certificate of the control plane 127\.0\.0\.1:6443 \(from the backend's kubeconfig\) is NOT verified$/m,
    );
    t.match(
      stderr,
      /^warn: --insecure-skip-tls-verify does not cover the App Cluster of --apply-to app\.kubeconfig: its kubeconfig decides how it is verified$/m,
    );
  },
);

t.test('--insecure-skip-tls-verify does not allow an http:// -u: exit 3 naming -u, nothing sent', async (t) => {
  const a = new MockAgent();
  a.disableNetConnect();
  t.teardown(() => a.close());
  await t.rejects(
    bootstrapEnv(bootstrapEnvOptions(argv({ 'insecure-skip-tls-verify': true, url: 'http://backend.test' }), ENV), {
      dispatcher: a,
      kube: fakeKube(new MemoryCluster('cp')).bootstrap,
      files: new FakeFiles({ 'binding.json': BINDING }),
    }),
    {
      exitCode: 3,
      code: 'HELPER_BIND_URL',
      message:
        /^-u must be an https:\/\/ URL \(got http:\/\/backend\.test\): .*--insecure-skip-tls-verify does not allow it/,
    },
  );
});

t.test('the client secret never appears in what the flow returns or records', async (t) => {
  const { agent } = servers(t);
  const journal = new Journal();
  const out = await bootstrapEnv(bootstrapEnvOptions(argv(), ENV), {
    dispatcher: agent,
    kube: fakeKube(new MemoryCluster('cp')).bootstrap,
    files: new FakeFiles({ 'binding.json': BINDING }),
    journal,
  });
  t.notMatch(out.stdout, SECRET);
  t.notMatch(JSON.stringify(journal), SECRET);
});

t.test('an answer that does not match binding.json: exit 5, no export request, no file, nothing applied', async (t) => {
  const extra = {
    ...REQUEST,
    metadata: { name: 'certificates.cert-manager.io' },
    spec: { resources: [{ group: 'cert-manager.io', resource: 'certificates' }] },
  };
  const claim = {
    ...REQUEST,
    spec: {
      resources: [
        {
          ...REQUEST.spec.resources[0],
          permissionClaims: [
            { group: '', resource: 'serviceaccounts', version: 'v1', selector: { owner: 'Provider' } },
          ],
        },
      ],
    },
  };
  for (const [what, requests, message] of [
    ['an unrequested API', [REQUEST, extra], /certificates\.cert-manager\.io: binding\.json did not ask for it/],
    ['a claim outside the policy', [claim], /postgresqlinstances\.anynines\.com claims serviceaccounts/],
  ] as const) {
    const { agent } = servers(t, { status: 200, body: { ...RESPONSE, requests } });
    const cp = new MemoryCluster('cp');
    const app = new MemoryCluster('App Cluster');
    const files = new FakeFiles({ 'binding.json': BINDING });
    await t.rejects(
      bootstrapEnv(
        bootstrapEnvOptions(
          argv({ 'output-file': 'all.yaml', 'write-kubeconfig': 'p.kfg', 'apply-to': 'app.kubeconfig' }),
          ENV,
        ),
        { dispatcher: agent, kube: fakeKube(cp, app).bootstrap, files },
      ),
      { exitCode: 5, message },
      what,
    );
    t.equal(cp.objects.size, 0, `${what}: nothing on the control plane`);
    t.equal(app.objects.size, 0, `${what}: nothing applied`);
    t.equal(files.written.size, 0, `${what}: no file`);
  }
});

t.test(
  'acceptClaims: the claim is bound and Accepted; the backend gets binding.json without acceptClaims',
  async (t) => {
    const claim = { group: '', resource: 'serviceaccounts', version: 'v1', selector: { owner: 'Provider' } };
    const { agent, sent } = servers(t, {
      status: 200,
      body: {
        ...RESPONSE,
        requests: [{ ...REQUEST, spec: { resources: [{ ...REQUEST.spec.resources[0], permissionClaims: [claim] }] } }],
      },
    });
    const files = new FakeFiles({
      'binding.json': JSON.stringify({ ...JSON.parse(BINDING), acceptClaims: ['serviceaccounts'] }),
    });
    const out = await bootstrapEnv(bootstrapEnvOptions(argv(), ENV), {
      dispatcher: agent,
      kube: fakeKube(new MemoryCluster('cp')).bootstrap,
      files,
    });
    t.equal(sent.body, BINDING, 'acceptClaims stays on this side');
    t.match(
      out.stdout,
      /permissionClaims:\n\s+- group: ""\n\s+resource: serviceaccounts\n\s+version: v1\n\s+selector:\n\s+owner: Provider\n\s+state: Accepted\n/,
    );
  },
);

t.test(
  'credentials: a key file is read, checked and its private parts redacted; others may read it: a warning; a ' +
    'bad assertion file: exit 3',
  async (t) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const files = Object.assign(new FakeFiles({ 'k.pem': pem, 'sa.jwt': 'not a jwt\n' }), {
      mode: (p: string) => (p === 'k.pem' ? 0o644 : 0o600),
    });
    const env = { OIDC_CLIENT_ID: 'ci', OIDC_TOKEN_URL: 'https://idp.test/token', OIDC_CLIENT_KEY_FILE: 'k.pem' };
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => {
      lines.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    let client: Awaited<ReturnType<typeof credentials>>;
    try {
      client = await credentials(bootstrapEnvOptions(argv(), env), files);
    } finally {
      process.stderr.write = write;
    }
    t.equal(client && 'key' in client ? client.key?.alg : undefined, 'RS256');
    t.match(
      lines.join(''),
      /warn: client key file k\.pem is readable by its group and others \(mode 0644\): it holds a private key; chmod 600 it/,
    );
    const d = (privateKey.export({ format: 'jwk' }) as { d: string }).d;
    t.equal(redact(`x ${d} y`), 'x [REDACTED] y', 'the JWK d is a registered secret');
    t.equal(redact(pem.split('\n')[1]!), '[REDACTED]', 'so is every PEM line');
    await t.rejects(
      credentials(
        bootstrapEnvOptions(argv(), { ...env, OIDC_CLIENT_KEY_FILE: undefined, OIDC_CLIENT_ASSERTION_FILE: 'sa.jwt' }),
        files,
      ),
      { exitCode: 3, message: /client assertion file sa\.jwt does not hold a JWT/ },
    );
    await t.rejects(credentials(bootstrapEnvOptions(argv(), { ...env, OIDC_CLIENT_KEY_FILE: 'none.pem' }), files), {
      exitCode: 3,
      message: 'cannot read client key file none.pem: no such file',
    });
  },
);

t.test(
  '--write-secret: the provider kubeconfig and all.yaml in a Secret of the management cluster; a re-run ' +
    'leaves it unchanged',
  async (t) => {
    const cp = new MemoryCluster('control plane');
    const kube = fakeKube(cp);
    const files = new FakeFiles({ 'binding.json': BINDING });
    const journal = new Journal();
    const opts = bootstrapEnvOptions(
      argv({ 'write-secret': 'mgmt/helper-binding-c1', 'output-file': 'all.yaml' }),
      ENV,
    );
    let out: Awaited<ReturnType<typeof bootstrapEnv>> | undefined;
    const stderr = await captureStderr(async () => {
      out = await bootstrapEnv(opts, { dispatcher: servers(t).agent, kube: kube.bootstrap, files, journal });
    });
    out = out!;
    t.equal(out.stdout, undefined);
    t.equal(kube.seen.secretKubeconfig, undefined, 'no --secret-kubeconfig: the kubeconfig as kubectl finds it');
    const s = kube.secrets.find({ apiVersion: 'v1', kind: 'Secret' }, 'helper-binding-c1', 'mgmt')!;
    t.ok(s, 'the Secret exists');
    t.equal(s.type, 'Opaque');
    t.same(s.metadata!.labels, { 'app.kubernetes.io/managed-by': 'helper' });
    t.same(s.metadata!.annotations, { 'helper.klutch.anynines.com/cluster-id': 'c1' });
    const data = s.data as Record<string, string>;
    t.same(Object.keys(data).sort(), ['all.yaml', 'provider.kfg.yaml']);
    t.equal(Buffer.from(data['provider.kfg.yaml']!, 'base64').toString(), PROVIDER_KUBECONFIG_REBUILT);
    t.equal(
      Buffer.from(data['all.yaml']!, 'base64').toString(),
      files.written.get('all.yaml')?.text,
      'all.yaml as written to --output-file',
    );
    t.same(journal.secrets, ['mgmt/helper-binding-c1 on management cluster 127.0.0.1:1']);
    t.match(stderr, /created Secret mgmt\/helper-binding-c1 on management cluster/);
    t.notMatch(stderr, /provider-token-not-real/, 'the token is not logged');
    const rv = s.metadata!.resourceVersion;

    const stderr2 = await captureStderr(() =>
      bootstrapEnv(opts, { dispatcher: servers(t).agent, kube: kube.bootstrap, files, journal: new Journal() }),
    );
    t.equal(
      kube.secrets.find({ apiVersion: 'v1', kind: 'Secret' }, 'helper-binding-c1', 'mgmt')!.metadata!.resourceVersion,
      rv,
      'the re-run changes nothing',
    );
    t.match(stderr2, /unchanged Secret mgmt\/helper-binding-c1/);
  },
);

t.test(
  "--write-secret refuses a Secret of that name that is not this binding's: exit 6 naming it, before the " +
    'bind, nothing changed',
  async (t) => {
    const foreign = [
      {
        name: 'no label',
        metadata: { annotations: { 'helper.klutch.anynines.com/cluster-id': 'c1' } },
        message:
          /Secret mgmt\/helper-binding-c1 on management cluster 127\.0\.0\.1:1 exists and is not this binding's \(it has no label app\.kubernetes\.io\/managed-by=helper\); helper does not overwrite it/,
      },
      {
        name: 'another cluster',
        metadata: {
          labels: { 'app.kubernetes.io/managed-by': 'helper' },
          annotations: { 'helper.klutch.anynines.com/cluster-id': 'c2' },
        },
        message: /its annotation helper\.klutch\.anynines\.com\/cluster-id is "c2", not "c1"/,
      },
    ];
    for (const f of foreign) {
      const cp = new MemoryCluster('control plane');
      const kube = fakeKube(cp);
      const before = kube.secrets.add({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'helper-binding-c1', namespace: 'mgmt', ...f.metadata },
        data: { other: 'b3RoZXI=' },
      });
      const journal = new Journal();
      const { agent, sent } = servers(t);
      await t.rejects(
        bootstrapEnv(bootstrapEnvOptions(argv({ 'write-secret': 'mgmt/helper-binding-c1' }), ENV), {
          dispatcher: agent,
          kube: kube.bootstrap,
          files: new FakeFiles({ 'binding.json': BINDING }),
          journal,
        }),
        { exitCode: 6, code: 'HELPER_SECRET_FOREIGN', message: f.message },
        f.name,
      );
      t.same(
        kube.secrets.find({ apiVersion: 'v1', kind: 'Secret' }, 'helper-binding-c1', 'mgmt'),
        before,
        `${f.name}: the Secret is as it was`,
      );
      t.equal(sent.body, undefined, `${f.name}: the backend was not asked to bind`);
      t.ok(journal.empty, `${f.name}: nothing on the control plane`);
      t.equal(cp.objects.size, 0);
    }
  },
);

t.test(
  '--write-secret: bad values and combinations are usage errors (exit 2) before anything is read or sent',
  async (t) => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ 'write-secret': 'just-a-name' }, /^--write-secret "just-a-name" is not NAMESPACE\/NAME$/],
      [{ 'write-secret': 'a/b/c' }, /is not NAMESPACE\/NAME/],
      [{ 'write-secret': 'Mgmt/x' }, /namespace "Mgmt" is not a Kubernetes namespace name/],
      [{ 'write-secret': 'mgmt/x_y' }, /name "x_y" is not a Kubernetes object name/],
      [{ 'write-secret': 'mgmt/' }, /name "" is not a Kubernetes object name/],
      [
        { 'secret-kubeconfig': 'k.yaml' },
        /--secret-kubeconfig names the cluster of --write-secret; pass --write-secret too/,
      ],
      [{ file: ['a.json', 'b.json'], 'out-dir': 'out', 'write-secret': 'mgmt/x' }, /--write-secret is for one binding/],
    ];
    for (const [extra, message] of bad)
      t.throws(() => bootstrapEnvOptions(argv(extra), ENV), { exitCode: 2, message }, JSON.stringify(extra));
    t.same(
      bootstrapEnvOptions(argv({ 'write-secret': 'mgmt/helper-binding-a.b', 'secret-kubeconfig': 'k.yaml' }), ENV)
        .writeSecret,
      { namespace: 'mgmt', name: 'helper-binding-a.b' },
    );
  },
);
