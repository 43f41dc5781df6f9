/**
 * The kubeconfig as kubectl finds it (--kubeconfig, then the merged
 * $KUBECONFIG list, then ~/.kube/config; --context), -v saying which files
 * and context were used, -vv tracing each HTTP request without secrets, and
 * `helper apply` saying per object whether it was created, configured or
 * unchanged, against the sandbox's App Cluster.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { adminKubeconfig, kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';
import { jwtsIn, runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const dir = t.testdir({});
const id = randomBytes(3).toString('hex');
const caPem = sb.pki.caPem;
const token = sb.controlPlane.token;

// The App Cluster under the context name "app-ctx" (user "admin"), and a
// kubeconfig whose current context points at a closed port (user "nobody").
const appToken = (
  await kubectl(sb.bin, sb.app.kubeconfig, ['config', 'view', '--raw', '-o', 'jsonpath={.users[0].user.token}'])
).stdout;
const appFile = join(dir, 'app.yaml');
writeFileSync(
  appFile,
  adminKubeconfig('app-ctx', sb.app.server, caPem, appToken).replace(/^current-context: .*\n/m, ''),
  { mode: 0o600 },
);
const closed = await freePort();
const brokenFile = join(dir, 'broken.yaml');
writeFileSync(
  brokenFile,
  adminKubeconfig('broken', `https://127.0.0.1:${closed}`, caPem, token).replaceAll('admin', 'nobody'),
  { mode: 0o600 },
);

function manifest(name: string, data: Record<string, string>): string {
  const f = join(dir, `${name}.yaml`);
  const docs = Object.entries(data).map(
    ([k, v]) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${k}-${id}\n  namespace: default\ndata:\n  v: "${v}"\n`,
  );
  writeFileSync(f, docs.join('---\n'));
  return f;
}

async function rv(name: string): Promise<string> {
  return (
    await kubectl(sb.bin, sb.app.kubeconfig, [
      'get',
      'configmap',
      `${name}-${id}`,
      '-n',
      'default',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ])
  ).stdout;
}

t.test(
  'KUBECONFIG list merged as kubectl does; --context picks a context of the merge; -v names files and context',
  async (t) => {
    const m = manifest('list', { a: '1' });
    // The first file sets the current context: the closed port.
    const first = await runCli(['apply', '-f', m, '--retries', '0'], {
      env: { KUBECONFIG: `${brokenFile}:${join(dir, 'missing.yaml')}:${appFile}` },
    });
    t.equal(first.code, 6, first.stderr);
    t.match(
      first.stderr,
      new RegExp(`cannot reach cluster 127\\.0\\.0\\.1:${closed}`),
      'current-context from the first file that sets one',
    );
    const r = await runCli(['apply', '-f', m, '--context', 'app-ctx', '-v'], {
      env: { KUBECONFIG: `${brokenFile}:${join(dir, 'missing.yaml')}:${appFile}` },
    });
    t.equal(r.code, 0, r.stderr);
    t.match(
      r.stderr,
      `kubeconfig: ${brokenFile}:${appFile} (from KUBECONFIG, 2 files merged); context "app-ctx" (--context)`,
    );
    t.match(r.stderr, /KUBECONFIG: skipping \S+missing\.yaml \(no such file\), as kubectl does/);
    t.not(await rv('a'), '', 'the object exists on the App Cluster');
    const bad = await runCli(['apply', '-f', m, '--context', 'nope'], {
      env: { KUBECONFIG: `${brokenFile}:${appFile}` },
    });
    t.equal(bad.code, 3);
    t.match(
      bad.stderr,
      `error: --context "nope" is not a context of kubeconfig ${brokenFile}:${appFile} (contexts: broken, app-ctx)`,
    );
    t.equal(bad.stdout, '');
  },
);

t.test('~/.kube/config when neither --kubeconfig nor KUBECONFIG is given; --kubeconfig wins over both', async (t) => {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), adminKubeconfig('home-ctx', sb.app.server, caPem, appToken), {
    mode: 0o600,
  });
  const m = manifest('home', { h: '1' });
  const r = await runCli(['apply', '-f', m, '-v'], { env: { HOME: home } });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, `kubeconfig: ${join(home, '.kube', 'config')} (from ~/.kube/config); context "home-ctx"`);
  const flag = await runCli(['apply', '-f', m, '--kubeconfig', brokenFile, '--retries', '0'], {
    env: { HOME: home, KUBECONFIG: appFile },
  });
  t.equal(flag.code, 6, 'the flag wins');
  const none = await runCli(['apply', '-f', m], { env: { HOME: join(dir, 'nohome') } });
  t.equal(none.code, 3);
  t.match(
    none.stderr,
    /^error: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~\/\.kube\/config \(\S+nohome\/\.kube\/config does not exist\)\n$/,
  );
});

t.test('create-ns and control-plane check read the kubeconfig the same way', async (t) => {
  const ns = await runCli(['create-ns', '-n', 'x', '--context', 'nope'], { env: { KUBECONFIG: appFile } });
  t.equal(ns.code, 3);
  t.match(ns.stderr, `--context "nope" is not a context of kubeconfig ${appFile} (contexts: app-ctx)`);
  const check = await runCli(['control-plane', 'check', '--context', 'nope'], { env: { KUBECONFIG: appFile } });
  t.equal(check.code, 3);
  t.match(check.stderr, `--context "nope" is not a context of kubeconfig ${appFile}`);
});

t.test('apply says created, configured or unchanged per object, as the resourceVersions show', async (t) => {
  const env = { KUBECONFIG: sb.app.kubeconfig };
  const first = await runCli(['apply', '-f', manifest('outcomes', { one: '1', two: '2' })], { env });
  t.equal(first.code, 0, first.stderr);
  t.equal(first.stdout, `configmap/one-${id} created\nconfigmap/two-${id} created\n`);
  t.match(first.stderr, '2 object(s) applied: 2 created, 0 configured, 0 unchanged\n');
  const [rv1, rv2] = [await rv('one'), await rv('two')];
  const again = await runCli(['apply', '-f', join(dir, 'outcomes.yaml')], { env });
  t.equal(again.code, 0, again.stderr);
  t.equal(again.stdout, `configmap/one-${id} unchanged\nconfigmap/two-${id} unchanged\n`);
  t.match(again.stderr, '2 object(s) applied: 0 created, 0 configured, 2 unchanged\n');
  t.same([await rv('one'), await rv('two')], [rv1, rv2], 'unchanged: same resourceVersions');
  const changed = await runCli(['apply', '-f', manifest('outcomes', { one: 'changed', two: '2' })], { env });
  t.equal(changed.code, 0, changed.stderr);
  t.equal(changed.stdout, `configmap/one-${id} configured\nconfigmap/two-${id} unchanged\n`);
  t.match(changed.stderr, '2 object(s) applied: 0 created, 1 configured, 1 unchanged\n');
  t.not(await rv('one'), rv1, 'configured: a new resourceVersion');
  t.equal(await rv('two'), rv2);
});

t.test(
  '-vv traces every HTTP request (method, host, path, status, duration), never a token; -v does not',
  async (t) => {
    const m = manifest('trace', { tr: '1' });
    const vv = await runCli(['apply', '-f', m, '--kubeconfig', appFile, '--context', 'app-ctx', '-vv']);
    t.equal(vv.code, 0, vv.stderr);
    const host = sb.app.server.replace('https://', '');
    t.match(
      vv.stderr,
      new RegExp(
        `^trace: http: GET ${host.replace(/\./g, '\\.')}/api/v1/namespaces/default/configmaps/tr-${id} -> ` +
          `(404|200) in \\d+ms$`,
        'm',
      ),
    );
    t.match(
      vv.stderr,
      new RegExp(
        `^trace: http: PATCH ${host.replace(/\./g, '\\.')}/api/v1/namespaces/default/configmaps/tr-${id} -> ` +
          `20[01] in \\d+ms$`,
        'm',
      ),
    );
    t.notOk(vv.stderr.includes(appToken), 'no token');
    t.same(jwtsIn(vv.stderr), []);
    t.notMatch(vv.stderr, /Bearer|authorization|\?/i, 'no headers, no query strings');
    const v = await runCli(['apply', '-f', m, '--kubeconfig', appFile, '--context', 'app-ctx', '-v']);
    t.equal(v.code, 0, v.stderr);
    t.notMatch(v.stderr, /http: /, '-v has no HTTP lines');
    t.match(v.stderr, /^debug: kubeconfig: /m, '-v has the kubeconfig line');
  },
);
