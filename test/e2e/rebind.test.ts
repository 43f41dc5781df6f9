/**
 * A re-bind never deletes data, and unbind deletes only what is provably the
 * binding's, on Klutch v1.4.0's own controllers (the sandbox's example-backend,
 * the real konnector):
 *
 *   bind + create-ns, a claim made on the control plane and one made on the
 *   first App Cluster, both synced (marked klutch.anynines.com/bound) → the
 *   first App Cluster abandoned (its konnector stopped, no unbind) → the same
 *   clusterID bound again onto a fresh, empty App Cluster with helper apply,
 *   its konnector started → both claims on the control plane and on the new
 *   App Cluster, and the konnector deleted nothing.
 *   Then unbind --delete-crds with an APIServiceExport named after a CRD the
 *   App Cluster has for another reason (a cert-manager stand-in with an
 *   object): that CRD and its object stay, the report says why; the
 *   binding's own CRD is deleted.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import type { Konnector } from '../sandbox/klutch.ts';
import { eventually } from '../helpers/poll.ts';
import { runCli } from '../helpers/run-cli.ts';
import { extraCluster, konnector, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const root = t;
const CLAIM = 'postgresqlinstances.anynines.com';
const KLUTCH = 'klutch.anynines.com';
const dir = t.testdir({});

async function get(kubeconfig: string, args: string[], jsonpath: string): Promise<string> {
  const r = await kubectl(sb.bin, kubeconfig, ['get', ...args, '-o', `jsonpath=${jsonpath}`]);
  return r.code === 0 ? r.stdout.trim() : `error: ${r.stderr.trim()}`;
}
const claim = (name: string, namespace: string) => JSON.stringify({ apiVersion: 'anynines.com/v1', kind: 'PostgresqlInstance', metadata: { name, namespace }, spec: { plan: `plan-${name}` } });

const bindingFile = join(dir, 'rebind.binding.json');
writeFileSync(bindingFile, JSON.stringify({ clusterID: `rebind-${randomBytes(4).toString('hex')}`, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }));
const kfg = join(dir, 'rebind.kfg.yaml');
const all = join(dir, 'rebind.all.yaml');
const bootstrap = () => runCli(['bootstrap-env', '-f', bindingFile, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--write-kubeconfig', kfg, '-o', all, '--timeout', '90s'], { env: sb.env });

let clusterNs = '';
let teamNs = '';
let app1: Cluster;
let k1: Konnector;

t.test('bind, the first App Cluster with its konnector, two claims synced and marked bound', async (t) => {
  const b = await bootstrap();
  t.equal(b.code, 0, b.stderr);
  clusterNs = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  const ns = await runCli(['create-ns', '--kubeconfig', kfg, '-n', 'team-a', '--ca-file', sb.caFile]);
  t.equal(ns.code, 0, ns.stderr);
  teamNs = ns.stdout.trim();
  t.equal((await kubectl(sb.bin, kfg, ['create', '-f', '-'], claim('early', teamNs))).code, 0, 'a claim made on the control plane');
  app1 = await extraCluster(root, sb, 'rebind1');
  t.equal((await kubectl(sb.bin, app1.kubeconfig, ['create', 'namespace', 'team-a'])).code, 0);
  const ap = await runCli(['apply', '-f', all, '--kubeconfig', app1.kubeconfig]);
  t.equal(ap.code, 0, ap.stderr);
  k1 = await konnector(root, sb, app1);
  await eventually(t, 'the claim made on the control plane copied to the first App Cluster', 90_000, async () => {
    const s = await get(app1.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.spec.plan}');
    return s === 'plan-early' ? { value: s, seen: s } : { seen: s };
  });
  t.equal((await kubectl(sb.bin, app1.kubeconfig, ['create', '-f', '-'], claim('late', 'team-a'))).code, 0, 'a claim made on the App Cluster');
  for (const n of ['early', 'late']) {
    await eventually(t, `claim ${n} on the control plane, marked bound`, 90_000, async () => {
      const s = await get(sb.controlPlane.kubeconfig, [CLAIM, n, '-n', teamNs], '{.metadata.annotations.klutch\\.anynines\\.com/bound}');
      return s && !s.startsWith('error') ? { value: s, seen: s } : { seen: s || 'not marked' };
    });
  }
});

t.test('the first App Cluster abandoned without unbind; the same clusterID bound onto a fresh App Cluster: every claim stays and is copied there', async (t) => {
  await k1.stop();
  const b = await bootstrap();
  t.equal(b.code, 0, b.stderr);
  t.equal(/namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1], clusterNs, 'the same cluster namespace');
  const app2 = await extraCluster(root, sb, 'rebind2');
  // Nothing prepared by hand: no namespace created, no annotation removed. helper apply does what is needed.
  const ap = await runCli(['apply', '-f', all, '--kubeconfig', app2.kubeconfig]);
  t.equal(ap.code, 0, ap.stderr);
  t.comment(ap.stderr.split('\n').filter((l) => /unmark|namespace team-a/.test(l)).join('\n'));
  const k2 = await konnector(root, sb, app2);
  for (const n of ['early', 'late']) {
    const v = await eventually(t, `claim ${n} copied to the new App Cluster`, 90_000, async () => {
      const s = await get(app2.kubeconfig, [CLAIM, n, '-n', 'team-a'], '{.spec.plan}');
      return s === `plan-${n}` ? { value: s, seen: s } : { seen: s };
    });
    t.equal(v, `plan-${n}`, `${n} on the new App Cluster`);
  }
  // Long enough for the konnector's status controller to have gone over every claim.
  await new Promise((r) => setTimeout(r, 15_000));
  for (const n of ['early', 'late']) t.equal(await get(sb.controlPlane.kubeconfig, [CLAIM, n, '-n', teamNs], '{.spec.plan}'), `plan-${n}`, `${n} still on the control plane`);
  t.equal(await get(sb.controlPlane.kubeconfig, [`apiservicenamespaces.${KLUTCH}`, 'team-a', '-n', clusterNs], '{.status.namespace}'), teamNs, 'the APIServiceNamespace stays');
  const log = readFileSync(k2.proc.logFile, 'utf8');
  t.notMatch(log, /Deleting upstream object because downstream is gone/, 'the konnector deleted no claim');
  // A re-run on the now healthy App Cluster changes nothing on the control plane.
  const rv = await get(sb.controlPlane.kubeconfig, [CLAIM, '-n', teamNs], '{.items[*].metadata.resourceVersion}');
  const again = await runCli(['apply', '-f', all, '--kubeconfig', app2.kubeconfig]);
  t.equal(again.code, 0, again.stderr);
  t.notMatch(again.stderr, /unmark/, 'nothing to unmark');
  t.equal(await get(sb.controlPlane.kubeconfig, [CLAIM, '-n', teamNs], '{.items[*].metadata.resourceVersion}'), rv, 'the claims unchanged (resourceVersions)');
  await k2.stop();

  await t.test('unbind --delete-crds: an export named after a CRD the binding does not own leaves that CRD and its objects alone', async (t) => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'certificates.cert-manager.io' },
      spec: { group: 'cert-manager.io', names: { plural: 'certificates', singular: 'certificate', kind: 'Certificate', listKind: 'CertificateList' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    };
    t.equal((await kubectl(sb.bin, app2.kubeconfig, ['create', '-f', '-'], JSON.stringify(crd))).code, 0);
    t.equal((await kubectl(sb.bin, app2.kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io'])).code, 0);
    const cert = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web', namespace: 'team-a', finalizers: ['klutch.anynines.com/syncer'] }, spec: { secretName: 'web-tls' } };
    t.equal((await kubectl(sb.bin, app2.kubeconfig, ['create', '-f', '-'], JSON.stringify(cert))).code, 0);
    // On the control plane, as its admin: an APIServiceExport of that name in the binding's cluster namespace.
    const pg = JSON.parse((await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['get', `apiserviceexports.${KLUTCH}`, CLAIM, '-n', clusterNs, '-o', 'json'])).stdout) as { spec: Record<string, unknown> };
    const exp = { apiVersion: `${KLUTCH}/v1alpha1`, kind: 'APIServiceExport', metadata: { name: 'certificates.cert-manager.io', namespace: clusterNs }, spec: { ...pg.spec, group: 'cert-manager.io', names: crd.spec.names } };
    const made = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['create', '-f', '-'], JSON.stringify(exp));
    t.equal(made.code, 0, made.stderr);
    const crdUid = await get(app2.kubeconfig, ['crd', 'certificates.cert-manager.io'], '{.metadata.uid}');

    const r = await runCli(['unbind', '--kubeconfig', kfg, '--app-kubeconfig', app2.kubeconfig, '--ca-file', sb.caFile, '--delete-crds', '-o', 'json']);
    t.equal(r.code, 0, r.stderr);
    const actions = (JSON.parse(r.stdout) as { actions: Array<{ kind: string; name: string; op: string; result: string; note?: string }> }).actions;
    t.match(actions.find((a) => a.kind === 'CustomResourceDefinition' && a.name === 'certificates.cert-manager.io'), { op: 'keep', result: 'kept', note: /^not provably this binding's: no APIServiceBinding of this binding owns it/ }, 'the report says why it is kept');
    t.match(actions.find((a) => a.kind === 'CustomResourceDefinition' && a.name === CLAIM && a.op === 'delete'), { result: 'deleted' }, 'the binding\'s own CRD is deleted');
    t.notOk(actions.some((a) => a.kind === 'Certificate'), 'no action on its objects');
    t.equal(await get(app2.kubeconfig, ['crd', 'certificates.cert-manager.io'], '{.metadata.uid}'), crdUid, 'the CRD is the same object');
    t.equal(await get(app2.kubeconfig, ['certificates.cert-manager.io', 'web', '-n', 'team-a'], '{.metadata.finalizers}'), '["klutch.anynines.com/syncer"]', 'its object stays, finalizer and all');
    t.match(await get(app2.kubeconfig, ['crd', CLAIM], '{.metadata.name}'), /^error: .*NotFound/, 'the binding\'s CRD is gone');
    for (const n of ['early', 'late']) t.equal(await get(sb.controlPlane.kubeconfig, [CLAIM, n, '-n', teamNs], '{.spec.plan}'), `plan-${n}`, `${n} stays on the control plane`);
    // Clean up the stand-in's finalizer, so the sandbox can be torn down.
    await kubectl(sb.bin, app2.kubeconfig, ['patch', 'certificates.cert-manager.io', 'web', '-n', 'team-a', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  });
});
