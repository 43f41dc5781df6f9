/**
 * The Kubernetes Job of examples/kubernetes/bind-job.yaml. The sandbox has no kubelet, so no Pod
 * can run: the sandbox's apiserver accepts the file in a server-side dry run (strict field
 * validation), and the Job's container, as this test reads it from the file (args after the
 * image's entrypoint, env, volume mounts with their read-only flags and file modes, runAsUser,
 * runAsGroup, fsGroup, readOnlyRootFilesystem), runs from the image's root filesystem (unshare +
 * chroot, test/helpers/image.ts) against the sandbox: it binds a fresh App Cluster, the provider
 * kubeconfig ends up in the App Cluster's Secret klutch-bind/kubeconfig (from which `helper
 * status` works), and a second run (the Job's retry, a new Pod with a new projected token)
 * converges with nothing changed.
 * Keyless: the Job holds no client secret. Its projected ServiceAccount token is what the kubelet
 * would put there: a real TokenRequest token (`kubectl create token`) of the manifest's own
 * ServiceAccount, created on the sandbox's App Cluster (which plays the management cluster), with
 * the manifest's audience and expirationSeconds; the token endpoint is Ory Hydra trusting that
 * apiserver's ServiceAccount issuer for that ServiceAccount's subject only (a token of another
 * ServiceAccount of the same cluster is refused), and a second reference backend accepts Hydra's
 * access tokens (as in keyless.test.ts).
 * Only the site-specific values are replaced by the sandbox's: the URLs/IDs of the env (the
 * token's audience with OIDC_TOKEN_URL, which it must equal), the Secret and ConfigMap contents,
 * and binding.json's clusterID (a fresh one per run).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { parseAllDocuments, stringify } from 'yaml';
import { kubectl } from '../sandbox/cluster.ts';
import { startBindBackend } from '../sandbox/bind-backend.ts';
import { startHydra } from '../sandbox/hydra.ts';
import { TEMPLATE_GROUP } from '../sandbox/sandbox.ts';
import { imageMissing, runInImage, unpackImage, type Mount } from '../helpers/image.ts';
import { jwtsIn, repoRoot, runCli } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';

const manifestFile = join(repoRoot, 'examples', 'kubernetes', 'bind-job.yaml');
type Obj = Record<string, any>;
const manifestText = readFileSync(manifestFile, 'utf8');
const docs = parseAllDocuments(manifestText)
  .map((d) => d.toJS() as Obj)
  .filter(Boolean);
const job = docs.find((d) => d.kind === 'Job')!;
const serviceAccount = docs.find((d) => d.kind === 'ServiceAccount')!;
const pod = job.spec.template.spec as Obj;
const container = pod.containers[0] as Obj;
const manifestEnv = Object.fromEntries(
  (container.env as Obj[]).map((e) => [e.name as string, e.value as string | undefined]),
);
/** The projected ServiceAccount token sources of the Pod's volumes. */
const allTokenSources = (pod.volumes as Obj[])
  .flatMap((v) => (v.projected?.sources ?? []) as Obj[])
  .map((s) => s.serviceAccountToken as Obj | undefined)
  .filter((s): s is Obj => !!s);
/** The IdP's: those with an audience (the other one, for this cluster's API, has the apiserver's default). */
const tokenSources = allTokenSources.filter((s) => s.audience !== undefined);
/** The volume kubectl/client-go's in-cluster configuration reads. */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const writeSecretArg = container.args[(container.args as string[]).indexOf('--write-secret') + 1] as string | undefined;
const sb = await useSandbox(t);

t.test('the manifest is a Job with one hardened container', async (t) => {
  t.equal(pod.containers.length, 1, 'one container');
  t.notOk(container.command, "no command: the image's entrypoint (/helper) runs the args");
  t.equal(container.args[0], 'bootstrap-env');
  t.ok(job.spec.backoffLimit >= 1, 'a failed run is retried (bootstrap-env converges)');
  t.equal(pod.restartPolicy, 'Never');
  t.match(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.match(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  t.ok(container.resources?.requests?.cpu && container.resources?.requests?.memory, 'resource requests');
  t.ok(container.resources?.limits?.cpu && container.resources?.limits?.memory, 'resource limits');
  t.ok(container.args.includes('--output-file'), "all.yaml (with its token) goes to a file, not to the Pod's log");
});

t.test('the manifest is keyless: a projected token of its own ServiceAccount, no client secret anywhere', async (t) => {
  t.equal(pod.serviceAccountName, serviceAccount?.metadata?.name, "the Job runs as the manifest's ServiceAccount");
  t.equal(pod.automountServiceAccountToken, false, 'no token for the Kubernetes API is mounted');
  t.equal(serviceAccount?.automountServiceAccountToken, false, 'nor by default for the ServiceAccount');
  t.equal(tokenSources.length, 1, 'one projected ServiceAccount token for the IdP');
  t.equal(allTokenSources.length, 2, "and one for this cluster's API (--write-secret)");
  const source = tokenSources[0] ?? {};
  t.equal(
    source.audience,
    manifestEnv.OIDC_TOKEN_URL,
    'its audience is the token endpoint (what Hydra checks for the JWT-bearer grant)',
  );
  t.ok(
    source.expirationSeconds >= 600 && source.expirationSeconds <= 3600,
    `short-lived: ${source.expirationSeconds}s (600 is the API's minimum)`,
  );
  const tokenVolume = (pod.volumes as Obj[]).find((v) =>
    (v.projected?.sources as Obj[] | undefined)?.some((s) => s.serviceAccountToken),
  );
  const tokenMount = (container.volumeMounts as Obj[]).find((m) => m.name === tokenVolume?.name);
  t.equal(
    manifestEnv.OIDC_CLIENT_ASSERTION_FILE,
    `${tokenMount?.mountPath}/${source.path}`,
    "OIDC_CLIENT_ASSERTION_FILE is the projected token's file",
  );
  t.equal(tokenMount?.readOnly, true, 'mounted read-only');
  t.equal(manifestEnv.OIDC_GRANT_TYPE, 'jwt-bearer');
  t.ok(manifestEnv.OIDC_AUDIENCE, "the backend's client id as the access token's audience");
  for (const name of ['OIDC_CLIENT_SECRET', 'HELPER_CLIENT_SECRET_FILE', 'OIDC_CLIENT_KEY_FILE'])
    t.notOk(name in manifestEnv, `no ${name} in the Job's environment`);
  t.notOk(
    (container.env as Obj[]).some((e) => /SECRET/.test(e.name) || (e.valueFrom && !e.valueFrom.fieldRef)),
    "no variable names or takes a secret (valueFrom only for the Pod's namespace)",
  );
  t.notOk(container.envFrom, 'no envFrom');
  t.same(
    (pod.volumes as Obj[])
      .filter((v) => v.secret || v.projected?.sources?.some((s: Obj) => s.secret))
      .map((v) => v.secret?.secretName ?? v.name),
    ['helper-app-cluster'],
    "the only Secret mounted is the App Cluster's kubeconfig",
  );
  t.notMatch(manifestText, /client[-_]secret/i, 'the file mentions no client secret');
});

t.test('the manifest writes its results to a Secret of the management cluster, with the least RBAC', async (t) => {
  t.match(
    writeSecretArg,
    /^\$\(POD_NAMESPACE\)\/helper-binding-[a-z0-9-]+$/,
    "--write-secret names a Secret in the Job's namespace",
  );
  t.same((container.env as Obj[]).find((e) => e.name === 'POD_NAMESPACE')?.valueFrom, {
    fieldRef: { fieldPath: 'metadata.namespace' },
  });
  const secretName = writeSecretArg?.split('/')[1];
  const apiMount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === SA_DIR);
  t.equal(apiMount?.readOnly, true, `a read-only volume at ${SA_DIR}`);
  const apiVolume = (pod.volumes as Obj[]).find((v) => v.name === apiMount?.name);
  t.same(
    apiVolume?.projected?.sources?.map((src: Obj) => Object.keys(src)[0]),
    ['serviceAccountToken', 'configMap', 'downwardAPI'],
    'token, CA and namespace, as the kubelet automounts them',
  );
  t.equal(
    apiVolume?.projected?.sources?.[0]?.serviceAccountToken?.audience,
    undefined,
    "the API token has the apiserver's default audience",
  );
  const role = docs.find((d) => d.kind === 'Role');
  const binding = docs.find((d) => d.kind === 'RoleBinding');
  t.same(
    role?.rules,
    [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [secretName], verbs: ['get', 'patch'] },
    ],
    'create, and get/patch of that one Secret only',
  );
  t.same(binding?.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role?.metadata?.name });
  t.same(
    binding?.subjects,
    [{ kind: 'ServiceAccount', name: serviceAccount.metadata.name }],
    "bound to the Job's ServiceAccount (in the RoleBinding's namespace)",
  );
});

t.test('the sandbox apiserver accepts the manifest in a server-side dry run', async (t) => {
  const r = await kubectl(sb.bin, sb.app.kubeconfig, [
    'apply',
    '--dry-run=server',
    '--validate=strict',
    '-n',
    'default',
    '-f',
    manifestFile,
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /serviceaccount\/helper-bind created \(server dry run\)/);
  t.match(r.stdout, /configmap\/helper-binding created \(server dry run\)/);
  t.match(r.stdout, /role\.rbac\.authorization\.k8s\.io\/helper-bind created \(server dry run\)/);
  t.match(r.stdout, /rolebinding\.rbac\.authorization\.k8s\.io\/helper-bind created \(server dry run\)/);
  t.match(r.stdout, /job\.batch\/helper-bind created \(server dry run\)/);
  const get = await kubectl(sb.bin, sb.app.kubeconfig, ['get', '-n', 'default', 'job/helper-bind']);
  t.match(get.stderr, /NotFound/, 'nothing persisted');
  // The same dry run refuses what is wrong (so the acceptance above means something).
  const bad = manifestText.replace(
    'readOnlyRootFilesystem: true',
    'readOnlyRootFilesystem: true\n            readOnlyRootFilesytem: true',
  );
  const rb = await kubectl(
    sb.bin,
    sb.app.kubeconfig,
    ['apply', '--dry-run=server', '--validate=strict', '-n', 'default', '-f', '-'],
    bad,
  );
  t.not(rb.code, 0, 'a misspelt field is refused');
  t.match(rb.stderr, /readOnlyRootFilesytem/);
  const short = manifestText.replace(/expirationSeconds: \d+/, 'expirationSeconds: 60');
  const rs = await kubectl(
    sb.bin,
    sb.app.kubeconfig,
    ['apply', '--dry-run=server', '--validate=strict', '-n', 'default', '-f', '-'],
    short,
  );
  t.not(rs.code, 0, 'a projected token shorter than the API allows is refused');
  t.match(rs.stderr, /expirationSeconds/);
});

t.test(
  "the Job's container, run from the image with a real projected token, binds an App Cluster; a retry converges",
  async (t) => {
    const missing = imageMissing();
    if (missing) {
      t.fail(missing);
      return;
    }
    if (!serviceAccount) {
      t.fail(`${manifestFile} has no ServiceAccount for the Job`);
      return;
    }
    const image = unpackImage(t);
    const caPem = readFileSync(sb.caFile, 'utf8');
    const work = mkdtempSync(join(tmpdir(), 'helper-job-'));
    t.teardown(() => rmSync(work, { recursive: true, force: true }));

    // The management cluster: the sandbox's App Cluster, the manifest's ServiceAccount in a fresh namespace.
    const mgmt = async (args: string[], input?: string) => {
      const r = await kubectl(sb.bin, sb.app.kubeconfig, args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const ns = `job-mgmt-${randomBytes(3).toString('hex')}`;
    await mgmt(['create', 'namespace', ns]);
    t.teardown(async () => {
      await kubectl(sb.bin, sb.app.kubeconfig, ['delete', 'namespace', ns, '--wait=false']);
    });
    for (const d of docs.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind)))
      await mgmt(['apply', '-n', ns, '-f', '-'], stringify(d));
    await mgmt(['create', 'serviceaccount', 'other', '-n', ns]);
    const subject = `system:serviceaccount:${ns}:${pod.serviceAccountName}`;

    // The IdP: Hydra trusting the management cluster's ServiceAccount issuer for the Job's subject, a
    // client allowed the JWT-bearer grant with the backend's audience; a backend that accepts Hydra's tokens.
    const hydra = await startHydra({ dir: work, tls: sb.serverTls, caPem });
    t.teardown(() => hydra.stop());
    const saIssuer = (
      JSON.parse(await mgmt(['get', '--raw', '/.well-known/openid-configuration'])) as { issuer: string }
    ).issuer;
    await hydra.trustIssuer(
      saIssuer,
      JSON.parse(await mgmt(['get', '--raw', '/openid/v1/jwks'])) as { keys: object[] },
      subject,
    );
    const hydraClient = await hydra.createJwtBearerClient([sb.oidc.audience]);
    const backend = await startBindBackend({
      tls: { cert: readFileSync(sb.serverTls.certFile, 'utf8'), key: readFileSync(sb.serverTls.keyFile, 'utf8') },
      caPem,
      audience: sb.oidc.audience,
      templateGroup: TEMPLATE_GROUP,
      issuer: sb.oidc.issuer,
      jwksUrl: sb.oidc.jwksUrl,
      moreIssuers: [{ issuer: hydra.issuer, jwksUrl: hydra.jwksUrl }],
      controlPlane: { server: sb.controlPlane.server, caPem, token: sb.controlPlane.token },
    });
    t.teardown(() => backend.stop());

    const app = await extraCluster(t, sb, 'job-app');
    const clusterID = `job-${randomBytes(4).toString('hex')}`;

    // What the cluster would hold: the manifest's own ConfigMap (with a fresh clusterID), and the
    // Secret / the CA ConfigMap the file's header tells the user to create, filled with the sandbox's.
    const bindingCm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'helper-binding')!;
    const bindingJson = { ...JSON.parse(bindingCm.data['binding.json'] as string), clusterID };
    const sources: Record<string, Record<string, string>> = {
      'configMap/helper-binding': { 'binding.json': JSON.stringify(bindingJson) },
      'secret/helper-app-cluster': { kubeconfig: readFileSync(app.kubeconfig, 'utf8') },
      'configMap/helper-ca': { 'ca.crt': caPem },
    };
    const siteEnv: Record<string, string> = {
      HELPER_BIND_URL: backend.url,
      OIDC_TOKEN_URL: hydra.tokenUrl,
      OIDC_CLIENT_ID: hydraClient,
      OIDC_AUDIENCE: sb.oidc.audience,
    };
    /** The site's value for the token's audience: the manifest names the token endpoint (checked above). */
    const siteAudience = (aud: string) => (aud === manifestEnv.OIDC_TOKEN_URL ? hydra.tokenUrl : aud);

    const fsGroup = pod.securityContext.fsGroup as number | undefined;
    const volumes = join(work, 'volumes');
    mkdirSync(volumes);
    const place = (file: string, value: string, mode: number) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, value);
      if (fsGroup !== undefined) chownSync(file, 0, fsGroup);
      chmodSync(file, mode);
    };
    /** What the kubelet does for a new Pod: a TokenRequest for the Pod's ServiceAccount per projected source. */
    const projectTokens = async (serviceAccountName = pod.serviceAccountName as string) => {
      const tokens: string[] = [];
      for (const vol of pod.volumes as Obj[]) {
        for (const src of (vol.projected?.sources ?? []) as Obj[]) {
          const mode = vol.projected.defaultMode ?? 0o644;
          if (src.configMap?.name === 'kube-root-ca.crt') {
            // What the kubelet copies from the ConfigMap kube-root-ca.crt: the management cluster's CA.
            for (const item of src.configMap.items as Obj[])
              place(join(volumes, vol.name, item.path as string), sb.pki.caPem, mode);
            continue;
          }
          if (src.downwardAPI) {
            for (const item of src.downwardAPI.items as Obj[]) {
              if (item.fieldRef?.fieldPath !== 'metadata.namespace')
                throw new Error(`volume ${vol.name}: the test projects only the namespace`);
              place(join(volumes, vol.name, item.path as string), ns, mode);
            }
            continue;
          }
          const sat = src.serviceAccountToken as Obj | undefined;
          if (!sat) throw new Error(`volume ${vol.name}: the test projects no ${Object.keys(src)[0]} source`);
          // No audience: the apiserver's default (its own), as the kubelet requests it for the API token.
          const audience = sat.audience === undefined ? [] : ['--audience', siteAudience(sat.audience as string)];
          const token = (
            await mgmt([
              'create',
              'token',
              serviceAccountName,
              '-n',
              ns,
              ...audience,
              '--duration',
              `${sat.expirationSeconds ?? 3600}s`,
            ])
          ).trim();
          place(join(volumes, vol.name, sat.path as string), token, mode);
          tokens.push(token);
        }
      }
      return tokens;
    };
    const mounts: Mount[] = (container.volumeMounts as Obj[]).map((vm) => {
      const vol = (pod.volumes as Obj[]).find((v) => v.name === vm.name);
      if (!vol) throw new Error(`volumeMount ${vm.name} has no volume`);
      const dir = join(volumes, vm.name);
      mkdirSync(dir);
      if (vol.emptyDir) {
        chmodSync(dir, 0o777); // as the kubelet makes an emptyDir
      } else if (!vol.projected) {
        const [kind, name, mode] = vol.secret
          ? ['secret', vol.secret.secretName, vol.secret.defaultMode ?? 0o644]
          : vol.configMap
            ? ['configMap', vol.configMap.name, vol.configMap.defaultMode ?? 0o644]
            : [];
        const data = sources[`${kind}/${name}`];
        if (!data) throw new Error(`volume ${vm.name}: the test has no content for ${kind}/${name}`);
        for (const [key, value] of Object.entries(data)) place(join(dir, key), value, mode as number);
      }
      return { source: dir, target: vm.mountPath as string, readOnly: vm.readOnly === true };
    });
    // What the kubelet sets in every container: the API's Service address (here the management cluster's apiserver).
    const api = new URL(sb.app.server);
    const env: Record<string, string> = {
      KUBERNETES_SERVICE_HOST: api.hostname.replace(/^\[|\]$/g, ''),
      KUBERNETES_SERVICE_PORT: api.port || '443',
    };
    for (const e of container.env as Obj[]) {
      if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = ns;
      else if (e.value === undefined)
        throw new Error(`env ${e.name}: only literal values and the namespace are supported here`);
      else env[e.name] = siteEnv[e.name] ?? e.value;
    }
    // The kubelet's $(VAR) expansion of the args.
    const args = (container.args as string[]).map((a) =>
      a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m),
    );
    const secretRef = args[args.indexOf('--write-secret') + 1]!;
    t.equal(secretRef.split('/')[0], ns, `--write-secret ${secretRef}: the Job's namespace`);
    t.same(
      Object.keys(siteEnv).filter((k) => !(k in env)),
      [],
      'the manifest sets every site-specific variable the test replaces',
    );
    t.same(
      Object.keys(env).filter((k) => /SECRET/.test(k)),
      [],
      'the whole environment of the run holds no OIDC_CLIENT_SECRET / HELPER_CLIENT_SECRET_FILE',
    );
    const sc = { ...pod.securityContext, ...container.securityContext } as Obj;
    const run = () =>
      runInImage(image, {
        args,
        env,
        user: `${sc.runAsUser}:${sc.runAsGroup}`,
        groups: fsGroup === undefined ? [] : [fsGroup],
        mounts,
        readOnlyRoot: sc.readOnlyRootFilesystem === true,
        isolateNet: false, // the sandbox listens on the host's loopback
      });
    t.equal(`${sc.runAsUser}:${sc.runAsGroup}`, image.config.config.User, "the Job runs as the image's user");
    const clean = (r: { stdout: string; stderr: string }, tokens: string[]) => {
      t.same(jwtsIn(r.stderr), [], 'no token or assertion in the log');
      t.ok(
        tokens.every((tok) => !r.stderr.includes(tok) && !r.stdout.includes(tok)),
        'the projected token is not printed',
      );
    };

    // Hydra trusts the issuer for the Job's ServiceAccount only: another one's token of the same cluster is refused.
    const otherTokens = await projectTokens('other');
    const refused = await run();
    t.equal(refused.code, 4, `another ServiceAccount's token: ${refused.stderr}`);
    t.match(
      refused.stderr,
      /refused client "[^"]+" \(the JWT-bearer grant with the assertion from \/var\/run\/secrets\/helper\/idp\/token\): HTTP 400 invalid_grant/,
    );
    clean(refused, otherTokens);
    const none = await kubectl(sb.bin, app.kubeconfig, ['get', 'apiservicebindings.klutch.anynines.com', '-o', 'name']);
    t.equal(none.stdout.trim(), '', 'nothing was applied to the App Cluster');

    const firstTokens = await projectTokens();
    const first = await run();
    t.equal(first.code, 0, `${first.command}: ${first.stderr}`);
    t.equal(first.stdout, '', "nothing on stdout: the Pod's log holds no all.yaml");
    clean(first, firstTokens);
    t.match(
      first.stderr,
      new RegExp(
        `requesting an access token from 127\\.0\\.0\\.1:\\d+ for client ${hydraClient} \\(JWT-bearer grant ` +
          `from /var/run/secrets/helper/idp/token\\)`,
      ),
      'the log says which credential was used',
    );

    // The result: all.yaml applied to the App Cluster, the provider kubeconfig in its Secret.
    const bindings = await kubectl(sb.bin, app.kubeconfig, [
      'get',
      'apiservicebindings.klutch.anynines.com',
      '-o',
      'name',
    ]);
    t.match(
      bindings.stdout,
      /apiservicebinding\.klutch\.anynines\.com\/postgresqlinstances\.anynines\.com/,
      'the APIServiceBinding is on the App Cluster',
    );
    const secret = await kubectl(sb.bin, app.kubeconfig, [
      'get',
      'secret',
      '-n',
      'klutch-bind',
      'kubeconfig',
      '-o',
      'jsonpath={.data.kubeconfig}',
    ]);
    t.equal(secret.code, 0, secret.stderr);
    const kfg = join(work, 'provider.kfg.yaml');
    writeFileSync(kfg, Buffer.from(secret.stdout, 'base64'), { mode: 0o600 });
    const status = await runCli(['status', '--kubeconfig', kfg, '--ca-file', sb.caFile, '-o', 'json']);
    t.equal(
      status.code,
      0,
      `helper status with the provider kubeconfig from the App Cluster's Secret: ${status.stderr}`,
    );
    const report = JSON.parse(status.stdout || '{}') as { verdict?: string; clusterNamespace?: string };
    t.equal(report.verdict, 'ok');
    const phases = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
      'get',
      'apiserviceexportrequests.klutch.anynines.com',
      '-n',
      report.clusterNamespace ?? '',
      '-o',
      'jsonpath={.items[*].status.phase}',
    ]);
    t.same(phases.stdout.split(/\s+/).filter(Boolean), ['Succeeded'], 'the export request Succeeded');

    // --write-secret: the same two results in the Secret of the management cluster, written with the Job's own API
    // token.
    const [, secretName] = secretRef.split('/') as [string, string];
    const resultSecret = async () =>
      JSON.parse(await mgmt(['get', 'secret', '-n', ns, secretName, '-o', 'json'])) as Obj;
    const written = await resultSecret();
    t.equal(written.type, 'Opaque');
    t.same(
      Object.keys(written.data ?? {}).sort(),
      ['all.yaml', 'provider.kfg.yaml'],
      `Secret ${secretRef} holds both results`,
    );
    t.equal(written.metadata.labels?.['app.kubernetes.io/managed-by'], 'helper');
    t.equal(written.metadata.annotations?.['helper.klutch.anynines.com/cluster-id'], clusterID);
    t.match(first.stderr, new RegExp(`created Secret ${secretRef} on cluster 127\\.0\\.0\\.1:\\d+`));
    t.match(Buffer.from(written.data['all.yaml'] as string, 'base64').toString(), /kind: APIServiceBinding/);
    const kfgFromSecret = join(work, 'provider-from-mgmt.kfg.yaml');
    writeFileSync(kfgFromSecret, Buffer.from(written.data['provider.kfg.yaml'] as string, 'base64'), { mode: 0o600 });
    const status2 = await runCli(['status', '--kubeconfig', kfgFromSecret, '--ca-file', sb.caFile, '-o', 'json']);
    t.equal(
      status2.code,
      0,
      `helper status with the provider kubeconfig from the management cluster's Secret: ${status2.stderr}`,
    );
    t.equal(
      (JSON.parse(status2.stdout || '{}') as { clusterNamespace?: string }).clusterNamespace,
      report.clusterNamespace,
      'the same binding',
    );

    // The Job's retry is a new Pod, for which the kubelet requests a new token.
    const before = await kubectl(sb.bin, app.kubeconfig, [
      'get',
      'secret',
      '-n',
      'klutch-bind',
      'kubeconfig',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ]);
    const againTokens = await projectTokens();
    const again = await run();
    t.equal(again.code, 0, `the retry: ${again.stderr}`);
    clean(again, againTokens);
    const after = await kubectl(sb.bin, app.kubeconfig, [
      'get',
      'secret',
      '-n',
      'klutch-bind',
      'kubeconfig',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ]);
    t.equal(after.stdout, before.stdout, 'the retry left the kubeconfig Secret as it was');
    t.equal(
      (await resultSecret()).metadata.resourceVersion,
      written.metadata.resourceVersion,
      `the retry left Secret ${secretRef} as it was`,
    );
    t.match(again.stderr, new RegExp(`unchanged Secret ${secretRef}`));

    // A Secret of that name that helper did not write for this clusterID: refused by name, nothing changed.
    await mgmt(['delete', 'secret', '-n', ns, secretName]);
    await mgmt(['create', 'secret', 'generic', secretName, '-n', ns, '--from-literal=keep=me']);
    const foreign = await resultSecret();
    await projectTokens();
    const refusedSecret = await run();
    t.equal(refusedSecret.code, 6, `a foreign Secret: ${refusedSecret.stderr}`);
    t.match(
      refusedSecret.stderr,
      new RegExp(
        `Secret ${secretRef} on cluster 127\\.0\\.0\\.1:\\d+ exists and is not this binding's \\(it has no ` +
          `label app\\.kubernetes\\.io/managed-by=helper; it has no annotation ` +
          `helper\\.klutch\\.anynines\\.com/cluster-id\\); helper does not overwrite it`,
      ),
    );
    const untouched = await resultSecret();
    t.equal(untouched.metadata.resourceVersion, foreign.metadata.resourceVersion, 'the foreign Secret is as it was');
    t.same(untouched.data, { keep: Buffer.from('me').toString('base64') });
  },
);
