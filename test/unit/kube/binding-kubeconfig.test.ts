/**
 * readBindingKubeconfig: the allow-list reader and rebuilder of a binding's
 * kubeconfig (the backend's, the konnector's Secret). Every refused field is
 * named by its path; what is accepted comes back as a new document holding
 * only the allow-listed fields of the current context; nothing on disk is
 * ever read (a token-file naming a FIFO would hang a reader that did).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { ALLOWED_FIELDS, readBindingKubeconfig } from '../../../src/kube/binding-kubeconfig.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const KEY = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n').toString('base64');

/** A kubeconfig as clientcmd.Write (the example-backend) emits it, with room for extra fields. */
function kubeconfig(
  o: { user?: string; cluster?: string; context?: string; top?: string; server?: string } = {},
): string {
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${CA}
    server: ${o.server ?? 'https://cp.example.com:6443'}${o.cluster ?? ''}
  name: default
contexts:
- context:
    cluster: default
    namespace: cluster-ab12c
    user: default${o.context ?? ''}
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
${o.user ?? '    token: abc.def'}
${o.top ?? ''}`;
}

function problems(text: string): string[] {
  const r = readBindingKubeconfig(text);
  return r.ok ? [] : r.problems;
}

t.test('what the example-backend sends: accepted, rebuilt with the allow-listed fields only', async (t) => {
  const r = readBindingKubeconfig(kubeconfig());
  if (!r.ok) throw new Error(r.problems.join('; '));
  t.same(r.value.facts, {
    contextName: 'default',
    namespace: 'cluster-ab12c',
    server: 'https://cp.example.com:6443',
    clusterName: 'default',
    userName: 'default',
  });
  t.same(parse(r.value.text), {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'default', cluster: { server: 'https://cp.example.com:6443', 'certificate-authority-data': CA } },
    ],
    users: [{ name: 'default', user: { token: 'abc.def' } }],
    contexts: [{ name: 'default', context: { cluster: 'default', user: 'default', namespace: 'cluster-ab12c' } }],
    'current-context': 'default',
  });
  const again = readBindingKubeconfig(r.value.text);
  t.ok(again.ok && again.value.text === r.value.text, 'rebuilding the rebuilt document changes nothing');
});

t.test('client certificate data is a credential; other entries are dropped', async (t) => {
  const text = kubeconfig({ user: `    client-certificate-data: ${CA}\n    client-key-data: ${KEY}` }).replace(
    'users:\n',
    'users:\n- name: other\n  user: {token: xyz}\n',
  );
  const r = readBindingKubeconfig(text);
  if (!r.ok) throw new Error(r.problems.join('; '));
  const doc = parse(r.value.text) as { users: unknown[] };
  t.same(
    doc.users,
    [{ name: 'default', user: { 'client-certificate-data': CA, 'client-key-data': KEY } }],
    "only the current context's user",
  );
  t.notMatch(r.value.text, /xyz/);
});

t.test('every field outside the allow-list is refused by its path, with why', async (t) => {
  const cases: Array<[string, Parameters<typeof kubeconfig>[0], string, RegExp]> = [
    ['exec', { user: '    exec: {command: sh}' }, 'users[0].user.exec', /runs a program/],
    [
      'auth-provider',
      { user: '    token: x\n    auth-provider: {name: gcp}' },
      'users[0].user.auth-provider',
      /auth-provider plugin/,
    ],
    ['token-file', { user: '    token-file: /etc/hostname' }, 'users[0].user.token-file', /token file/],
    [
      'tokenFile',
      { user: '    token: x\n    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token' },
      'users[0].user.tokenFile',
      /token file/,
    ],
    ['token_file', { user: '    token: x\n    token_file: /x' }, 'users[0].user.token_file', /token file/],
    [
      'client-certificate',
      { user: '    client-certificate: /c\n    client-key: /k' },
      'users[0].user.client-certificate',
      /certificate file/,
    ],
    ['clientKey', { user: '    token: x\n    clientKey: /k' }, 'users[0].user.clientKey', /key file/],
    [
      'certificate-authority',
      { cluster: '\n    certificate-authority: /ca.pem' },
      'clusters[0].cluster.certificate-authority',
      /CA file/,
    ],
    [
      'insecure-skip-tls-verify',
      { cluster: '\n    insecure-skip-tls-verify: true' },
      'clusters[0].cluster.insecure-skip-tls-verify',
      /TLS verification off/,
    ],
    [
      'insecure-skip-tls-verify as a string',
      { cluster: '\n    insecure-skip-tls-verify: "yes"' },
      'clusters[0].cluster.insecure-skip-tls-verify',
      /TLS verification off/,
    ],
    ['proxy-url', { cluster: '\n    proxy-url: http://proxy:3128' }, 'clusters[0].cluster.proxy-url', /proxy/],
    [
      'tls-server-name',
      { cluster: '\n    tls-server-name: other' },
      'clusters[0].cluster.tls-server-name',
      /another name/,
    ],
    [
      'disable-compression',
      { cluster: '\n    disable-compression: true' },
      'clusters[0].cluster.disable-compression',
      /not a field a binding needs/,
    ],
    ['as', { user: '    token: x\n    as: system:admin' }, 'users[0].user.as', /impersonation/],
    [
      'as-groups',
      { user: '    token: x\n    as-groups: [system:masters]' },
      'users[0].user.as-groups',
      /impersonation/,
    ],
    ['as-uid', { user: '    token: x\n    as-uid: "0"' }, 'users[0].user.as-uid', /impersonation/],
    [
      'as-user-extra',
      { user: '    token: x\n    as-user-extra: {a: [b]}' },
      'users[0].user.as-user-extra',
      /impersonation/,
    ],
    ['asGroups', { user: '    token: x\n    asGroups: [system:masters]' }, 'users[0].user.asGroups', /impersonation/],
    [
      'username/password',
      { user: '    username: u\n    password: p' },
      'users[0].user.username',
      /basic authentication/,
    ],
    [
      'an unknown user field',
      { user: '    token: x\n    extensions: []' },
      'users[0].user.extensions',
      /not a field a binding needs/,
    ],
    [
      'an unknown context field',
      { context: '\n    extensions: []' },
      'contexts[0].context.extensions',
      /not a field a binding needs/,
    ],
    ['an unknown top-level field', { top: 'extensions: []\n' }, 'extensions', /not a field a binding needs/],
    ['an http:// server', { server: 'http://cp.example.com:6443' }, 'clusters[0].cluster.server', /http:\/\/.*clear/],
    [
      'credentials in the server URL',
      { server: 'https://a:b@cp.example.com' },
      'clusters[0].cluster.server',
      /credentials/,
    ],
    [
      'a merge key carrying exec',
      { user: '    token: x\n    <<: {exec: {command: sh}}' },
      'users[0].user.<<',
      /merge key.*would add exec/,
    ],
    [
      'a merge key carrying tokenFile',
      { user: '    token: x\n    <<: {tokenFile: /x}' },
      'users[0].user.<<',
      /merge key.*would add tokenFile/,
    ],
    ['a quoted merge key', { user: '    token: x\n    "<<": {tokenFile: /x}' }, 'users[0].user.<<', /merge key/],
    ['a top-level merge key', { top: '<<: {x: 1}\n' }, '<<', /merge key/],
    ['an anchor', { user: '    token: &t x' }, 'users[0].user.token', /anchor/],
    ['an alias', { user: '    token: x', top: 'x: &a 1\ny: *a\n' }, 'y', /alias/],
    ['an explicit tag', { user: '    token: !!binary eA==' }, 'users[0].user.token', /explicit YAML tag/],
    ['a token with a line break in it', { user: '    token: "a\\nb"' }, 'users[0].user.token', /visible ASCII/],
    ['no credential', { user: '    {}' }, 'users[0].user', /no credential/],
    ['a certificate without its key', { user: `    client-certificate-data: ${CA}` }, 'users[0].user', /go together/],
  ];
  for (const [what, o, path, why] of cases) {
    const p = problems(kubeconfig(o));
    const hit = p.find((x) => x.startsWith(`${path}:`) || x.startsWith(`${path} `));
    t.ok(hit, `${what}: names ${path} (got ${JSON.stringify(p)})`);
    if (hit) t.match(hit, why, `${what}: says why`);
  }
});

t.test('insecure-skip-tls-verify: false is accepted and dropped', async (t) => {
  const r = readBindingKubeconfig(kubeconfig({ cluster: '\n    insecure-skip-tls-verify: false' }));
  t.ok(r.ok && !r.value.text.includes('insecure'));
});

t.test('structure: the current context must resolve, names are unique, values have their types', async (t) => {
  t.same(problems(kubeconfig().replace('current-context: default\n', '')), ['current-context is not set']);
  t.same(problems(kubeconfig().replace('current-context: default', 'current-context: nope')), [
    'current-context "nope" is not in contexts',
  ]);
  t.same(problems(kubeconfig().replace('    namespace: cluster-ab12c\n', '')), [
    'context "default" has no namespace (the cluster namespace on the control plane)',
  ]);
  t.match(problems(kubeconfig().replace('    namespace: cluster-ab12c', '    namespace: Not_A_Name')), [
    /contexts\[0\]\.context\.namespace "Not_A_Name" is not a Kubernetes namespace name/,
  ]);
  t.match(problems(kubeconfig().replace('users:\n', 'users:\n- name: default\n  user: {token: y}\n')), [
    /users\[1\]\.name: "default" is named twice/,
  ]);
  t.match(problems(kubeconfig({ user: '    token: 12345' })), [/users\[0\]\.user\.token: expected a string/]);
  t.match(problems(kubeconfig().replace('    cluster: default\n    namespace', '    namespace')), [
    /contexts\[0\]\.context\.cluster is missing/,
  ]);
  t.match(
    problems(kubeconfig().replace(`certificate-authority-data: ${CA}`, 'certificate-authority-data: bm90IGEgY2VydA==')),
    [/certificate-authority-data is not base64 of a PEM certificate/],
  );
  t.match(problems('- a\n- b\n'), [/expected a mapping/]);
  t.match(problems('a: [\n'), [/^not YAML/]);
  t.match(problems(`${kubeconfig()}---\n{}\n`), [/^not YAML/], 'one document only');
  t.match(
    problems(kubeconfig().replace('kind: Config', 'kind: Config\nkind: Config')),
    [/^kind: the key is given twice/],
    'duplicate keys',
  );
  t.match(problems(kubeconfig().replace('token: abc.def', 'token: abc\u0085def')), [
    /non-printable character or a line break readers disagree on \(U\+0085\) at line 19, column 15/,
  ]);
  t.match(problems(kubeconfig().replace('kind: Config', 'kind:\rConfig')), [/\(U\+000D\)/], 'a CR without LF');
  t.same(problems(kubeconfig().replace(/\n/g, '\r\n')), [], 'CRLF line ends are fine');
  t.same(problems(kubeconfig().replace('apiVersion: v1', 'apiVersion: v2')), ['apiVersion: expected "v1"']);
  t.same(problems(kubeconfig().replace('preferences: {}', 'preferences: {colors: true}')), [
    'preferences.colors: not a field a binding needs (preferences must be empty)',
  ]);
});

t.test(
  'a hostile document is answered with a bounded message, without expanding aliases or overflowing the stack',
  async (t) => {
    const p = problems(`${kubeconfig()}${Array.from({ length: 2000 }, (_, i) => `a${i}: &x${i} 1`).join('\n')}\n`);
    t.equal(p.length, 21, '20 problems and a note that there are more');
    const bomb =
      `${kubeconfig()}a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c ` +
      `[*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    t.ok(problems(bomb).length > 0, 'an alias bomb is refused without expanding it');
    const deep = `${kubeconfig()}x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    t.ok(problems(deep).length > 0, 'a deep value: refused, no stack overflow');
  },
);

t.test(
  'no local file is read, whatever the document names: a token-file that is a FIFO does not hang it',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'binding-kubeconfig-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'token');
    execFileSync('mkfifo', [fifo]);
    t.match(problems(kubeconfig({ user: `    token-file: ${fifo}` })), [/users\[0\]\.user\.token-file: a token file/]);
  },
);

t.test('the allow-list is what the README names', async (t) => {
  t.same(ALLOWED_FIELDS.cluster, ['server', 'certificate-authority-data', 'insecure-skip-tls-verify']);
  t.same(ALLOWED_FIELDS.user, ['token', 'client-certificate-data', 'client-key-data']);
  t.same(ALLOWED_FIELDS.context, ['cluster', 'user', 'namespace']);
});

t.test('100,000 unknown fields: 20 named, the rest counted', async (t) => {
  const p = problems(`${kubeconfig()}${Array.from({ length: 100_000 }, (_, i) => `x${i}: 1`).join('\n')}\n`);
  t.equal(p.length, 21);
  t.equal(p[20], '(and 99980 more)');
});
