/**
 * check in process, against an in-memory stand-in of the API (the seam
 * check reads through): its verdicts come from the objects render produced,
 * so a rename in render is followed, and the first problem it names is the
 * root cause. The same behaviour on a real API server: test/e2e/control-plane-adopt.test.ts.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { newAjv } from '../../../src/validate/ajv.ts';
import {
  checkControlPlane as checkReport,
  checkItem,
  checkJson,
  expectedObjects,
  formatReport,
  type CheckReport,
} from '../../../src/control-plane/check.ts';

/** The report as -o json has it ({status, object, detail} items). */
const validateCheck = newAjv().compile(
  JSON.parse(readFileSync(new URL('../../../schemas/control-plane-check.schema.json', import.meta.url), 'utf8')),
);
const checkControlPlane = async (...a: Parameters<typeof checkReport>) => checkJson(await checkReport(...a));
type CheckJson = ReturnType<typeof checkJson>;
import { objectId, type K8sObject } from '../../../src/control-plane/render.ts';
import { CA_PEM } from '../../helpers/certs.ts';
import { prerequisites, rendered, running, settings } from '../../helpers/control-plane-fixtures.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';

const established = (name: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
  status: { conditions: [{ type: 'Established', status: 'True' }] },
});
const crossplaneCrds = [
  ...['providers', 'configurations', 'functions', 'deploymentruntimeconfigs'].map((p) =>
    established(`${p}.pkg.crossplane.io`),
  ),
  established('providerconfigs.dataservices.anynines.com'),
];
const crossplaneDeployment = (args: string[]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'crossplane', namespace: 'crossplane-system', labels: { app: 'crossplane' } },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [{ name: 'universal-crossplane', image: 'xpkg.crossplane.io/crossplane/crossplane:v1.20.0', args }],
      },
    },
  },
  status: { readyReplicas: 1, observedGeneration: 1 },
});
const run = (
  api: MemoryCluster,
  objects = expectedObjects(settings, 'https://api.corp.test:6443'),
): Promise<CheckJson> => checkControlPlane(api, 'https://memory', { settings, objects });
const item = (r: CheckJson, object: string) => r.items.find((i) => i.object === object);

t.test('no Crossplane: the first problem named is Crossplane, and what waits for it says so', async (t) => {
  const r = await run(new MemoryCluster('control plane'));
  t.equal(r.firstProblem?.object, 'Crossplane');
  t.match(
    r.firstProblem?.detail,
    /not installed: no Deployment crossplane-system\/crossplane and no pkg\.crossplane\.io CRDs .*--enable-ssa-claims/,
  );
  t.match(item(r, 'Provider provider-anynines')?.detail, /cannot be installed: Crossplane is not installed/);
  t.match(
    item(r, 'ProviderConfig postgresql-service-broker')?.detail,
    /Crossplane is not installed/,
    'a symptom names its root cause, not "provider-anynines is not running"',
  );
  t.equal(item(r, 'DNS bind.corp.test')?.status, 'cannot-see');
  t.equal(item(r, 'OIDC client kube-bind')?.status, 'cannot-see');
  t.equal(r.counts['cannot-see'], 2);
});

t.test('Crossplane without --enable-ssa-claims: that flag is the first problem', async (t) => {
  const r = await run(
    new MemoryCluster('control plane').with(...crossplaneCrds, crossplaneDeployment(['core', 'start'])),
  );
  t.equal(r.firstProblem?.object, 'Deployment crossplane-system/crossplane');
  t.equal(r.firstProblem?.status, 'invalid');
  t.match(r.firstProblem?.detail, /runs without --enable-ssa-claims/);
  const ok = await run(
    new MemoryCluster('control plane').with(
      ...crossplaneCrds,
      crossplaneDeployment(['core', 'start', '--enable-ssa-claims']),
    ),
  );
  t.equal(item(ok, 'Deployment crossplane-system/crossplane')?.status, 'ok');
  t.not(ok.firstProblem?.object, 'Deployment crossplane-system/crossplane');
  const old = await run(
    new MemoryCluster('control plane').with(...crossplaneCrds, {
      ...crossplaneDeployment(['--enable-ssa-claims']),
      spec: {
        replicas: 1,
        template: { spec: { containers: [{ image: 'crossplane/crossplane:v1.15.0', args: ['--enable-ssa-claims'] }] } },
      },
    }),
  );
  t.match(
    item(old, 'Deployment crossplane-system/crossplane')?.detail,
    /v1\.15\.0; the data-services configuration package requires >= v1\.17\.1/,
  );
});

t.test('check probes what render produced: a renamed object is looked for under its new name', async (t) => {
  const objects = expectedObjects(settings, 'https://api.corp.test:6443');
  const api = new MemoryCluster('control plane').with(
    ...crossplaneCrds,
    crossplaneDeployment(['--enable-ssa-claims']),
    ...objects,
  );
  const before = await run(api, objects);
  t.equal(item(before, 'Secret crossplane-system/postgresql-service-broker-creds')?.status, 'ok');
  t.equal(item(before, 'ClusterRole kube-binder')?.status, 'ok');

  // Render renames the Secret (and the ProviderConfig that names it): check follows, with no code of its own changed.
  const renamed = objects.map(
    (o): K8sObject =>
      o.kind === 'Secret' && o.metadata.name === 'postgresql-service-broker-creds'
        ? { ...o, metadata: { ...o.metadata, name: 'pg-broker-login' } }
        : o.kind === 'ClusterRole'
          ? { ...o, metadata: { ...o.metadata, name: 'klutch-binder' } }
          : o,
  );
  const missing = await run(api, renamed);
  t.equal(item(missing, 'ClusterRole klutch-binder')?.status, 'missing', 'the new name is looked for');
  t.notOk(item(missing, 'ClusterRole kube-binder'), 'the old name is not');
  t.equal(item(missing, 'Secret crossplane-system/pg-broker-login')?.status, 'missing');
  api.with(
    ...renamed.filter((o) =>
      ['Secret crossplane-system/pg-broker-login', 'ClusterRole klutch-binder'].includes(objectId(o)),
    ),
  );
  const found = await run(api, renamed);
  t.equal(item(found, 'ClusterRole klutch-binder')?.status, 'ok');
  t.equal(item(found, 'Secret crossplane-system/pg-broker-login')?.status, 'ok');
});

t.test(
  "the page's names: a Configuration installed by another name, templates named otherwise, a -credentials Secret",
  async (t) => {
    const objects = expectedObjects(settings, 'https://api.corp.test:6443');
    const rest = objects.filter(
      (o) =>
        !(
          o.kind === 'Configuration' ||
          (o.kind === 'APIServiceExportTemplate' && o.metadata.name === 'postgresqlinstances') ||
          (o.kind === 'Secret' && o.metadata.name === 'postgresql-backup-manager-creds') ||
          (o.kind === 'ProviderConfig' && o.metadata.name === 'postgresql-backup-manager')
        ),
    );
    const conf = objects.find((o) => o.kind === 'Configuration')!;
    const pc = objects.find((o) => o.kind === 'ProviderConfig' && o.metadata.name === 'postgresql-backup-manager')!;
    const sec = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'postgresql-backup-manager-creds')!;
    const tpl = objects.find(
      (o) => o.kind === 'APIServiceExportTemplate' && o.metadata.name === 'postgresqlinstances',
    )!;
    const api = new MemoryCluster('control plane').with(
      ...crossplaneCrds,
      crossplaneDeployment(['--enable-ssa-claims']),
      ...rest,
      {
        ...conf,
        metadata: { name: 'anynines-dataservices' },
        status: {
          conditions: [
            { type: 'Healthy', status: 'True' },
            { type: 'Installed', status: 'True' },
          ],
        },
      },
      { ...tpl, metadata: { ...tpl.metadata, name: 'postgresqls' } },
      { ...sec, metadata: { ...sec.metadata, name: 'postgresql-backup-manager-credentials' } },
      JSON.parse(
        JSON.stringify(pc).replaceAll('postgresql-backup-manager-creds', 'postgresql-backup-manager-credentials'),
      ) as K8sObject,
    );
    const r = await run(api, objects);
    t.match(
      item(r, 'Configuration anynines-dataservices')?.detail,
      /Installed and Healthy \(installed as anynines-dataservices; apply keeps that name\)/,
    );
    t.equal(item(r, 'Configuration anynines-dataservices')?.status, 'ok');
    t.ok(item(r, 'APIServiceExportTemplate crossplane-system/postgresqls'), 'found by what it exports');
    t.equal(item(r, 'Secret crossplane-system/postgresql-backup-manager-credentials')?.status, 'ok');
    t.match(
      item(r, 'Secret crossplane-system/postgresql-backup-manager-credentials')?.detail,
      /the ProviderConfig uses Secret crossplane-system\/postgresql-backup-manager-credentials/,
    );
  },
);

t.test('a working control plane: every item ok but what the cluster cannot show', async (t) => {
  const objects = rendered();
  const r = await checkControlPlane(
    new MemoryCluster('control plane').with(...prerequisites(), ...running(objects)),
    'https://memory',
    { settings, objects },
  );
  t.same(
    r.items.filter((i) => i.status !== 'ok' && i.status !== 'cannot-see'),
    [],
    'nothing missing, invalid or not ready',
  );
  t.equal(r.healthy, true);
  t.equal(r.firstProblem, undefined);
  t.equal(r.counts.ok, r.items.length - 2);
  t.match(item(r, 'Secret bind/k8sca')?.detail, /ca is a PEM certificate/);
  t.match(item(r, 'Secret bind/anynines-backend-tls')?.detail, /certificate for bind\.corp\.test issued/);
  t.match(item(r, 'Bindings')?.detail, /^0 APIServiceExport\(s\)/);
});

/** Every rendered name, namespace included, given a suffix wherever render wrote it (references follow). */
function renamedEverywhere(objects: K8sObject[]): K8sObject[] {
  let text = JSON.stringify(objects);
  for (const name of new Set(objects.flatMap((o) => [o.metadata.name, o.metadata.namespace ?? '']).filter(Boolean)))
    text = text.replaceAll(`"${name}"`, `"${name}-2"`);
  return JSON.parse(text) as K8sObject[];
}

t.test(
  "every kind check judges follows a rename in render's output (no name of render's is written again in check)",
  async (t) => {
    const objects = rendered();
    const renamed = renamedEverywhere(objects);
    const kinds = [...new Set(objects.map((o) => o.kind))];
    t.ok(kinds.length >= 16, `the render has every kind check judges (${kinds.join(', ')})`);
    const oldIds = new Set(objects.map(objectId));

    // The cluster holds render's new output: everything is found under its new name, and ok.
    const moved = await checkControlPlane(
      new MemoryCluster('control plane').with(...prerequisites(), ...running(renamed)),
      'https://memory',
      { settings, objects: renamed },
    );
    for (const o of renamed) t.equal(item(moved, objectId(o))?.status, 'ok', `${objectId(o)} found and ok`);
    t.same(
      moved.items.filter((i) => oldIds.has(i.object)).map((i) => i.object),
      [],
      'no old name is looked for',
    );
    t.ok(
      item(moved, 'Secret bind-2/anynines-backend-tls'),
      "the certificate is looked for in the rendered Ingress's namespace",
    );

    // The cluster holds the old names: each renamed object is looked for under its new name; only a package is
    // recognised under another name, by its package (as apply would keep that name).
    const old = await checkControlPlane(
      new MemoryCluster('control plane').with(...prerequisites(), ...running(objects)),
      'https://memory',
      { settings, objects: renamed },
    );
    const packages = new Set(['Provider', 'Function', 'Configuration']);
    for (const o of renamed.filter((x) => !packages.has(x.kind)))
      t.not(item(old, objectId(o))?.status, 'ok', `${objectId(o)} is not taken for the old one`);
    for (const o of objects.filter((x) => packages.has(x.kind)))
      t.match(item(old, objectId(o))?.detail, /installed as .*; apply keeps that name/);
    t.match(
      item(old, 'APIServiceExportTemplate crossplane-system-2/postgresqlinstances-2')?.detail,
      /CustomResourceDefinition apiserviceexporttemplates\.bind\.anynines\.com-2 is not installed/,
      'the template CRD is the rendered one',
    );
  },
);

t.test('the probes read the names the rendered objects carry: claim CRD, TLS secret, backend selector', async (t) => {
  const objects = rendered();
  const api = new MemoryCluster('control plane').with(...prerequisites(), ...running(objects));
  // The claim group of a template, the TLS secret of the Ingress and the Deployment's selector, changed in render's
  // output only.
  const changed = objects.map((o): K8sObject => {
    if (o.kind === 'APIServiceExportTemplate' && o.metadata.name === 'postgresqlinstances')
      return { ...o, spec: { APIServiceSelector: { group: 'a9s.example', resource: 'postgresqlinstances' } } };
    if (o.kind === 'Ingress')
      return {
        ...o,
        spec: { ...(o.spec as object), tls: [{ secretName: 'backend-cert', hosts: ['bind.corp.test'] }] },
      };
    if (o.kind === 'Deployment')
      return { ...o, spec: { ...(o.spec as object), selector: { matchLabels: { tier: 'bind' } } } };
    return o;
  });
  api.all().find((o) => o.kind === 'Deployment' && o.metadata?.name === 'anynines-backend')!.status = {
    observedGeneration: 1,
  };
  const r = await checkControlPlane(api, 'https://memory', { settings, objects: changed });
  t.match(
    item(r, 'APIServiceExportTemplate crossplane-system/postgresqlinstances')?.detail,
    /CustomResourceDefinition postgresqlinstances\.a9s\.example is not served/,
  );
  t.equal(item(r, 'Secret bind/backend-cert')?.status, 'not-ready');
  t.notOk(item(r, 'Secret bind/anynines-backend-tls'));
  t.match(item(r, 'Deployment bind/anynines-backend')?.detail, /describe pods -l tier=bind\)/);
});

t.test('reads go through the ObjectClient: a CRD by name, an unserved kind listed as nothing', async (t) => {
  const api = new MemoryCluster('control plane').with(...prerequisites());
  api.unserved.add('Node');
  const r = await run(api);
  t.notOk(item(r, 'Nodes'), 'no Node list, no Nodes item');
  t.ok(
    api.calls.some(
      (c) =>
        c.verb === 'get' &&
        c.kind === 'CustomResourceDefinition' &&
        c.name === 'providerconfigs.dataservices.anynines.com',
    ),
  );
  t.ok(
    api.calls.some(
      (c) =>
        c.verb === 'list' &&
        c.kind === 'Deployment' &&
        c.labelSelector === 'app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller',
    ) || api.calls.some((c) => c.verb === 'get' && c.name === 'cert-manager'),
  );
  t.equal(api.calls.filter((c) => c.verb === 'delete' || c.verb === 'patch').length, 0, 'check changes nothing');
});

t.test('the report as text: the one table with its header, the counts, the first problem', async (t) => {
  const report: CheckReport = {
    verdict: 'incomplete',
    server: 'https://cp:6443',
    healthy: false,
    counts: { ok: 1, missing: 1, invalid: 0, 'not-ready': 0, 'cannot-see': 1 },
    firstProblem: checkItem('missing', 'IngressClass nginx', 'no such IngressClass'),
    items: [
      checkItem('ok', 'Crossplane', 'package CRDs installed'),
      checkItem('missing', 'IngressClass nginx', 'no such IngressClass'),
      checkItem('cannot-see', 'DNS x', 'dig x'),
    ],
  };
  t.equal(
    formatReport(report),
    [
      'VERDICT     SIDE           KIND          NAME   DETAIL',
      'ok          control-plane  Crossplane    -      package CRDs installed',
      'missing     control-plane  IngressClass  nginx  no such IngressClass',
      'cannot-see  control-plane  DNS           x      dig x',
      '',
      'https://cp:6443: 1 ok, 1 missing, 0 invalid, 0 not ready, 1 cannot see',
      'first to fix: IngressClass nginx: no such IngressClass',
      '',
    ].join('\n'),
  );
  const json = checkJson(report);
  t.same(Object.keys(json).slice(0, 5), ['schemaVersion', 'kind', 'verdict', 'counts', 'items'], 'the one envelope');
  t.ok(validateCheck(JSON.parse(JSON.stringify(json))), JSON.stringify(validateCheck.errors));
  t.notOk(validateCheck({ ...json, items: [{ status: 'fine', object: 'x', detail: '' }] }), 'an unknown status');
});

t.test(
  'a ClusterRole for another group, a base64 CA, weak cookie keys, an Ingress naming an absent issuer: invalid',
  async (t) => {
    const objects = rendered();
    const api = new MemoryCluster('control plane').with(...prerequisites(), ...running(objects));
    const live = (kind: string, name: string) => api.all().find((o) => o.kind === kind && o.metadata?.name === name)!;
    (live('ClusterRole', 'kube-binder') as { rules: unknown }).rules = [
      { apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['*'] },
    ];
    live('Secret', 'k8sca').data = { ca: Buffer.from(Buffer.from(CA_PEM).toString('base64')).toString('base64') };
    live('Secret', 'cookie-config').data = {
      'signing-key': Buffer.from('short').toString('base64'),
      'encryption-key': Buffer.from('short').toString('base64'),
    };
    live('Ingress', 'anynines-backend').metadata!.annotations = { 'cert-manager.io/issuer': 'letsencrypt-prod' };
    const r = await checkControlPlane(api, 'https://memory', { settings, objects });
    t.match(item(r, 'ClusterRole kube-binder'), {
      status: 'invalid',
      detail: /its rules name kube-bind\.io .* not klutch\.anynines\.com/,
    });
    t.match(item(r, 'Secret bind/k8sca'), { status: 'invalid', detail: /ca holds base64 text of the PEM/ });
    t.match(item(r, 'Secret bind/cookie-config'), {
      status: 'invalid',
      detail: /^signing-key, encryption-key not base64 of 16, 24 or 32 bytes/,
    });
    t.match(item(r, 'Ingress bind/anynines-backend'), {
      status: 'invalid',
      detail: /names Issuer bind\/letsencrypt-prod, which does not exist.*; apply sets letsencrypt\)/,
    });
    t.equal(r.firstProblem?.object, 'ClusterRole kube-binder', 'the first invalid item in render order');
  },
);
