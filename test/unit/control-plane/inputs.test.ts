import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { checkCaPem, kubeconfigFacts, prepare } from '../../../src/control-plane/inputs.ts';
import { keysFromSeed } from '../../../src/control-plane/keys.ts';
import { renderControlPlane } from '../../../src/control-plane/render.ts';
import { toYaml } from '../../../src/render/to-yaml.ts';
import { CA_PEM } from '../../helpers/certs.ts';

const kubeconfig = (cluster: string) => `apiVersion: v1
kind: Config
clusters:
- name: cp
  cluster:
${cluster}
users: [{ name: admin, user: { token: abc } }]
contexts: [{ name: cp, context: { cluster: cp, user: admin } }]
current-context: cp
`;
const withData = kubeconfig(
  `    server: https://api.cp.example.com:6443/\n    certificate-authority-data: ` +
    `${Buffer.from(CA_PEM).toString('base64')}`,
);

t.test('kubeconfigFacts: server and CA of the current context (data or file)', async (t) => {
  t.same(kubeconfigFacts(withData, 'cp.kubeconfig'), { server: 'https://api.cp.example.com:6443', caPem: CA_PEM });
  const dir = t.testdir({});
  writeFileSync(join(dir, 'ca.pem'), CA_PEM);
  t.same(
    kubeconfigFacts(kubeconfig('    server: https://h:6443\n    certificate-authority: ca.pem'), join(dir, 'kc')),
    { server: 'https://h:6443', caPem: CA_PEM },
    'a relative file is read next to the kubeconfig',
  );
  t.same(kubeconfigFacts(kubeconfig('    server: https://h:6443'), 'kc'), {
    server: 'https://h:6443',
    caPem: undefined,
  });
  t.throws(() => kubeconfigFacts('current-context: x\n', 'kc'), {
    code: 'HELPER_KUBECONFIG_INVALID',
    exitCode: 3,
    message: '--kubeconfig kc: current-context "x" is not in contexts',
  });
  t.throws(() => kubeconfigFacts(kubeconfig('    server: https://h\n    certificate-authority-data: aGVsbG8='), 'kc'), {
    message: '--kubeconfig kc: certificate-authority-data is not base64 of a PEM certificate',
  });
});

t.test('checkCaPem: PEM passes, base64 of PEM is decoded (pitfall 6), anything else fails', async (t) => {
  t.equal(checkCaPem(CA_PEM, '/backend/caCertificate'), CA_PEM);
  t.equal(checkCaPem(Buffer.from(CA_PEM).toString('base64'), '/backend/caCertificate'), CA_PEM);
  t.throws(() => checkCaPem('hello', '/backend/caCertificate'), {
    code: 'HELPER_VALUES_CA',
    exitCode: 3,
    message: /^\/backend\/caCertificate: not a PEM certificate/,
  });
  t.throws(() => checkCaPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', '/x'), {
    message: /^\/x: certificate 1 cannot be parsed/,
  });
});

t.test('prepare: external address and CA from values, else the kubeconfig; cookie keys by precedence', async (t) => {
  const dir = t.testdir({});
  const base =
    `backend:\n  host: bind.corp.test\noidc:\n  issuerUrl: https://idp.corp.test\n  clientSecret: ` +
    `env:OIDC\ntls:\n  acme: { email: a@corp.test }\ndataServices:\n  search:\n    serviceBroker: { url: ` +
    `"https://sb", username: u, password: env:P }\n    backupManager: { url: "https://bm", username: u, ` +
    `password: env:P }\n`;
  const file = join(dir, 'values.yaml');
  writeFileSync(file, base);
  writeFileSync(join(dir, 'ca.pem'), CA_PEM);
  const env = { OIDC: 'oidc-secret', P: 'password', SEED: 'seed-from-the-environment' };
  const kc = { path: 'cp.kubeconfig', text: withData };

  const p = await prepare({ valuesFile: file, env, kubeconfig: kc });
  t.equal(p.inputs.externalAddress, 'https://api.cp.example.com:6443');
  t.equal(p.inputs.caPem, CA_PEM);
  t.equal(p.keySource, 'random');
  await t.rejects(prepare({ valuesFile: file, env }), {
    code: 'HELPER_VALUES_MISSING',
    message: /^\/backend\/externalAddress: not set, and no --kubeconfig/,
  });

  const explicit = join(dir, 'explicit.yaml');
  writeFileSync(
    explicit,
    base.replace(
      '  host: bind.corp.test\n',
      '  host: bind.corp.test\n  externalAddress: https://public.corp.test\n  caCertificate: file:ca.pem\n',
    ),
  );
  const e = await prepare({ valuesFile: explicit, env });
  t.equal(e.inputs.externalAddress, 'https://public.corp.test', 'no kubeconfig needed when both are given');
  t.equal(e.inputs.caPem, CA_PEM);

  const seeded = await prepare({ valuesFile: file, env, kubeconfig: kc, seed: 'env:SEED' });
  t.equal(seeded.keySource, 'seed');
  t.same(seeded.inputs.cookieKeys, keysFromSeed('seed-from-the-environment'));
  await t.rejects(prepare({ valuesFile: file, env, kubeconfig: kc, seed: 'short' }), { code: 'HELPER_SEED' });

  const previous = join(dir, 'previous.yaml');
  writeFileSync(previous, toYaml(renderControlPlane(seeded.inputs)));
  const prev = await prepare({
    valuesFile: file,
    env,
    kubeconfig: kc,
    previous,
    clusterKeys: async () => {
      throw new Error('not asked');
    },
  });
  t.equal(prev.keySource, 'previous');
  t.same(prev.inputs.cookieKeys, seeded.inputs.cookieKeys);

  const fromCluster = await prepare({
    valuesFile: file,
    env,
    kubeconfig: kc,
    clusterKeys: async () => keysFromSeed('what the cluster has, 1234'),
  });
  t.equal(fromCluster.keySource, 'cluster');
  t.same(fromCluster.inputs.cookieKeys, keysFromSeed('what the cluster has, 1234'));
  const noneInCluster = await prepare({ valuesFile: file, env, kubeconfig: kc, clusterKeys: async () => undefined });
  t.equal(noneInCluster.keySource, 'random');

  const k = Buffer.alloc(32, 7).toString('base64');
  const own = join(dir, 'own-keys.yaml');
  writeFileSync(
    own,
    base.replace(
      '  host: bind.corp.test\n',
      '  host: bind.corp.test\n  cookieKeys: { signingKey: env:K, encryptionKey: env:K }\n',
    ),
  );
  const o = await prepare({ valuesFile: own, env: { ...env, K: k }, kubeconfig: kc, previous, seed: 'env:SEED' });
  t.equal(o.keySource, 'values', 'keys in the values file win over everything');
  t.same(o.inputs.cookieKeys, { signingKey: k, encryptionKey: k });
});

t.test("prepare refuses init's placeholders before it resolves anything (exit 3, each listed)", async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'values.yaml');
  writeFileSync(
    file,
    `backend:\n  host: bind.example.com\noidc:\n  issuerUrl: https://idp.example.com\n  clientSecret: ` +
      `env:OIDC\ntls:\n  acme: { email: a@example.com }\ndataServices:\n  search:\n    serviceBroker: { url: ` +
      `"https://sb.corp.test", username: u, password: env:P }\n    backupManager: { url: ` +
      `"https://bm.corp.test", username: u, password: env:P }\n`,
  );
  await t.rejects(
    prepare({ valuesFile: file, env: {} }),
    {
      code: 'HELPER_VALUES_PLACEHOLDER',
      exitCode: 3,
      message:
        /still holds 3 placeholder value\(s\)[\s\S]*\/backend\/host \(line 2\): bind\.example\.com[\s\S]*\/oidc\/issuerUrl \(line 4\)[\s\S]*\/tls\/acme\/email \(line 7\): a@example\.com/,
    },
    'refused before the (unset) references are looked at',
  );
});
