/**
 * A re-bind never deletes data, and unbind deletes only what is provably the
 * binding's, on Klutch v1.4.0's own controllers (the sandbox's example-backend,
 * the real konnector):
 *
 *   bind + create-ns team-a and team-b; a claim made on the control plane
 *   (adopted, v1.4.0 leaves it unmarked) and one made on the first App
 *   Cluster in each namespace (synced up, marked klutch.anynines.com/bound)
 *   → the first App Cluster abandoned (its konnector stopped, no unbind) →
 *   the same clusterID bound again onto a fresh App Cluster with helper
 *   apply, its konnector started → every claim on the control plane and on
 *   the new App Cluster, and the konnector deleted nothing. On the new App
 *   Cluster the user made namespace team-a before (as unbind's hint says),
 *   not team-b: without helper's guard the konnector deletes the marked claim
 *   of team-a ("downstream is gone") and the APIServiceNamespace team-b (the
 *   backend then deletes its namespace with its claims).
 *   Then unbind --delete-crds with an APIServiceExport named after a CRD the
 *   App Cluster has for another reason (a stand-in for cert-manager's
 *   certificates.cert-manager.io, with an
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
const claim = (name: string, namespace: string) =>
  JSON.stringify({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name, namespace },
    spec: { plan: `plan-${name}` },
  });

const bindingFile = join(dir, 'rebind.binding.json');
writeFileSync(
  bindingFile,
  JSON.stringify({
    clusterID: `rebind-${randomBytes(4).toString('hex')}`,
    apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
  }),
);
const kfg = join(dir, 'rebind.kfg.yaml');
const all = join(dir, 'rebind.all.yaml');
const bootstrap = () =>
  runCli(
    [
      'bootstrap-env',
      '-f',
      bindingFile,
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--write-kubeconfig',
      kfg,
      '-o',
      all,
      '--timeout',
      '90s',
    ],
    { env: sb.env },
  );

let clusterNs = '';
const teamNs: Record<string, string> = {};
const CLAIMS = [
  ['team-a', 'early'],
  ['team-a', 'late'],
  ['team-b', 'b-late'],
] as const;
let app1: Cluster;
let k1: Konnector;

t.test('bind, the first App Cluster with its konnector, two claims synced and marked bound', async (t) => {
  const b = await bootstrap();
  t.equal(b.code, 0, b.stderr);
  clusterNs = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  for (const n of ['team-a', 'team-b']) {
    const ns = await runCli(['create-ns', '--kubeconfig', kfg, '-n', n, '--ca-file', sb.caFile]);
    t.equal(ns.code, 0, ns.stderr);
    teamNs[n] = ns.stdout.trim();
  }
  t.equal(
    (await kubectl(sb.bin, kfg, ['create', '-f', '-'], claim('early', teamNs['team-a']!))).code,
    0,
    'a claim made on the control plane',
  );
  app1 = await extraCluster(root, sb, 'rebind1');
  for (const n of ['team-a', 'team-b'])
    t.equal((await kubectl(sb.bin, app1.kubeconfig, ['create', 'namespace', n])).code, 0);
  const ap = await runCli(['apply', '-f', all, '--kubeconfig', app1.kubeconfig]);
  t.equal(ap.code, 0, ap.stderr);
  k1 = await konnector(root, sb, app1);
  await eventually(t, 'the claim made on the control plane copied to the first App Cluster', 90_000, async () => {
    const s = await get(app1.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.spec.plan}');
    return s === 'plan-early' ? { value: s, seen: s } : { seen: s };
  });
  for (const [ns, n] of CLAIMS.filter(([, n]) => n !== 'early')) {
    t.equal(
      (await kubectl(sb.bin, app1.kubeconfig, ['create', '-f', '-'], claim(n, ns))).code,
      0,
      `a claim made on the App Cluster in ${ns}`,
    );
    await eventually(t, `claim ${n} on the control plane, marked bound`, 90_000, async () => {
      const s = await get(
        sb.controlPlane.kubeconfig,
        [CLAIM, n, '-n', teamNs[ns]!],
        '{.metadata.annotations.klutch\\.anynines\\.com/bound}',
      );
      return s && !s.startsWith('error') ? { value: s, seen: s } : { seen: s || 'not marked' };
    });
  }
});

t.test(
  'the first App Cluster abandoned without unbind; the same clusterID bound onto a fresh App Cluster: every ' +
    'claim stays and is copied there',
  async (t) => {
    await k1.stop();
    const b = await bootstrap();
    t.equal(b.code, 0, b.stderr);
    t.equal(/namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1], clusterNs, 'the same cluster namespace');
    const app2 = await extraCluster(root, sb, 'rebind2');
    // As unbind's hint tells kubectl users: team-a made before the konnector starts; team-b is left to helper apply.
    t.equal((await kubectl(sb.bin, app2.kubeconfig, ['create', 'namespace', 'team-a'])).code, 0);
    const ap = await runCli(['apply', '-f', all, '--kubeconfig', app2.kubeconfig]);
    t.equal(ap.code, 0, ap.stderr);
    t.match(
      ap.stderr,
      new RegExp(
        `unmarked ${CLAIM.replace(/\./g, '\\.')} ${teamNs['team-a']}/late on the control plane: the App ` +
          `Cluster has no copy of it`,
      ),
      'the marked claim of team-a unmarked',
    );
    t.match(
      ap.stderr,
      new RegExp(`unmarked ${CLAIM.replace(/\./g, '\\.')} ${teamNs['team-b']}/b-late on the control plane`),
      'and that of team-b',
    );
    t.match(
      ap.stderr,
      /created namespace team-b on cluster \S+: the binding's APIServiceNamespace team-b needs it before the konnector starts/,
      'namespace team-b made before the konnector',
    );
    t.notMatch(ap.stderr, /created namespace team-a/, 'team-a existed');
    const k2 = await konnector(root, sb, app2);
    for (const [ns, n] of CLAIMS) {
      const v = await eventually(t, `claim ${n} copied to the new App Cluster`, 90_000, async () => {
        const s = await get(app2.kubeconfig, [CLAIM, n, '-n', ns], '{.spec.plan}');
        return s === `plan-${n}` ? { value: s, seen: s } : { seen: s };
      });
      t.equal(v, `plan-${n}`, `${n} on the new App Cluster`);
    }
    // Long enough for the konnector's status and namespace controllers to have gone over everything.
    await new Promise((r) => setTimeout(r, 15_000));
    for (const [ns, n] of CLAIMS)
      t.equal(
        await get(sb.controlPlane.kubeconfig, [CLAIM, n, '-n', teamNs[ns]!], '{.spec.plan}'),
        `plan-${n}`,
        `${n} still on the control plane`,
      );
    for (const ns of ['team-a', 'team-b'])
      t.equal(
        await get(
          sb.controlPlane.kubeconfig,
          [`apiservicenamespaces.${KLUTCH}`, ns, '-n', clusterNs],
          '{.status.namespace}',
        ),
        teamNs[ns],
        `the APIServiceNamespace ${ns} stays`,
      );
    const log = readFileSync(k2.proc.logFile, 'utf8');
    t.notMatch(log, /Deleting upstream object because downstream is gone/, 'the konnector deleted no claim');
    // A re-run on the now healthy App Cluster changes nothing on the control plane.
    const rvs = async () =>
      (
        await Promise.all(
          Object.values(teamNs).map((n) =>
            get(sb.controlPlane.kubeconfig, [CLAIM, '-n', n], '{.items[*].metadata.resourceVersion}'),
          ),
        )
      ).join(' ');
    const rv = await rvs();
    const again = await runCli(['apply', '-f', all, '--kubeconfig', app2.kubeconfig]);
    t.equal(again.code, 0, again.stderr);
    t.notMatch(again.stderr, /unmark|created namespace/, 'nothing to unmark or create');
    t.equal(await rvs(), rv, 'the claims unchanged (resourceVersions)');
    await k2.stop();

    await t.test(
      'unbind --delete-crds: an export named after a CRD the binding does not own leaves that CRD and its ' +
        'objects alone',
      async (t) => {
        const crd = {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'certificates.certs.helper-test.example' },
          spec: {
            group: 'certs.helper-test.example',
            names: {
              plural: 'certificates',
              singular: 'certificate',
              kind: 'Certificate',
              listKind: 'CertificateList',
            },
            scope: 'Namespaced',
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            ],
          },
        };
        t.equal((await kubectl(sb.bin, app2.kubeconfig, ['create', '-f', '-'], JSON.stringify(crd))).code, 0);
        t.equal(
          (
            await kubectl(sb.bin, app2.kubeconfig, [
              'wait',
              '--for=condition=Established',
              '--timeout=60s',
              'crd/certificates.certs.helper-test.example',
            ])
          ).code,
          0,
        );
        const cert = {
          apiVersion: 'certs.helper-test.example/v1',
          kind: 'Certificate',
          metadata: { name: 'web', namespace: 'team-a', finalizers: ['klutch.anynines.com/syncer'] },
          spec: { secretName: 'web-tls' },
        };
        t.equal((await kubectl(sb.bin, app2.kubeconfig, ['create', '-f', '-'], JSON.stringify(cert))).code, 0);
        // On the control plane, as its admin: the same CRD (the example-backend deletes an export whose CRD the control
        // plane
        // lacks) and an APIServiceExport of that name in the binding's cluster namespace.
        t.equal(
          (await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['create', '-f', '-'], JSON.stringify(crd))).code,
          0,
        );
        t.teardown(async () => {
          await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['delete', 'crd', crd.metadata.name, '--wait=false']);
        });
        t.equal(
          (
            await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
              'wait',
              '--for=condition=Established',
              '--timeout=60s',
              `crd/${crd.metadata.name}`,
            ])
          ).code,
          0,
        );
        const pg = JSON.parse(
          (
            await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
              'get',
              `apiserviceexports.${KLUTCH}`,
              CLAIM,
              '-n',
              clusterNs,
              '-o',
              'json',
            ])
          ).stdout,
        ) as { spec: Record<string, unknown> };
        const exp = {
          apiVersion: `${KLUTCH}/v1alpha1`,
          kind: 'APIServiceExport',
          metadata: { name: 'certificates.certs.helper-test.example', namespace: clusterNs },
          spec: { ...pg.spec, group: 'certs.helper-test.example', names: crd.spec.names },
        };
        const made = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['create', '-f', '-'], JSON.stringify(exp));
        t.equal(made.code, 0, made.stderr);
        const crdUid = await get(app2.kubeconfig, ['crd', 'certificates.certs.helper-test.example'], '{.metadata.uid}');
        await new Promise((r) => setTimeout(r, 3000));
        t.equal(
          await get(
            sb.controlPlane.kubeconfig,
            [`apiserviceexports.${KLUTCH}`, 'certificates.certs.helper-test.example', '-n', clusterNs],
            '{.metadata.name}',
          ),
          'certificates.certs.helper-test.example',
          'the export is there when unbind runs',
        );

        const r = await runCli([
          'unbind',
          '--kubeconfig',
          kfg,
          '--app-kubeconfig',
          app2.kubeconfig,
          '--ca-file',
          sb.caFile,
          '--delete-crds',
          '-o',
          'json',
        ]);
        t.equal(r.code, 0, r.stderr);
        const actions = (
          JSON.parse(r.stdout) as {
            items: Array<{ kind: string; name: string; op: string; result: string; note?: string }>;
          }
        ).items;
        t.match(
          actions.find(
            (a) => a.kind === 'CustomResourceDefinition' && a.name === 'certificates.certs.helper-test.example',
          ),
          {
            op: 'keep',
            result: 'kept',
            note: /^not provably this binding's: no APIServiceBinding of this binding owns it/,
          },
          'the report says why it is kept',
        );
        t.match(
          actions.find((a) => a.kind === 'CustomResourceDefinition' && a.name === CLAIM && a.op === 'delete'),
          { result: 'deleted' },
          "the binding's own CRD is deleted",
        );
        t.notOk(
          actions.some((a) => a.kind === 'Certificate'),
          'no action on its objects',
        );
        t.equal(
          await get(app2.kubeconfig, ['crd', 'certificates.certs.helper-test.example'], '{.metadata.uid}'),
          crdUid,
          'the CRD is the same object',
        );
        t.equal(
          await get(
            app2.kubeconfig,
            ['certificates.certs.helper-test.example', 'web', '-n', 'team-a'],
            '{.metadata.finalizers}',
          ),
          '["klutch.anynines.com/syncer"]',
          'its object stays, finalizer and all',
        );
        t.match(
          await get(app2.kubeconfig, ['crd', CLAIM], '{.metadata.name}'),
          /^error: .*NotFound/,
          "the binding's CRD is gone",
        );
        for (const [ns, n] of CLAIMS)
          t.equal(
            await get(sb.controlPlane.kubeconfig, [CLAIM, n, '-n', teamNs[ns]!], '{.spec.plan}'),
            `plan-${n}`,
            `${n} stays on the control plane`,
          );
        // Clean up the stand-in's finalizer, so the sandbox can be torn down.
        await kubectl(sb.bin, app2.kubeconfig, [
          'patch',
          'certificates.certs.helper-test.example',
          'web',
          '-n',
          'team-a',
          '--type=merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ]);
      },
    );
  },
);
