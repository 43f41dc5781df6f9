/**
 * control-plane apply in process: applyWith against an in-memory
 * ObjectClient, with server-side apply (kube/apply.ts) replaced by a
 * recorder at its seam. What it would apply, in which order and in which
 * stage, what it keeps of the cluster (names, missing labels), what the
 * pre-flight refuses, and what --prune deletes. The same on a real API
 * server: test/e2e/control-plane.test.ts.
 */
import t from 'tap';
import { log } from '../../../src/log.ts';
import {
  adaptToCluster,
  applyWith,
  cookieKeysIn,
  liveObjects,
  preflight,
  prune,
  type ApplyDeps,
} from '../../../src/control-plane/apply.ts';
import { keysFromSeed } from '../../../src/control-plane/keys.ts';
import { INSTALLATION_LABEL, MANAGED_BY, objectId, type K8sObject } from '../../../src/control-plane/render.ts';
import { parseValues, settingsOf } from '../../../src/control-plane/values.ts';
import type { ApplyObject } from '../../../src/kube/apply.ts';
import { prerequisites, rendered, running, settings, VALUES } from '../../helpers/control-plane-fixtures.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';

/** Records each apply call (stage, objects, dry run) and, unless a dry run, stores the objects in the cluster. */
function deps(
  api: MemoryCluster,
): ApplyDeps & { stages: Array<{ ids: string[]; dryRun: boolean | undefined; objects: ApplyObject[] }> } {
  const stages: Array<{ ids: string[]; dryRun: boolean | undefined; objects: ApplyObject[] }> = [];
  return {
    client: api,
    stages,
    apply: async (objects, opts) => {
      stages.push({ ids: objects.map((o) => objectId(o)), dryRun: opts.dryRun, objects });
      if (!opts.dryRun) api.with(...running(objects as K8sObject[]));
      return {
        applied: objects.map((o) => ({
          kind: o.kind,
          name: o.metadata.name,
          namespace: o.metadata.namespace,
          phase: 1 as const,
        })),
      };
    },
  };
}
const opts = { dryRun: false, timeoutMs: 60_000 };

t.test(
  'stage 1 is the render in order without the ProviderConfigs; stage 2 the ProviderConfigs, once their CRD is served',
  async (t) => {
    const objects = rendered();
    const api = new MemoryCluster('control plane').with(...prerequisites());
    const d = deps(api);
    const r = await applyWith(d, objects, settings, opts);
    const pcs = objects.filter((o) => o.kind === 'ProviderConfig').map(objectId);
    t.same(
      d.stages.map((s) => s.ids),
      [objects.filter((o) => o.kind !== 'ProviderConfig').map(objectId), pcs],
    );
    t.same(pcs, ['ProviderConfig postgresql-service-broker', 'ProviderConfig postgresql-backup-manager']);
    t.equal(r.applied, objects.length);
    t.same(r.notValidated, []);
    t.same(r.recognised, []);
    t.same(r.pruned, []);
    t.same(
      d.stages[0]!.objects,
      objects.filter((o) => o.kind !== 'ProviderConfig'),
      'sent as rendered (labelled) when nothing exists yet',
    );
  },
);

t.test(
  "pre-flight: nothing is applied without Crossplane's CRDs and namespace, and all that lacks is named at once",
  async (t) => {
    const api = new MemoryCluster('control plane');
    const d = deps(api);
    await t.rejects(applyWith(d, rendered(), settings, opts), {
      code: 'HELPER_CP_PREREQUISITES',
      message:
        /^control plane 127.0.0.1:1 lacks prerequisites; nothing was applied:\n {2}- CustomResourceDefinition deploymentruntimeconfigs\.pkg\.crossplane\.io \(installed by Crossplane\)\n(.*\n)* {2}- CustomResourceDefinition issuers\.cert-manager\.io \(installed by cert-manager\)\n {2}- Namespace crossplane-system \(Crossplane's namespace, \/crossplane\/namespace\)$/,
    });
    t.same(d.stages, [], 'no apply call');
    const own = settingsOf(
      parseValues(
        VALUES.replace(
          'tls: { acme: { email: ops@corp.test } }',
          'tls: { issuer: { kind: ClusterIssuer, name: corp-ca } }',
        ),
        'v',
      ),
    );
    await t.rejects(
      preflight(
        new MemoryCluster('control plane').with(
          ...prerequisites().filter((o) => (o as K8sObject).metadata.name !== 'clusterissuers.cert-manager.io'),
        ),
        rendered(own),
        own,
      ),
      { message: /CustomResourceDefinition clusterissuers\.cert-manager\.io \(installed by cert-manager\)/ },
    );
    await t.resolves(
      preflight(new MemoryCluster('control plane').with(...prerequisites()), rendered(own), own),
      'an absent ClusterIssuer is only a warning',
    );
  },
);

t.test(
  'a dry run applies nothing, and lists the ProviderConfigs whose CRD no provider has installed yet as not validated',
  async (t) => {
    const api = new MemoryCluster('control plane').with(...prerequisites());
    const d = deps(api);
    const r = await applyWith(d, rendered(), settings, { ...opts, dryRun: true });
    t.same(
      d.stages.map((s) => s.dryRun),
      [true],
    );
    t.same(r.notValidated, ['ProviderConfig postgresql-service-broker', 'ProviderConfig postgresql-backup-manager']);
    t.equal(r.applied, rendered().length - 2);
    t.notOk(
      api.all().some((o) => o.kind === 'Provider'),
      'the cluster is unchanged',
    );
  },
);

t.test(
  'what exists is kept: no label added to an unlabelled object, an existing Namespace not sent, a package ' +
    "under the page's name",
  async (t) => {
    const objects = rendered();
    const unlabelled = (o: K8sObject) => ({ ...o, metadata: { ...o.metadata, labels: {} } });
    const conf = objects.find((o) => o.kind === 'Configuration')!;
    const api = new MemoryCluster('control plane').with(
      ...prerequisites(),
      unlabelled(objects.find((o) => o.kind === 'ClusterRole')!),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bind' } },
      { ...unlabelled(conf), metadata: { name: 'w5n9a2g2-anynines-dataservices-by-hand' } },
    );
    const { objects: sent, recognised } = await adaptToCluster(api, objects);
    const role = sent.find((o) => o.kind === 'ClusterRole')!;
    t.equal(role.metadata.labels?.[MANAGED_BY.key], undefined, 'the ClusterRole stays unlabelled');
    t.notOk(
      sent.some((o) => o.kind === 'Namespace'),
      'the Namespace is not sent (no field to own)',
    );
    t.same(recognised, [`Configuration ${conf.metadata.name} → Configuration w5n9a2g2-anynines-dataservices-by-hand`]);
    t.equal(sent.find((o) => o.kind === 'Configuration')!.metadata.name, 'w5n9a2g2-anynines-dataservices-by-hand');
    t.equal(sent.length, objects.length - 1);
    t.equal(
      sent.find((o) => o.kind === 'Deployment')!.metadata.labels?.[MANAGED_BY.key],
      MANAGED_BY.value,
      'what does not exist keeps the label',
    );
  },
);

t.test('liveObjects reads each object once, and none whose CRD is not served', async (t) => {
  const objects = rendered();
  const api = new MemoryCluster('control plane').with(...prerequisites());
  const live = await liveObjects(api, objects);
  t.equal(live.size, objects.length);
  t.notOk(
    api.calls.some((c) => c.verb === 'get' && c.kind === 'ProviderConfig'),
    'its CRD is absent: not read',
  );
  t.notOk(
    api.calls.some((c) => c.verb === 'get' && c.kind === 'APIServiceExportTemplate'),
    'the template CRD is not applied yet: not read',
  );
  t.equal(
    api.calls.filter((c) => c.verb === 'get' && c.name === 'providerconfigs.dataservices.anynines.com').length,
    1,
    'one CRD read per kind',
  );
});

t.test(
  "--prune deletes only what carries helper's labels and the render no longer has; a dry run deletes nothing",
  async (t) => {
    const objects = rendered();
    const label = { [MANAGED_BY.key]: MANAGED_BY.value, [INSTALLATION_LABEL]: 'bind.corp.test' };
    const extra = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'anynines-backend-config', namespace: 'bind', labels: label },
      },
      {
        apiVersion: 'pkg.crossplane.io/v1',
        kind: 'Provider',
        metadata: { name: 'provider-kubernetes', labels: label },
      },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'by-hand', namespace: 'bind' } },
    ];
    const fresh = () => new MemoryCluster('control plane').with(...prerequisites(), ...running(objects), ...extra);
    const dry = fresh();
    t.same(await prune(dry, objects, true, 'bind.corp.test'), [
      'Provider provider-kubernetes',
      'ConfigMap bind/anynines-backend-config',
    ]);
    t.same(
      dry.calls.filter((c) => c.verb === 'delete'),
      [],
    );
    const api = fresh();
    const d = deps(api);
    const r = await applyWith(d, objects, settings, { ...opts, prune: true });
    t.same(r.pruned, ['Provider provider-kubernetes', 'ConfigMap bind/anynines-backend-config']);
    t.same(
      api.calls.filter((c) => c.verb === 'delete').map((c) => `${c.kind} ${c.name}`),
      ['Provider provider-kubernetes', 'ConfigMap anynines-backend-config'],
    );
    t.ok(
      api.all().some((o) => o.metadata?.name === 'by-hand'),
      'an unlabelled object stays',
    );
    t.ok(
      api.calls.some(
        (c) => c.verb === 'list' && c.kind === 'Secret' && c.labelSelector === `${MANAGED_BY.key}=${MANAGED_BY.value}`,
      ),
      'listed by label',
    );
  },
);

t.test(
  "--prune with a second installation present: only this installation's objects (its label, the render's " +
    'namespaces) are pruned',
  async (t) => {
    const objects = rendered();
    // This installation is the values' backend host (bind.corp.test).
    const mine = { [MANAGED_BY.key]: MANAGED_BY.value, 'helper.klutch.anynines.com/installation': 'bind.corp.test' };
    const theirs = { [MANAGED_BY.key]: MANAGED_BY.value, 'helper.klutch.anynines.com/installation': 'bind.other.test' };
    const older = { [MANAGED_BY.key]: MANAGED_BY.value };
    const api = new MemoryCluster('control plane').with(
      ...prerequisites(),
      ...running(objects),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stale', namespace: 'bind', labels: mine } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other-creds', namespace: 'bind', labels: theirs } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other-creds', namespace: 'other-bind', labels: theirs } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'other-binder', labels: theirs },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'older', namespace: 'bind', labels: older } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'elsewhere', namespace: 'default', labels: mine } },
    );
    const warned: string[] = [];
    const orig = log.log.bind(log);
    log.log = (level, msg) => {
      if (level === 'warn') warned.push(msg);
    };
    t.teardown(() => {
      log.log = orig;
    });
    const d = deps(api);
    const r = await applyWith(d, objects, settings, { ...opts, prune: true });
    t.same(r.pruned, ['ConfigMap bind/stale'], "only this installation's stale object");
    t.same(
      api.calls.filter((c) => c.verb === 'delete').map((c) => `${c.kind} ${c.namespace ?? ''}/${c.name}`),
      ['ConfigMap bind/stale'],
    );
    for (const [kind, ns, name] of [
      ['Secret', 'bind', 'other-creds'],
      ['Secret', 'other-bind', 'other-creds'],
      ['ClusterRole', undefined, 'other-binder'],
      ['ConfigMap', 'bind', 'older'],
      ['Secret', 'default', 'elsewhere'],
    ]) {
      t.ok(
        api.all().some((o) => o.kind === kind && o.metadata?.namespace === ns && o.metadata?.name === name),
        `${kind} ${ns ?? ''}/${name} stays`,
      );
    }
    const lists = api.calls.filter((c) => c.verb === 'list' && c.labelSelector !== undefined);
    t.ok(
      lists.length > 0 && lists.every((c) => c.labelSelector === `${MANAGED_BY.key}=${MANAGED_BY.value}`),
      'listed by the managed-by label (then selected by the installation label)',
    );
    t.match(
      warned.join('\n'),
      /not pruned, labelled app\.kubernetes\.io\/managed-by=helper but without helper\.klutch\.anynines\.com\/installation \(an older helper's, or another tool's\): ConfigMap bind\/older/,
    );
    t.notOk(
      lists.some((c) => ['Secret', 'ConfigMap', 'Deployment'].includes(c.kind) && c.namespace === undefined),
      "namespaced kinds only in the render's namespaces",
    );
  },
);

t.test('cookieKeysIn: the keys of bind/cookie-config, undefined without it', async (t) => {
  const keys = keysFromSeed('another seed for the apply test');
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cookie-config', namespace: 'bind' },
    data: {
      'signing-key': Buffer.from(keys.signingKey).toString('base64'),
      'encryption-key': Buffer.from(keys.encryptionKey).toString('base64'),
    },
  };
  t.same(await cookieKeysIn(new MemoryCluster('control plane').with(secret)), keys);
  t.equal(await cookieKeysIn(new MemoryCluster('control plane')), undefined);
});
