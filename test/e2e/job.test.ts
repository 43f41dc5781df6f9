/**
 * The Kubernetes Job of examples/kubernetes/bind-job.yaml. The sandbox has no kubelet, so no Pod
 * can run: the sandbox's apiserver accepts the file in a server-side dry run (strict field
 * validation), and the Job's container, as this test reads it from the file (args after the
 * image's entrypoint, env, volume mounts with their read-only flags and file modes, runAsUser,
 * runAsGroup, fsGroup, readOnlyRootFilesystem), runs from the image's root filesystem (unshare +
 * chroot, test/helpers/image.ts) against the sandbox: it binds a fresh App Cluster, the provider
 * kubeconfig ends up in the App Cluster's Secret klutch-bind/kubeconfig (from which `helper
 * status` works), and a second run (the Job's retry) converges with nothing changed.
 * Only the site-specific values are replaced by the sandbox's: the three URLs/IDs of the env, the
 * Secret and ConfigMap contents, and binding.json's clusterID (a fresh one per run).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../sandbox/cluster.ts';
import { imageMissing, runInImage, unpackImage, type Mount } from '../helpers/image.ts';
import { jwtsIn, repoRoot, runCli } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';

const manifestFile = join(repoRoot, 'examples', 'kubernetes', 'bind-job.yaml');
type Obj = Record<string, any>;
const docs = parseAllDocuments(readFileSync(manifestFile, 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);
const job = docs.find((d) => d.kind === 'Job')!;
const pod = job.spec.template.spec as Obj;
const container = pod.containers[0] as Obj;
const sb = await useSandbox(t);

t.test('the manifest is a Job with one hardened container', async (t) => {
  t.equal(pod.containers.length, 1, 'one container');
  t.notOk(container.command, 'no command: the image\'s entrypoint (/helper) runs the args');
  t.equal(container.args[0], 'bootstrap-env');
  t.ok(job.spec.backoffLimit >= 1, 'a failed run is retried (bootstrap-env converges)');
  t.equal(pod.restartPolicy, 'Never');
  t.equal(pod.automountServiceAccountToken, false, 'no ServiceAccount token it does not use');
  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
  t.match(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  t.ok(container.resources?.requests?.cpu && container.resources?.requests?.memory, 'resource requests');
  t.ok(container.resources?.limits?.cpu && container.resources?.limits?.memory, 'resource limits');
  t.ok(container.args.includes('--output-file'), 'all.yaml (with its token) goes to a file, not to the Pod\'s log');
  t.notOk((container.env as Obj[]).some((e) => /SECRET$/.test(e.name)), 'no secret in the environment (HELPER_CLIENT_SECRET_FILE names a mounted file)');
});

t.test('the sandbox apiserver accepts the manifest in a server-side dry run', async (t) => {
  const r = await kubectl(sb.bin, sb.app.kubeconfig, ['apply', '--dry-run=server', '--validate=strict', '-n', 'default', '-f', manifestFile]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /configmap\/helper-binding created \(server dry run\)/);
  t.match(r.stdout, /job\.batch\/helper-bind created \(server dry run\)/);
  const get = await kubectl(sb.bin, sb.app.kubeconfig, ['get', '-n', 'default', 'job/helper-bind']);
  t.match(get.stderr, /NotFound/, 'nothing persisted');
  // The same dry run refuses what is wrong (so the acceptance above means something).
  const bad = readFileSync(manifestFile, 'utf8').replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: true\n            readOnlyRootFilesytem: true');
  const rb = await kubectl(sb.bin, sb.app.kubeconfig, ['apply', '--dry-run=server', '--validate=strict', '-n', 'default', '-f', '-'], bad);
  t.not(rb.code, 0, 'a misspelt field is refused');
  t.match(rb.stderr, /readOnlyRootFilesytem/);
});

t.test('the Job\'s container, run from the image, binds an App Cluster; a retry converges', async (t) => {
  const missing = imageMissing();
  if (missing) {
    t.fail(missing);
    return;
  }
  const image = unpackImage(t);
  const app = await extraCluster(t, sb, 'job-app');
  const clusterID = `job-${randomBytes(4).toString('hex')}`;

  // What the cluster would hold: the manifest's own ConfigMap (with a fresh clusterID), and the
  // Secrets / the CA ConfigMap the README tells the user to create, filled with the sandbox's.
  const bindingCm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'helper-binding')!;
  const bindingJson = { ...JSON.parse(bindingCm.data['binding.json'] as string), clusterID };
  const sources: Record<string, Record<string, string>> = {
    'configMap/helper-binding': { 'binding.json': JSON.stringify(bindingJson) },
    'secret/helper-app-cluster': { kubeconfig: readFileSync(app.kubeconfig, 'utf8') },
    'secret/helper-oidc': { 'client-secret': sb.env.OIDC_CLIENT_SECRET },
    'configMap/helper-ca': { 'ca.crt': readFileSync(sb.caFile, 'utf8') },
  };
  const siteEnv: Record<string, string> = { HELPER_BIND_URL: sb.bindUrl, OIDC_TOKEN_URL: sb.env.OIDC_TOKEN_URL, OIDC_CLIENT_ID: sb.env.OIDC_CLIENT_ID };

  const fsGroup = pod.securityContext.fsGroup as number | undefined;
  const volumes = mkdtempSync(join(tmpdir(), 'helper-job-volumes-'));
  t.teardown(() => rmSync(volumes, { recursive: true, force: true }));
  const mounts: Mount[] = (container.volumeMounts as Obj[]).map((vm) => {
    const vol = (pod.volumes as Obj[]).find((v) => v.name === vm.name);
    if (!vol) throw new Error(`volumeMount ${vm.name} has no volume`);
    const dir = join(volumes, vm.name);
    mkdirSync(dir);
    if (vol.emptyDir) {
      chmodSync(dir, 0o777); // as the kubelet makes an emptyDir
    } else {
      const [kind, name, mode] = vol.secret ? ['secret', vol.secret.secretName, vol.secret.defaultMode ?? 0o644] : vol.configMap ? ['configMap', vol.configMap.name, vol.configMap.defaultMode ?? 0o644] : [];
      const data = sources[`${kind}/${name}`];
      if (!data) throw new Error(`volume ${vm.name}: the test has no content for ${kind}/${name}`);
      for (const [key, value] of Object.entries(data)) {
        writeFileSync(join(dir, key), value);
        if (fsGroup !== undefined) chownSync(join(dir, key), 0, fsGroup);
        chmodSync(join(dir, key), mode as number);
      }
    }
    return { source: dir, target: vm.mountPath as string, readOnly: vm.readOnly === true };
  });
  const env: Record<string, string> = {};
  for (const e of container.env as Obj[]) {
    if (e.value === undefined) throw new Error(`env ${e.name}: only literal values are supported here`);
    env[e.name] = siteEnv[e.name] ?? e.value;
  }
  t.same(Object.keys(siteEnv).filter((k) => !(k in env)), [], 'the manifest sets every site-specific variable the test replaces');
  const sc = { ...pod.securityContext, ...container.securityContext } as Obj;
  const run = () => runInImage(image, {
    args: container.args as string[],
    env,
    user: `${sc.runAsUser}:${sc.runAsGroup}`,
    groups: fsGroup === undefined ? [] : [fsGroup],
    mounts,
    readOnlyRoot: sc.readOnlyRootFilesystem === true,
    isolateNet: false, // the sandbox listens on the host's loopback
  });
  t.equal(`${sc.runAsUser}:${sc.runAsGroup}`, image.config.config.User, 'the Job runs as the image\'s user');

  const first = await run();
  t.equal(first.code, 0, `${first.command}: ${first.stderr}`);
  t.equal(first.stdout, '', 'nothing on stdout: the Pod\'s log holds no all.yaml');
  t.notOk(first.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'client secret not in the log');
  t.same(jwtsIn(first.stderr), [], 'no token in the log');

  // The result: all.yaml applied to the App Cluster, the provider kubeconfig in its Secret.
  const bindings = await kubectl(sb.bin, app.kubeconfig, ['get', 'apiservicebindings.klutch.anynines.com', '-o', 'name']);
  t.match(bindings.stdout, /apiservicebinding\.klutch\.anynines\.com\/postgresqlinstances\.anynines\.com/, 'the APIServiceBinding is on the App Cluster');
  const secret = await kubectl(sb.bin, app.kubeconfig, ['get', 'secret', '-n', 'klutch-bind', 'kubeconfig', '-o', 'jsonpath={.data.kubeconfig}']);
  t.equal(secret.code, 0, secret.stderr);
  const kfg = join(volumes, 'provider.kfg.yaml');
  writeFileSync(kfg, Buffer.from(secret.stdout, 'base64'), { mode: 0o600 });
  const status = await runCli(['status', '--kubeconfig', kfg, '--ca-file', sb.caFile, '-o', 'json']);
  t.equal(status.code, 0, `helper status with the provider kubeconfig from the App Cluster's Secret: ${status.stderr}`);
  const report = JSON.parse(status.stdout || '{}') as { verdict?: string; clusterNamespace?: string };
  t.equal(report.verdict, 'ok');
  const phases = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['get', 'apiserviceexportrequests.klutch.anynines.com', '-n', report.clusterNamespace ?? '', '-o', 'jsonpath={.items[*].status.phase}']);
  t.same(phases.stdout.split(/\s+/).filter(Boolean), ['Succeeded'], 'the export request Succeeded');

  const before = await kubectl(sb.bin, app.kubeconfig, ['get', 'secret', '-n', 'klutch-bind', 'kubeconfig', '-o', 'jsonpath={.metadata.resourceVersion}']);
  const again = await run();
  t.equal(again.code, 0, `the retry: ${again.stderr}`);
  const after = await kubectl(sb.bin, app.kubeconfig, ['get', 'secret', '-n', 'klutch-bind', 'kubeconfig', '-o', 'jsonpath={.metadata.resourceVersion}']);
  t.equal(after.stdout, before.stdout, 'the retry left the kubeconfig Secret as it was');
});
