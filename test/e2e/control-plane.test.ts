/**
 * `helper control-plane` end to end on fresh sandbox clusters (real
 * kube-apiserver and kube-controller-manager, no kubelet, no Crossplane, no
 * cert-manager). The third-party kinds the render uses get schema-less
 * stand-in CRDs (x-kubernetes-preserve-unknown-fields), installed by the test
 * as Crossplane, cert-manager and the two provider packages would install the
 * real ones: pkg.crossplane.io Provider/Configuration/DeploymentRuntimeConfig,
 * cert-manager.io Issuer, dataservices.anynines.com and kubernetes.crossplane.io
 * ProviderConfig. Nothing reconciles them, so check reports those as not ready.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml } from '../../src/render/to-yaml.ts';
import { newAjv } from '../../src/validate/ajv.ts';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';
import {
  cpEnv,
  installPrerequisiteObjects,
  installStandIns,
  valuesFile as initValues,
} from '../helpers/control-plane.ts';

const sb = await useSandbox(t);

const env = cpEnv;
const allStderr: string[] = [];
/** Cookie keys seen in a cluster, checked against stderr at the end too. */
const cookieKeys: string[] = [];

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const r = await runCli(['control-plane', ...args], { env: { ...env, ...extraEnv } });
  allStderr.push(r.stderr);
  return r;
}

/** The values file `init` prints, its placeholders filled in (its credentials are env: references). */
async function valuesFile(dir: string): Promise<string> {
  const v = await initValues(dir);
  allStderr.push(v.stderr);
  return v.file;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
};
const docs = (text: string): Obj[] =>
  parseAllDocuments(text, { version: '1.1' })
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);

function kubeconfigCa(file: string): string {
  const kc = parse(readFileSync(file, 'utf8')) as {
    clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
  };
  return Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString('utf8');
}

/** kind/namespace/name → resourceVersion of every object in a manifest, as the cluster has them. */
async function resourceVersions(c: Cluster, manifest: string): Promise<string> {
  const r = await kubectl(sb.bin, c.kubeconfig, [
    'get',
    '-f',
    manifest,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\\n"}{end}',
  ]);
  if (r.code !== 0) throw new Error(`kubectl get -f: ${r.stderr}`);
  return r.stdout;
}

interface Report {
  healthy: boolean;
  counts: Record<string, number>;
  firstProblem?: { object: string; detail: string };
  items: Array<{ status: string; object: string; detail: string }>;
}

t.test('render: deterministic, and every object passes a server-side dry run of a fresh control plane', async (t) => {
  const dir = t.testdir({});
  const values = await valuesFile(dir);
  const cp = await extraCluster(t, sb, 'cprender');

  const r1 = await cli(['render', '-f', values, '--kubeconfig', cp.kubeconfig, '--seed', 'env:CP_SEED']);
  t.equal(r1.code, 0, r1.stderr);
  const r2 = await cli(['render', '-f', values, '--kubeconfig', cp.kubeconfig, '--seed', 'env:CP_SEED']);
  t.equal(r2.stdout, r1.stdout, 'same values and seed: byte-identical output');
  const out = join(dir, 'control-plane.yaml');
  writeFileSync(out, r1.stdout);
  const r3 = await cli(['render', '-f', values, '--kubeconfig', cp.kubeconfig, '--previous', out]);
  t.equal(r3.code, 0, r3.stderr);
  t.equal(r3.stdout, r1.stdout, '--previous keeps the cookie keys: byte-identical output');
  t.notMatch(r3.stderr, /random cookie keys/);
  const r4 = await cli(['render', '-f', values, '--kubeconfig', cp.kubeconfig]);
  t.match(r4.stderr, /new random cookie keys/, 'without --previous/--seed the keys are new, and stderr says so');

  const objs = docs(r1.stdout);
  t.equal(objs.length, 34);
  t.same(
    objs.filter((o) => o.kind === 'APIServiceExportTemplate').map((o) => o.metadata.name),
    ['mariadbinstances', 'postgresqlinstances', 'servicebindings', 'backups', 'restores'],
  );

  await installStandIns(sb, cp);
  // A server-side dry run cannot validate objects of a kind, or in a namespace, it only dry-ran;
  // so the render's own CRDs and Namespace are created for real first.
  const base = objs.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace');
  t.equal(base.length, 7);
  const made = await kubectl(sb.bin, cp.kubeconfig, ['apply', '--server-side', '-f', '-'], toYaml(base));
  t.equal(made.code, 0, made.stderr);
  t.equal(
    (await kubectl(sb.bin, cp.kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']))
      .code,
    0,
  );

  const dry = await kubectl(sb.bin, cp.kubeconfig, ['apply', '--server-side', '--dry-run=server', '-f', out]);
  t.equal(dry.code, 0, dry.stderr);
  t.equal(
    dry.stdout
      .trim()
      .split('\n')
      .filter((l) => /serverside-applied \(server dry run\)$/.test(l)).length,
    34,
    'the API server accepted all 34 objects',
  );
  const none = await kubectl(sb.bin, cp.kubeconfig, [
    'get',
    'deployments,secrets,ingresses',
    '-n',
    'bind',
    '-o',
    'name',
  ]);
  t.equal(none.stdout.trim(), '', 'the dry run stored nothing in namespace bind');
});

t.test('apply: pre-flight, dry run, one pass, no change on re-run; check; k8sca is the PEM CA', async (t) => {
  const dir = t.testdir({});
  const values = await valuesFile(dir);
  const cp = await extraCluster(t, sb, 'cpapply');

  const empty = await cli(['check', '--kubeconfig', cp.kubeconfig, '-o', 'json']);
  t.equal(empty.code, 6, 'check on an empty cluster: exit 6');
  const emptyReport = JSON.parse(empty.stdout) as Report;
  t.ok(emptyReport.counts.missing! > 0);
  t.ok(
    emptyReport.items.some((i) => i.object === 'Crossplane' && i.status === 'missing'),
    'names Crossplane as missing',
  );
  t.ok(emptyReport.items.some((i) => i.object === 'Namespace bind' && i.status === 'missing'));
  t.match(empty.stderr, /is not set up: \d+ missing/);

  const pre = await cli(['apply', '-f', values, '--kubeconfig', cp.kubeconfig]);
  t.equal(pre.code, 6, 'no Crossplane: exit 6 before anything is applied');
  t.match(pre.stderr, /lacks prerequisites; nothing was applied/);
  t.match(pre.stderr, /providers\.pkg\.crossplane\.io \(installed by Crossplane\)/);
  t.match(pre.stderr, /issuers\.cert-manager\.io \(installed by cert-manager\)/);
  t.match(pre.stderr, /Namespace crossplane-system/);
  t.equal(
    (await kubectl(sb.bin, cp.kubeconfig, ['get', 'namespace', 'bind'])).code,
    1,
    'namespace bind was not created',
  );

  await installStandIns(sb, cp);
  const dry = await cli(['apply', '-f', values, '--kubeconfig', cp.kubeconfig, '--dry-run', 'server']);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stderr, /\(dry run\) applied CustomResourceDefinition apiservicebindings\.klutch\.anynines\.com/);
  t.match(
    dry.stderr,
    /\(dry run\) applied ProviderConfig postgresql-service-broker/,
    'ProviderConfigs validated against the (stand-in) provider CRD',
  );
  t.equal((await kubectl(sb.bin, cp.kubeconfig, ['get', 'namespace', 'bind'])).code, 1, 'the dry run created nothing');
  t.notMatch((await kubectl(sb.bin, cp.kubeconfig, ['get', 'crd', '-o', 'name'])).stdout, /klutch/);

  const first = await cli(['-v', 'apply', '-f', values, '--kubeconfig', cp.kubeconfig]);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, /6 CRD\(s\) Established/);
  t.match(first.stderr, /34 object\(s\) applied; cookie keys: random/, 'first apply: new keys');

  // The object list of a render (its contents do not matter here, only which objects).
  const listing = join(dir, 'listing.yaml');
  const ls = await cli(['render', '-f', values, '--kubeconfig', cp.kubeconfig, '-o', listing, '--seed', 'env:CP_SEED']);
  t.equal(ls.code, 0, ls.stderr);
  const before = await resourceVersions(cp, listing);
  t.equal(before.trim().split('\n').length, 34, 'all 34 objects exist');
  // Four more runs (five in all) converge on the state of the first.
  for (let run = 2; run <= 5; run++) {
    const again = await cli(['apply', '-f', values, '--kubeconfig', cp.kubeconfig]);
    t.equal(again.code, 0, again.stderr);
    t.match(again.stderr, /cookie keys: cluster/, `run ${run}: the keys in the cluster are kept`);
    t.equal(
      await resourceVersions(cp, listing),
      before,
      `run ${run} leaves all 34 objects unchanged (same resourceVersions)`,
    );
  }
  const keys = await kubectl(sb.bin, cp.kubeconfig, [
    'get',
    'secret',
    'cookie-config',
    '-n',
    'bind',
    '-o',
    'jsonpath={.data}',
  ]);
  for (const v of Object.values(JSON.parse(keys.stdout) as Record<string, string>))
    cookieKeys.push(Buffer.from(v, 'base64').toString('utf8'));
  t.equal(cookieKeys.length, 2);

  const ca = await kubectl(sb.bin, cp.kubeconfig, [
    'get',
    'secret',
    'k8sca',
    '-n',
    'bind',
    '-o',
    'jsonpath={.data.ca}',
  ]);
  const pem = Buffer.from(ca.stdout, 'base64').toString('utf8');
  t.equal(pem, kubeconfigCa(cp.kubeconfig), "k8sca data.ca decodes to the kubeconfig's CA, byte for byte");
  t.match(pem, /^-----BEGIN CERTIFICATE-----\n/, 'the mounted file is PEM, not base64 text');
  t.equal(new X509Certificate(pem).fingerprint256, new X509Certificate(cp.caPem).fingerprint256);

  await installPrerequisiteObjects(sb, cp, { crossplaneArgs: ['--enable-ssa-claims'] });
  const check = await cli(['check', '--kubeconfig', cp.kubeconfig, '-f', values, '-o', 'json']);
  t.equal(check.code, 6, 'not running in the sandbox: exit 6');
  t.match(check.stderr, /installed but not running/);
  const report = JSON.parse(check.stdout) as Report;
  const validateCheck = newAjv().compile(
    JSON.parse(readFileSync(new URL('../../schemas/control-plane-check.schema.json', import.meta.url), 'utf8')),
  );
  t.ok(validateCheck(report), `the JSON validates: ${JSON.stringify(validateCheck.errors)}`);
  t.match(report, { schemaVersion: 1, kind: 'ControlPlaneCheck', verdict: 'not-ready' }, 'the one envelope');
  t.equal(
    report.counts.missing,
    0,
    `nothing missing: ${JSON.stringify(report.items.filter((i) => i.status === 'missing'))}`,
  );
  t.equal(
    report.counts.invalid,
    0,
    `nothing invalid: ${JSON.stringify(report.items.filter((i) => i.status === 'invalid'))}`,
  );
  const notReady = report.items.filter((i) => i.status === 'not-ready').map((i) => i.object);
  t.same(
    notReady.sort(),
    [
      'APIServiceExportTemplate crossplane-system/backups',
      'APIServiceExportTemplate crossplane-system/mariadbinstances',
      'APIServiceExportTemplate crossplane-system/postgresqlinstances',
      'APIServiceExportTemplate crossplane-system/restores',
      'APIServiceExportTemplate crossplane-system/servicebindings',
      'Configuration w5n9a2g2-anynines-dataservices',
      'Deployment bind/anynines-backend',
      'Deployment cert-manager/cert-manager',
      'Deployment crossplane-system/crossplane',
      'Function function-patch-and-transform',
      'Ingress bind/anynines-backend',
      'Issuer bind/letsencrypt',
      'Nodes',
      'Provider provider-anynines',
      'ProviderConfig mariadb-backup-manager',
      'ProviderConfig mariadb-service-broker',
      'ProviderConfig postgresql-backup-manager',
      'ProviderConfig postgresql-service-broker',
      'Secret bind/anynines-backend-tls',
      'Service bind/anynines-backend',
    ],
    'exactly what needs a kubelet, Crossplane, cert-manager or an ingress controller is not ready',
  );
  t.same(
    report.items.filter((i) => i.status === 'cannot-see').map((i) => i.object),
    ['DNS bind.klutch.test', 'OIDC client kube-bind'],
    'DNS and the IdP: said, neither passed nor failed',
  );
  t.equal(
    report.firstProblem?.object,
    'Deployment crossplane-system/crossplane',
    'the first thing to fix: Crossplane is not running',
  );
  const detail = (o: string) => report.items.find((i) => i.object === o)!.detail;
  t.match(detail('Nodes'), /no nodes: no kubelet/);
  t.match(detail('Deployment bind/anynines-backend'), /0\/1 replicas ready.*no Ready node \(no kubelet\)/);
  t.match(detail('Provider provider-anynines'), /Crossplane has not processed it \(Crossplane is not running/);
  t.match(detail('Deployment crossplane-system/crossplane'), /--enable-ssa-claims set; 0\/1 replicas ready/);
  t.match(
    detail('APIServiceExportTemplate crossplane-system/postgresqlinstances'),
    /postgresqlinstances\.anynines\.com is not served/,
  );
  for (const ok of [
    'Secret bind/k8sca',
    'Secret bind/cookie-config',
    'Secret bind/oidc-config',
    'ClusterRole kube-binder',
    'CustomResourceDefinition apiserviceexporttemplates.bind.anynines.com',
    'IngressClass nginx',
    'Secret crossplane-system/postgresql-service-broker-creds',
  ]) {
    t.equal(report.items.find((i) => i.object === ok)?.status, 'ok', `${ok} ok`);
  }

  const text = await cli(['check', '--kubeconfig', cp.kubeconfig, '--no-require-ready']);
  t.equal(text.code, 0, `--no-require-ready: only missing/invalid fail\n${text.stderr}`);
  t.match(text.stdout, /^VERDICT +SIDE +KIND +NAME +DETAIL\n/);
  t.match(text.stdout, /^not-ready +control-plane +Deployment +bind\/anynines-backend\s+0\/1 replicas ready/m);
  const rows = text.stdout
    .split('\n\n')[0]!
    .split('\n')
    .filter((l) => /^\S/.test(l));
  t.same(new Set(rows.slice(1).map((l) => l.split(/ +/)[1])), new Set(['control-plane']), 'SIDE, one word (awk)');
  t.ok(
    text.stdout
      .split('\n\n')[0]!
      .split('\n')
      .every((l) => l.length <= 120 || !/\s/.test(l.trim())),
    `no table line over 120 characters (but an unbreakable word): ${text.stdout
      .split('\n')
      .filter((l) => l.length > 120)
      .join('\n')}`,
  );
  t.match(
    text.stdout,
    /: \d+ ok, 0 missing, 0 invalid, 20 not ready, 2 cannot see\nfirst to fix: Deployment crossplane-system\/crossplane: /,
  );

  t.test('check names broken objects (pitfalls 6 and 10), and apply repairs them', async (t) => {
    const patch = async (args: string[]) => t.equal((await kubectl(sb.bin, cp.kubeconfig, args)).code, 0);
    await patch([
      'annotate',
      '--overwrite',
      'ingress',
      'anynines-backend',
      '-n',
      'bind',
      'cert-manager.io/issuer=letsencrypt-prod',
    ]);
    await patch([
      'patch',
      'secret',
      'k8sca',
      '-n',
      'bind',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { ca: Buffer.from(ca.stdout).toString('base64') } }),
    ]);
    const broken = await cli(['check', '--kubeconfig', cp.kubeconfig, '-o', 'json', '--no-require-ready']);
    t.equal(broken.code, 6);
    const items = (JSON.parse(broken.stdout) as Report).items.filter((i) => i.status === 'invalid');
    t.same(items.map((i) => i.object).sort(), ['Ingress bind/anynines-backend', 'Secret bind/k8sca']);
    t.match(items.find((i) => i.object === 'Secret bind/k8sca')!.detail, /base64 text of the PEM, not PEM/);
    t.match(
      items.find((i) => i.object === 'Ingress bind/anynines-backend')!.detail,
      /names Issuer bind\/letsencrypt-prod, which does not exist/,
    );
    t.match(
      broken.stderr,
      /is not set up: 0 missing, 2 invalid, \d+ not ready \(see the report\); first: Secret bind\/k8sca: ca holds base64 text of the PEM/,
      'the first invalid item in render order',
    );
    const repair = await cli(['apply', '-f', values, '--kubeconfig', cp.kubeconfig]);
    t.equal(repair.code, 0, repair.stderr);
    const fixed = await cli(['check', '--kubeconfig', cp.kubeconfig, '--no-require-ready']);
    t.equal(fixed.code, 0, fixed.stdout);
  });
});

t.test('values errors name the field: exit 3, nothing rendered', async (t) => {
  const dir = t.testdir({});
  const values = readFileSync(await valuesFile(dir), 'utf8');
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const cases: Array<[string, string, RegExp, Record<string, string>?]> = [
    [
      'missing.yaml',
      values.replace(/^ {2}issuerUrl: .*\n/m, ''),
      /\/oidc \(line \d+\): must have required property 'issuerUrl'/,
    ],
    [
      'wrong.yaml',
      values.replace('email: platform-team@klutch.test', 'email: not-an-email'),
      /\/tls\/acme\/email \(line \d+\): must match format "email"/,
    ],
    [
      'literal-secret.yaml',
      values.replace('clientSecret: env:BACKEND_OIDC_CLIENT_SECRET', 'clientSecret: hunter2hunter2'),
      /\/oidc\/clientSecret \(line \d+\): must be a reference, env:NAME or file:PATH/,
    ],
    [
      'typo.yaml',
      values.replace('dataServices:\n', 'dataServices:\n  postgres: {}\n'),
      /\/dataServices \(line \d+\): must NOT have additional property "postgres"/,
    ],
    [
      'unset-env.yaml',
      values,
      /\/oidc\/clientSecret: environment variable BACKEND_OIDC_CLIENT_SECRET is not set/,
      { BACKEND_OIDC_CLIENT_SECRET: '' },
    ],
    [
      'no-file.yaml',
      values.replace('password: env:MARIADB_BACKUP_MANAGER_PASSWORD', 'password: file:missing.txt'),
      /\/dataServices\/mariadb\/backupManager\/password: cannot read .*missing\.txt: ENOENT/,
    ],
  ];
  for (const [name, text, re, overrides] of cases) {
    const e = { ...env, ...(overrides ?? {}) };
    for (const [k, v] of Object.entries(overrides ?? {})) if (!v) delete e[k];
    const r = await runCli(
      ['control-plane', 'render', '-f', write(name, text), '--kubeconfig', sb.controlPlane.kubeconfig],
      { env: e },
    );
    allStderr.push(r.stderr);
    t.equal(r.code, 3, `${name}: exit 3`);
    t.match(r.stderr, re, name);
    t.equal(r.stdout, '', `${name}: nothing on stdout`);
  }
  const noKc = await cli(['render', '-f', write('nokc.yaml', values)]);
  t.equal(noKc.code, 3);
  t.match(noKc.stderr, /\/backend\/externalAddress: not set, and no --kubeconfig/);
});

t.test("init's placeholders are refused: exit 3 listing each, nothing rendered or applied", async (t) => {
  const dir = t.testdir({});
  const raw = join(dir, 'raw.yaml');
  const init = await cli(['init', '--data-services', 'postgresql,mariadb']);
  t.equal(init.code, 0);
  writeFileSync(raw, init.stdout);
  const cp = await extraCluster(t, sb, 'cpplaceholders');
  for (const args of [
    ['render', '-f', raw, '--kubeconfig', cp.kubeconfig],
    ['apply', '-f', raw, '--kubeconfig', cp.kubeconfig],
    ['check', '-f', raw, '--kubeconfig', cp.kubeconfig],
  ]) {
    const r = await cli(args);
    t.equal(r.code, 3, `${args[0]}: exit 3`);
    t.match(
      r.stderr,
      new RegExp(
        `error: ${raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} still holds 7 placeholder value\\(s\\) from ` +
          `\`helper control-plane init\`; replace each with your own`,
      ),
      args[0]!,
    );
    for (const p of [
      '/backend/host \\(line \\d+\\): bind\\.example\\.com',
      '/oidc/issuerUrl \\(line \\d+\\): https://idp\\.example\\.com/realms/klutch',
      '/tls/acme/email \\(line \\d+\\): platform-team@example\\.com',
      '/dataServices/mariadb/backupManager/url',
    ]) {
      t.match(r.stderr, new RegExp(`  - ${p}`), `${args[0]} lists ${p}`);
    }
    t.equal(r.stdout, '', `${args[0]}: nothing on stdout`);
  }
  t.equal((await kubectl(sb.bin, cp.kubeconfig, ['get', 'namespace', 'bind'])).code, 1, 'apply applied nothing');
});

t.test('every unset reference is reported in one run', async (t) => {
  const dir = t.testdir({});
  const values = await valuesFile(dir);
  const r = await runCli(['control-plane', 'render', '-f', values, '--kubeconfig', sb.controlPlane.kubeconfig], {
    env: { CP_SEED: env.CP_SEED! },
  });
  allStderr.push(r.stderr);
  t.equal(r.code, 3);
  t.match(r.stderr, /error: 9 references of the values file cannot be resolved\n/);
  const unset = [...r.stderr.matchAll(/^  - (\S+): environment variable (\S+) is not set$/gm)].map((m) => m[2]);
  t.same(
    unset.sort(),
    Object.keys(env)
      .filter((k) => k !== 'CP_SEED')
      .sort(),
    'all nine variables at once, each with its field',
  );
  t.match(
    r.stderr,
    /  - \/dataServices\/postgresql\/serviceBroker\/password: environment variable POSTGRESQL_SERVICE_BROKER_PASSWORD is not set/,
    'the word "environment" survives the redaction (regression)',
  );
  t.notMatch(r.stderr, /REDACTED/);
  t.equal(r.stdout, '');
});

t.test('no credential reached stderr in any run of this file', async (t) => {
  const stderr = allStderr.join('\n');
  t.ok(allStderr.length >= 20, `${allStderr.length} runs`);
  for (const [name, value] of [
    ...Object.entries(env),
    ...cookieKeys.map((k, i) => [`cookie key ${i + 1}`, k] as const),
  ]) {
    t.notOk(stderr.includes(value), `${name} not in stderr`);
    t.notOk(stderr.includes(Buffer.from(value).toString('base64')), `${name} (base64) not in stderr`);
  }
});
