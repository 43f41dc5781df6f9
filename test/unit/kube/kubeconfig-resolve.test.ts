/**
 * resolveKubeconfig finds the kubeconfig as kubectl does: --kubeconfig, then
 * the $KUBECONFIG list merged (first file wins per name, current-context from
 * the first file that sets one), then ~/.kube/config; --context must name a
 * context of the result. The hardening of readKubeconfigFile holds for every
 * file of the list.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { InputError } from '../../../src/errors.ts';
import { resolveKubeconfig } from '../../../src/kube/kubeconfig-file.ts';
import { redact } from '../../../src/log.ts';

const dir = t.testdir({});

function kubeconfig(
  name: string,
  opts: { current?: string; server?: string; token?: string; extra?: string } = {},
): string {
  return `apiVersion: v1
kind: Config
${opts.current === undefined ? '' : `current-context: ${opts.current}\n`}clusters:
- name: ${name}
  cluster:
    server: ${opts.server ?? `https://${name}.example:6443`}
    certificate-authority: ca/${name}.pem
contexts:
- name: ${name}
  context: {cluster: ${name}, user: ${name}, namespace: ns-${name}}
users:
- name: ${name}
  user:
    token: ${opts.token ?? `token-${name}-0123456789`}
${opts.extra ?? ''}`;
}

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    t.ok(err instanceof InputError, 'an InputError (exit 3)');
    return (err as Error).message;
  }
  return 'no error';
}

const a = write('a.yaml', kubeconfig('a', { current: 'a' }));
const b = write(
  'b.yaml',
  kubeconfig('b', { current: 'b', extra: `- name: a\n  user:\n    token: shadowed-token-0123456789\n` }),
);

t.test('the flag wins over KUBECONFIG and ~/.kube/config, and is read as it is', async (t) => {
  const r = resolveKubeconfig({ flag: a, env: { KUBECONFIG: b, HOME: dir } });
  t.same(r.files, [a]);
  t.equal(r.source, '--kubeconfig');
  t.equal(r.context, 'a');
  t.equal(r.text, kubeconfig('a', { current: 'a' }), 'the file itself, unchanged');
});

t.test('KUBECONFIG: a list merged as kubectl merges it', async (t) => {
  const r = resolveKubeconfig({ env: { KUBECONFIG: `${b}:${join(dir, 'missing.yaml')}:${a}` } });
  t.same(r.files, [b, a], 'missing entries are skipped');
  t.equal(r.source, 'KUBECONFIG');
  t.equal(r.label, `${b}:${a}`);
  t.equal(r.context, 'b', 'current-context from the first file that sets one');
  const doc = parse(r.text) as {
    users: Array<{ name: string; user: { token: string } }>;
    clusters: Array<{ name: string; cluster: Record<string, string> }>;
    contexts: unknown[];
  };
  t.same(
    doc.users.map((u) => u.name),
    ['b', 'a'],
  );
  t.equal(
    doc.users.find((u) => u.name === 'a')!.user.token,
    'shadowed-token-0123456789',
    'the first file that names user "a" wins it',
  );
  t.same(
    doc.clusters.map((c) => c.name),
    ['b', 'a'],
  );
  t.equal(
    doc.clusters[0]!.cluster['certificate-authority'],
    join(dir, 'ca/b.pem'),
    'relative paths are made absolute against their file',
  );
  t.equal(doc.contexts.length, 2);

  const noCurrent = write('nocurrent.yaml', kubeconfig('c'));
  const r2 = resolveKubeconfig({ env: { KUBECONFIG: `${noCurrent}:${a}` } });
  t.equal(r2.context, 'a', 'a file without current-context does not hide a later one');
});

t.test('KUBECONFIG naming no existing file, and no ~/.kube/config: exit 3 saying what to do', async (t) => {
  t.match(
    failure(() => resolveKubeconfig({ env: { KUBECONFIG: `${join(dir, 'x')}:${join(dir, 'y')}` } })),
    /^none of the files in KUBECONFIG exists \(.*x:.*y\); pass --kubeconfig FILE or fix KUBECONFIG$/,
  );
  const home = join(dir, 'home-empty');
  mkdirSync(home);
  t.equal(
    failure(() => resolveKubeconfig({ env: { HOME: home } })),
    `no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config (` +
      `${join(home, '.kube', 'config')} does not exist)`,
  );
  t.equal(
    failure(() => resolveKubeconfig({ flagName: '--apply-to', env: { KUBECONFIG: a }, fallback: false })),
    'no kubeconfig: pass --apply-to FILE',
    'an input that must be named is never taken from the environment',
  );
});

t.test('~/.kube/config when neither the flag nor KUBECONFIG is set', async (t) => {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), kubeconfig('h', { current: 'h' }));
  const r = resolveKubeconfig({ env: { HOME: home, KUBECONFIG: '' } });
  t.same(r.files, [join(home, '.kube', 'config')]);
  t.equal(r.source, '~/.kube/config');
  t.equal(r.context, 'h');
});

t.test('--context replaces the current context and must exist', async (t) => {
  const r = resolveKubeconfig({ env: { KUBECONFIG: `${b}:${a}` }, context: 'a' });
  t.equal(r.context, 'a');
  t.equal((parse(r.text) as Record<string, unknown>)['current-context'], 'a');
  const one = resolveKubeconfig({ flag: b, env: {}, context: 'b' });
  t.equal(
    one.text,
    kubeconfig('b', { current: 'b', extra: `- name: a\n  user:\n    token: shadowed-token-0123456789\n` }),
    'the current context already: the text is unchanged',
  );
  t.equal(
    failure(() => resolveKubeconfig({ flag: a, env: {}, context: 'nope' })),
    `--context "nope" is not a context of kubeconfig ${a} (contexts: a)`,
  );
});

t.test('every file of the list keeps the hardening: not UTF-8 refused, secrets registered', async (t) => {
  const latin1 = join(dir, 'latin1.yaml');
  writeFileSync(latin1, Buffer.from('clusters: []\n# caf\xe9\n', 'latin1'));
  t.equal(
    failure(() => resolveKubeconfig({ env: { KUBECONFIG: `${a}:${latin1}` } })),
    `KUBECONFIG file ${latin1} is not UTF-8 text`,
  );
  const token = randomBytes(20).toString('hex');
  const s = write('secret.yaml', kubeconfig('s', { current: 's', token }));
  resolveKubeconfig({ env: { KUBECONFIG: `${a}:${s}` } });
  t.notOk(redact(`oops ${token}`).includes(token), 'the token of the second file is redacted from then on');
  const notMap = write('list.yaml', '- a\n- b\n');
  t.equal(
    failure(() => resolveKubeconfig({ env: { KUBECONFIG: `${a}:${notMap}` } })),
    `KUBECONFIG file ${notMap} is not a kubeconfig: expected a YAML mapping`,
  );
});

t.test('in a Pod: the in-cluster configuration of the ServiceAccount, as the last fallback', async (t) => {
  const sa = join(dir, 'serviceaccount');
  mkdirSync(sa);
  const token = 'sa-token-not-real-0123456789';
  writeFileSync(join(sa, 'token'), `${token}\n`);
  writeFileSync(join(sa, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nnot-real\n-----END CERTIFICATE-----\n');
  writeFileSync(join(sa, 'namespace'), 'mgmt');
  const home = join(dir, 'home-pod');
  mkdirSync(home);
  const env = { HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  const r = resolveKubeconfig({ env, serviceAccountDir: sa });
  t.equal(r.source, 'in-cluster');
  t.equal(r.where, 'in-cluster configuration (ServiceAccount token)');
  t.same(r.files, []);
  t.equal(r.context, 'in-cluster');
  const doc = parse(r.text) as {
    clusters: Array<{ cluster: Record<string, string> }>;
    users: Array<{ user: { token: string } }>;
    contexts: Array<{ context: { namespace: string } }>;
  };
  t.equal(doc.clusters[0]!.cluster.server, 'https://10.96.0.1:443');
  t.equal(doc.clusters[0]!.cluster['certificate-authority'], join(sa, 'ca.crt'));
  t.equal(doc.users[0]!.user.token, token, 'the token file, read now');
  t.equal(doc.contexts[0]!.context.namespace, 'mgmt');
  t.notMatch(redact(`token ${token}`), token, 'the token is registered as a secret');

  writeFileSync(join(sa, 'token'), 'sa-token-rotated-0123456789');
  t.match(
    resolveKubeconfig({ env, serviceAccountDir: sa }).text,
    /sa-token-rotated-0123456789/,
    'read again on every resolution (the kubelet rotates it)',
  );
  t.match(
    resolveKubeconfig({ env: { ...env, KUBERNETES_SERVICE_HOST: 'fd00::1' }, serviceAccountDir: sa }).text,
    /server: https:\/\/\[fd00::1\]:443/,
    'an IPv6 address is bracketed',
  );

  const kc = join(home, '.kube');
  mkdirSync(kc);
  writeFileSync(join(kc, 'config'), kubeconfig('h', { current: 'h' }));
  t.equal(
    resolveKubeconfig({ env, serviceAccountDir: sa }).source,
    '~/.kube/config',
    '~/.kube/config wins over the in-cluster configuration',
  );
  t.equal(
    resolveKubeconfig({ env: { ...env, KUBECONFIG: a }, serviceAccountDir: sa }).source,
    'KUBECONFIG',
    'and so does KUBECONFIG',
  );
  t.equal(
    resolveKubeconfig({
      env: { ...env, HOME: join(dir, 'home-empty'), KUBECONFIG: join(dir, 'nothing') },
      serviceAccountDir: sa,
    }).source,
    'in-cluster',
    'a KUBECONFIG of no existing file falls through, as with kubectl',
  );
  t.match(
    failure(() => resolveKubeconfig({ flagName: '--apply-to', env, fallback: false, serviceAccountDir: sa })),
    /^no kubeconfig: pass --apply-to FILE$/,
    'never for an input that must be named',
  );

  const empty = join(dir, 'sa-empty');
  mkdirSync(empty);
  t.match(
    failure(() => resolveKubeconfig({ env: { ...env, HOME: join(dir, 'home-empty') }, serviceAccountDir: empty })),
    /does not exist\); no in-cluster configuration \(ServiceAccount token\) either \(.*sa-empty\/token does not exist/,
  );
  t.match(
    failure(() =>
      resolveKubeconfig({
        env: { HOME: join(dir, 'home-empty'), KUBERNETES_SERVICE_HOST: '10.96.0.1' },
        serviceAccountDir: sa,
      }),
    ),
    /KUBERNETES_SERVICE_PORT is unset/,
    'HOST without PORT is no in-cluster configuration',
  );
});
