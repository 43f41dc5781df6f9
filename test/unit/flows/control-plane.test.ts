/**
 * The control-plane flows in process: values from the injected files
 * (stdin), the cluster an in-memory Reader over FakeCluster and a recording
 * apply. init's output, render to stdout or a file, apply's journal (n of m
 * on failure, nothing on a dry run), check's report and verdict.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Reader } from '../../../src/control-plane/cluster.ts';
import { controlPlaneApply } from '../../../src/flows/control-plane-apply.ts';
import { controlPlaneCheck, verdictError } from '../../../src/flows/control-plane-check.ts';
import { controlPlaneInit } from '../../../src/flows/control-plane-init.ts';
import { controlPlaneRender } from '../../../src/flows/control-plane-render.ts';
import { Journal } from '../../../src/journal.ts';
import { controlPlaneApplyOptions, controlPlaneCheckOptions, controlPlaneInitOptions, controlPlaneRenderOptions } from '../../../src/options/control-plane.ts';
import { FakeCluster, FakeFiles } from './fake-cluster.ts';

const caPem = readFileSync(new URL('../control-plane/render.test.ts', import.meta.url), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/)![0];
const VALUES = `backend:\n  host: bind.corp.test\n  externalAddress: https://api.corp.test:6443\n  caCertificate: env:CA\noidc:\n  issuerUrl: https://idp.corp.test\n  clientSecret: env:OIDC\ntls:\n  acme: { email: a@corp.test }\ndataServices:\n  search:\n    serviceBroker: { url: "https://sb", username: u, password: env:P }\n    backupManager: { url: "https://bm", username: u, password: env:P }\n`;
const ENV = { CA: caPem, OIDC: 'oidc-secret-not-real', P: 'broker-password-not-real', SEED: 'a seed of at least sixteen characters' };
const KUBECONFIG = { text: 'apiVersion: v1\nkind: Config\nclusters: [{name: cp, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: admin, user: {token: abc}}]\ncontexts: [{name: cp, context: {cluster: cp, user: admin}}]\ncurrent-context: cp\n', files: ['cp.kubeconfig'], source: '--kubeconfig', label: 'cp.kubeconfig', where: '--kubeconfig cp.kubeconfig', context: 'cp' };

/** A Reader over a FakeCluster (the methods check and adopt call). */
function fakeReader(cp: FakeCluster): Reader {
  return {
    host: '127.0.0.1:6443',
    get: (apiVersion: string, kind: string, name: string, namespace?: string) => cp.get({ apiVersion, kind }, name, namespace),
    list: async (apiVersion: string, kind: string, namespace?: string) => (await cp.list({ apiVersion, kind }, namespace)) ?? [],
    crd: (name: string) => cp.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, name),
  } as unknown as Reader;
}

function kube(cp = new FakeCluster('control plane'), failAfter?: number) {
  const applied: string[] = [];
  return {
    applied,
    resolve: () => KUBECONFIG,
    connect: () => ({
      server: 'https://127.0.0.1:6443', host: '127.0.0.1:6443', reader: () => fakeReader(cp), cookieKeys: async () => undefined,
      apply: async (objects: Array<{ kind: string; metadata: { name: string; namespace?: string } }>, _s: unknown, o: { onApplied?: ((w: string) => void) | undefined; dryRun: boolean }) => {
        for (const [i, obj] of objects.entries()) {
          if (failAfter !== undefined && i >= failAfter) throw Object.assign(new Error('x'), { name: 'ClusterError' });
          applied.push(obj.kind);
          o.onApplied?.(`${obj.kind} ${obj.metadata.name}`);
        }
        return { applied: objects.length, notValidated: [], pruned: [] };
      },
    }),
  };
}

t.test('init: the values file for the data services asked for; unknown ones are a usage error', async (t) => {
  const out = await controlPlaneInit(controlPlaneInitOptions({ 'data-services': ['postgresql,search'] }, {}));
  t.match(out.stdout, /postgresql:/);
  t.match(out.stdout, /search:/);
  t.throws(() => controlPlaneInitOptions({ 'data-services': ['postgres'] }, {}), { exitCode: 2, message: /^--data-services: unknown postgres \(choose from / });
  t.throws(() => controlPlaneInitOptions({ 'data-services': [','] }, {}), { exitCode: 2, message: '--data-services: name at least one data service' });
});

t.test('render: the manifests on stdout (stdout secured first), or only in --output-file', async (t) => {
  const files = new FakeFiles({ '-': VALUES });
  const out = await controlPlaneRender(controlPlaneRenderOptions({ file: '-', seed: 'env:SEED' }, ENV), { files, kube: kube() as never });
  t.match(out.stdout, /^# helper control-plane render: holds credentials \(Secrets\); do not commit\.\n/);
  t.match(out.stdout, /kind: CustomResourceDefinition/);
  t.same(files.secured, ['the control plane\'s credentials (Secrets)']);
  const again = await controlPlaneRender(controlPlaneRenderOptions({ file: '-', seed: 'env:SEED', 'output-file': 'cp.yaml' }, ENV), { files, kube: kube() as never });
  t.equal(again.stdout, undefined);
  t.equal(files.written.get('cp.yaml')?.text, out.stdout, 'the same seed, the same render');
  t.equal(files.written.get('cp.yaml')?.mode, 0o600);
});

t.test('render: --context without --kubeconfig is a usage error; a placeholder left is exit 3', async (t) => {
  t.throws(() => controlPlaneRenderOptions({ file: '-', context: 'x' }, {}), { exitCode: 2, message: '--context picks a context of --kubeconfig; pass --kubeconfig too' });
  const files = new FakeFiles({ '-': VALUES.replace('bind.corp.test', 'bind.example.com') });
  await t.rejects(controlPlaneRender(controlPlaneRenderOptions({ file: '-', seed: 'env:SEED' }, ENV), { files, kube: kube() as never }), { exitCode: 3, code: 'HELPER_VALUES_PLACEHOLDER' });
});

const applyArgv = (extra: Record<string, unknown> = {}) => ({ file: '-', kubeconfig: 'cp.kubeconfig', timeout: '5m', 'request-timeout': '5s', retries: 0, seed: 'env:SEED', ...extra });

t.test('apply: every rendered object applied and in the journal; a dry run records nothing', async (t) => {
  const k = kube();
  const journal = new Journal();
  const out = await controlPlaneApply(controlPlaneApplyOptions(applyArgv(), ENV), { files: new FakeFiles({ '-': VALUES }), kube: k as never, journal });
  t.same(out, {});
  t.ok(k.applied.length > 10);
  t.equal(journal.applied?.server, 'control plane 127.0.0.1:6443');
  t.equal(journal.applied?.objects.length, k.applied.length);
  const dry = new Journal();
  await controlPlaneApply(controlPlaneApplyOptions(applyArgv({ 'dry-run': 'server' }), ENV), { files: new FakeFiles({ '-': VALUES }), kube: kube() as never, journal: dry });
  t.ok(dry.empty);
});

t.test('apply failing part way: the journal says how many of how many', async (t) => {
  const journal = new Journal();
  await t.rejects(controlPlaneApply(controlPlaneApplyOptions(applyArgv(), ENV), { files: new FakeFiles({ '-': VALUES }), kube: kube(undefined, 3) as never, journal }));
  t.match(journal.warnings()[0], /^already applied to control plane 127\.0\.0\.1:6443: 3 of \d+ object\(s\) \(CustomResourceDefinition /);
});

t.test('check of an empty cluster: the report on stdout, then exit 6 naming the first problem', async (t) => {
  const out = await controlPlaneCheck(controlPlaneCheckOptions({ file: '-', kubeconfig: 'cp.kubeconfig', 'request-timeout': '5s', retries: 0, output: 'json' }, ENV), { files: new FakeFiles({ '-': VALUES }), kube: kube() as never });
  const report = JSON.parse(out.stdout!);
  t.ok(report.counts.missing > 0);
  t.equal(out.error?.exitCode, 6);
  t.equal(out.error?.code, 'HELPER_CP_INCOMPLETE');
  t.match(out.error?.message, /^control plane 127\.0\.0\.1:6443 is not set up: \d+ missing, \d+ invalid, \d+ not ready \(see the report\); first: /);
});

t.test('check verdicts: not ready fails only with --require-ready', async (t) => {
  const notReady = { counts: { ok: 3, missing: 0, invalid: 0, 'not-ready': 1, 'cannot-see': 1 }, firstProblem: { object: 'Deployment bind/anynines-backend', detail: 'waiting' } } as never;
  t.match(verdictError(notReady, 'h:6443', true), { code: 'HELPER_CP_NOT_READY', exitCode: 6, hint: '--no-require-ready only checks what is installed' });
  t.equal(verdictError(notReady, 'h:6443', false), undefined);
  t.equal(verdictError({ counts: { ok: 3, missing: 0, invalid: 0, 'not-ready': 0, 'cannot-see': 0 } } as never, 'h', true), undefined);
});
