/**
 * check in process, against an in-memory stand-in of the API (the seam
 * check reads through): its verdicts come from the objects render produced,
 * so a rename in render is followed, and the first problem it names is the
 * root cause. The same behaviour on a real API server: test/e2e/control-plane-adopt.test.ts.
 */
import t from 'tap';
import { checkControlPlane, expectedObjects, type CheckReport } from '../../../src/control-plane/check.ts';
import { objectId, type K8sObject } from '../../../src/control-plane/render.ts';
import { parseValues, settingsOf } from '../../../src/control-plane/values.ts';
import { MemoryApi } from './memory-api.ts';

const settings = settingsOf(parseValues(`backend: { host: bind.corp.test, externalAddress: "https://api.corp.test:6443" }
oidc: { issuerUrl: "https://idp.corp.test", clientSecret: env:X }
tls: { acme: { email: ops@corp.test } }
dataServices:
  postgresql:
    serviceBroker: { url: "https://sb.corp.test", username: env:U, password: env:P }
    backupManager: { url: "https://bm.corp.test", username: env:U, password: env:P }
`, 'v'));

const established = (name: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, status: { conditions: [{ type: 'Established', status: 'True' }] } });
const crossplaneCrds = [...['providers', 'configurations', 'functions', 'deploymentruntimeconfigs'].map((p) => established(`${p}.pkg.crossplane.io`)), established('providerconfigs.dataservices.anynines.com')];
const crossplaneDeployment = (args: string[]) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'crossplane', namespace: 'crossplane-system', labels: { app: 'crossplane' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'universal-crossplane', image: 'xpkg.crossplane.io/crossplane/crossplane:v1.20.0', args }] } } },
  status: { readyReplicas: 1, observedGeneration: 1 },
});
const run = (api: MemoryApi, objects = expectedObjects(settings, 'https://api.corp.test:6443')): Promise<CheckReport> =>
  checkControlPlane(api, 'https://memory', { settings, objects });
const item = (r: CheckReport, object: string) => r.items.find((i) => i.object === object);

t.test('no Crossplane: the first problem named is Crossplane, and what waits for it says so', async (t) => {
  const r = await run(new MemoryApi());
  t.equal(r.firstProblem?.object, 'Crossplane');
  t.match(r.firstProblem?.detail, /not installed: no Deployment crossplane-system\/crossplane and no pkg\.crossplane\.io CRDs .*--enable-ssa-claims/);
  t.match(item(r, 'Provider provider-anynines')?.detail, /cannot be installed: Crossplane is not installed/);
  t.match(item(r, 'ProviderConfig postgresql-service-broker')?.detail, /Crossplane is not installed/, 'a symptom names its root cause, not "provider-anynines is not running"');
  t.equal(item(r, 'DNS bind.corp.test')?.status, 'cannot-see');
  t.equal(item(r, 'OIDC client kube-bind')?.status, 'cannot-see');
  t.equal(r.counts['cannot-see'], 2);
});

t.test('Crossplane without --enable-ssa-claims: that flag is the first problem', async (t) => {
  const r = await run(new MemoryApi().add(...crossplaneCrds, crossplaneDeployment(['core', 'start'])));
  t.equal(r.firstProblem?.object, 'Deployment crossplane-system/crossplane');
  t.equal(r.firstProblem?.status, 'invalid');
  t.match(r.firstProblem?.detail, /runs without --enable-ssa-claims/);
  const ok = await run(new MemoryApi().add(...crossplaneCrds, crossplaneDeployment(['core', 'start', '--enable-ssa-claims'])));
  t.equal(item(ok, 'Deployment crossplane-system/crossplane')?.status, 'ok');
  t.not(ok.firstProblem?.object, 'Deployment crossplane-system/crossplane');
  const old = await run(new MemoryApi().add(...crossplaneCrds, { ...crossplaneDeployment(['--enable-ssa-claims']), spec: { replicas: 1, template: { spec: { containers: [{ image: 'crossplane/crossplane:v1.15.0', args: ['--enable-ssa-claims'] }] } } } }));
  t.match(item(old, 'Deployment crossplane-system/crossplane')?.detail, /v1\.15\.0; the data-services configuration package requires >= v1\.17\.1/);
});

t.test('check probes what render produced: a renamed object is looked for under its new name', async (t) => {
  const objects = expectedObjects(settings, 'https://api.corp.test:6443');
  const api = new MemoryApi().add(...crossplaneCrds, crossplaneDeployment(['--enable-ssa-claims']), ...objects);
  const before = await run(api, objects);
  t.equal(item(before, 'Secret crossplane-system/postgresql-service-broker-creds')?.status, 'ok');
  t.equal(item(before, 'ClusterRole kube-binder')?.status, 'ok');

  // Render renames the Secret (and the ProviderConfig that names it): check follows, with no code of its own changed.
  const renamed = objects.map((o): K8sObject => (o.kind === 'Secret' && o.metadata.name === 'postgresql-service-broker-creds'
    ? { ...o, metadata: { ...o.metadata, name: 'pg-broker-login' } }
    : o.kind === 'ClusterRole' ? { ...o, metadata: { ...o.metadata, name: 'klutch-binder' } } : o));
  const missing = await run(api, renamed);
  t.equal(item(missing, 'ClusterRole klutch-binder')?.status, 'missing', 'the new name is looked for');
  t.notOk(item(missing, 'ClusterRole kube-binder'), 'the old name is not');
  t.equal(item(missing, 'Secret crossplane-system/pg-broker-login')?.status, 'missing');
  api.add(...renamed.filter((o) => ['Secret crossplane-system/pg-broker-login', 'ClusterRole klutch-binder'].includes(objectId(o))));
  const found = await run(api, renamed);
  t.equal(item(found, 'ClusterRole klutch-binder')?.status, 'ok');
  t.equal(item(found, 'Secret crossplane-system/pg-broker-login')?.status, 'ok');
});

t.test('the page\'s names: a Configuration installed by another name, templates named otherwise, a -credentials Secret', async (t) => {
  const objects = expectedObjects(settings, 'https://api.corp.test:6443');
  const rest = objects.filter((o) => !(o.kind === 'Configuration' || o.kind === 'APIServiceExportTemplate' && o.metadata.name === 'postgresqlinstances' || o.kind === 'Secret' && o.metadata.name === 'postgresql-backup-manager-creds' || o.kind === 'ProviderConfig' && o.metadata.name === 'postgresql-backup-manager'));
  const conf = objects.find((o) => o.kind === 'Configuration')!;
  const pc = objects.find((o) => o.kind === 'ProviderConfig' && o.metadata.name === 'postgresql-backup-manager')!;
  const sec = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'postgresql-backup-manager-creds')!;
  const tpl = objects.find((o) => o.kind === 'APIServiceExportTemplate' && o.metadata.name === 'postgresqlinstances')!;
  const api = new MemoryApi().add(...crossplaneCrds, crossplaneDeployment(['--enable-ssa-claims']), ...rest,
    { ...conf, metadata: { name: 'anynines-dataservices' }, status: { conditions: [{ type: 'Healthy', status: 'True' }, { type: 'Installed', status: 'True' }] } },
    { ...tpl, metadata: { ...tpl.metadata, name: 'postgresqls' } },
    { ...sec, metadata: { ...sec.metadata, name: 'postgresql-backup-manager-credentials' } },
    JSON.parse(JSON.stringify(pc).replaceAll('postgresql-backup-manager-creds', 'postgresql-backup-manager-credentials')) as K8sObject);
  const r = await run(api, objects);
  t.match(item(r, 'Configuration anynines-dataservices')?.detail, /Installed and Healthy \(installed as anynines-dataservices; apply keeps that name\)/);
  t.equal(item(r, 'Configuration anynines-dataservices')?.status, 'ok');
  t.ok(item(r, 'APIServiceExportTemplate crossplane-system/postgresqls'), 'found by what it exports');
  t.equal(item(r, 'Secret crossplane-system/postgresql-backup-manager-credentials')?.status, 'ok');
  t.match(item(r, 'Secret crossplane-system/postgresql-backup-manager-credentials')?.detail, /the ProviderConfig uses Secret crossplane-system\/postgresql-backup-manager-credentials/);
});
