/**
 * The provider kubeconfig is rebuilt, never passed through (issue 20,
 * findings 1 and 2), end to end on the sandbox's real servers:
 *
 * - a normal binding writes a kubeconfig (the --write-kubeconfig file and
 *   the konnector's Secret in all.yaml) that the sandbox's real kubectl
 *   (client-go's loader, as the konnector's) loads and uses, and that holds
 *   nothing outside the allow-list;
 * - a hostile kubeconfig in the real backend's answer (a fault proxy
 *   rewrites the BindingResponse the reference backend sent) ends with
 *   exit 5 naming the field by its path: nothing written, no export request
 *   created on the control plane, nothing applied to the --apply-to cluster.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { startFaultProxy } from '../helpers/faults.ts';
import { jwtsIn, runCli } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';

const sb = await useSandbox(t);

/** The allow-list, written out here independently of src/kube/binding-kubeconfig.ts. */
const ALLOWED: Record<string, readonly string[]> = {
  '': ['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context'],
  'clusters[]': ['name', 'cluster'],
  'clusters[].cluster': ['server', 'certificate-authority-data'],
  'users[]': ['name', 'user'],
  'users[].user': ['token', 'client-certificate-data', 'client-key-data'],
  'contexts[]': ['name', 'context'],
  'contexts[].context': ['cluster', 'user', 'namespace'],
};

/** Every key path of a parsed kubeconfig that the allow-list does not name. */
function outsideAllowList(doc: unknown, at = ''): string[] {
  if (Array.isArray(doc)) return doc.flatMap((x) => outsideAllowList(x, `${at}[]`));
  if (typeof doc !== 'object' || doc === null) return [];
  return Object.entries(doc).flatMap(([k, v]) =>
    ALLOWED[at]?.includes(k) ? outsideAllowList(v, at ? `${at}.${k}` : k) : [at ? `${at}.${k}` : k],
  );
}

function bindingFile(dir: string, prefix: string): string {
  const f = join(dir, 'binding.json');
  writeFileSync(
    f,
    JSON.stringify({
      clusterID: `${prefix}-${randomBytes(4).toString('hex')}`,
      apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
    }),
  );
  return f;
}

t.test(
  'a normal binding: the kubeconfig file and the Secret load with client-go (kubectl), work, and hold only ' +
    'the allow-list',
  async (t) => {
    const dir = t.testdir({});
    const kfg = join(dir, 'provider.kfg.yaml');
    const all = join(dir, 'all.yaml');
    const r = await runCli(
      [
        'bootstrap-env',
        '-f',
        bindingFile(dir, 'kfg'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--no-wait',
        '--write-kubeconfig',
        kfg,
        '--output-file',
        all,
      ],
      { env: sb.env },
    );
    t.equal(r.code, 0, r.stderr);
    const secret = parseAllDocuments(readFileSync(all, 'utf8'))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> })
      .find((o) => o.kind === 'Secret' && o.metadata?.name === 'kubeconfig')!;
    const fromSecret = join(dir, 'secret.kfg.yaml');
    writeFileSync(fromSecret, Buffer.from(secret.data!.kubeconfig!, 'base64'), { mode: 0o600 });
    t.equal(
      readFileSync(fromSecret, 'utf8'),
      readFileSync(kfg, 'utf8'),
      'the Secret holds the same document as the file',
    );

    for (const [what, file] of [
      ['--write-kubeconfig', kfg],
      ['the Secret klutch-bind/kubeconfig', fromSecret],
    ] as const) {
      t.same(outsideAllowList(parse(readFileSync(file, 'utf8'))), [], `${what}: nothing outside the allow-list`);
      const view = await kubectl(sb.bin, file, ['config', 'view', '--raw', '-o', 'json']);
      t.equal(view.code, 0, `${what}: client-go loads it (${view.stderr})`);
      const cfg = JSON.parse(view.stdout) as {
        clusters: Array<{ cluster: Record<string, unknown> }>;
        users: Array<{ user: Record<string, unknown> }>;
        contexts: Array<{ context: { namespace?: string } }>;
      };
      t.same(Object.keys(cfg.users[0]!.user).sort(), ['token'], `${what}: client-go sees a token and nothing else`);
      t.same(
        Object.keys(cfg.clusters[0]!.cluster).sort(),
        ['certificate-authority-data', 'server'],
        `${what}: and a server with its CA`,
      );
      t.match(cfg.contexts[0]!.context.namespace, /^cluster-/, `${what}: and the cluster namespace`);
      const version = await kubectl(sb.bin, file, ['get', '--raw', '/version']);
      t.equal(version.code, 0, `${what}: a real call with it works (${version.stderr})`);
      const who = await kubectl(sb.bin, file, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      t.equal(who.code, 0, who.stderr);
      t.match(who.stdout, /^system:serviceaccount:cluster-[^:]+:/, `${what}: as the binding's ServiceAccount`);
    }
  },
);

/** Edits of the reference backend's kubeconfig text (as it writes it: block YAML, `token:` and `server:` lines). */
const afterToken = (line: string) => (k: string) => k.replace(/^(\s+)(token: .*)$/m, `$1$2\n$1${line}`);
const afterServer = (line: string) => (k: string) => k.replace(/^(\s+)(server: .*)$/m, `$1$2\n$1${line}`);
const insteadOfToken = (line: string) => (k: string) => k.replace(/^(\s+)token: .*$/m, `$1${line}`);

const HOSTILE: Array<[string, (kubeconfig: string) => string, string]> = [
  [
    'tokenFile (client-go reads it, and it wins over token)',
    afterToken('tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token'),
    'users[0].user.tokenFile',
  ],
  [
    'a merge key carrying exec',
    afterToken(
      '<<: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, "touch /tmp/pwned"]}}',
    ),
    'users[0].user.<<',
  ],
  [
    'a merge key carrying tokenFile',
    afterToken('<<: {tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}'),
    'users[0].user.<<',
  ],
  [
    'insecure-skip-tls-verify',
    afterServer('insecure-skip-tls-verify: true'),
    'clusters[0].cluster.insecure-skip-tls-verify',
  ],
  ['an http:// server', (k) => k.replace(/server: https:/, 'server: http:'), 'clusters[0].cluster.server'],
  ['proxy-url', afterServer('proxy-url: http://127.0.0.1:3128'), 'clusters[0].cluster.proxy-url'],
  ['tls-server-name', afterServer('tls-server-name: evil.example'), 'clusters[0].cluster.tls-server-name'],
  ['impersonation (as)', afterToken('as: system:admin'), 'users[0].user.as'],
  ['impersonation (as-groups)', afterToken('as-groups: [system:masters]'), 'users[0].user.as-groups'],
  [
    'exec',
    insteadOfToken('exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}'),
    'users[0].user.exec',
  ],
  [
    'auth-provider',
    afterToken('auth-provider: {name: oidc, config: {idp-issuer-url: "https://127.0.0.1:1"}}'),
    'users[0].user.auth-provider',
  ],
  ['token-file', insteadOfToken('token-file: /etc/hostname'), 'users[0].user.token-file'],
];

t.test(
  "a hostile kubeconfig in the backend's answer: exit 5 naming the field; nothing written, created or applied",
  async (t) => {
    const app = await extraCluster(t, sb, 'hostile-app');
    for (const [what, edit, path] of HOSTILE) {
      let namespace = '';
      const proxy = await startFaultProxy({
        target: new URL(sb.bindUrl).origin,
        caFile: sb.caFile,
        tls: sb.serverTls,
        script: () => ({
          rewrite: (body) => {
            const res = JSON.parse(body.toString('utf8')) as { kubeconfig: string };
            const given = Buffer.from(res.kubeconfig, 'base64').toString('utf8');
            namespace = /namespace: (\S+)/.exec(given)![1]!;
            const hostile = edit(given);
            if (hostile === given)
              throw new Error(`${what}: the edit changed nothing in ${given.replace(/token: .*/, 'token: …')}`);
            return Buffer.from(JSON.stringify({ ...res, kubeconfig: Buffer.from(hostile).toString('base64') }));
          },
        }),
      });
      const dir = t.testdir({});
      const r = await runCli(
        [
          'bootstrap-env',
          '-f',
          bindingFile(dir, 'hostile'),
          '-u',
          `${proxy.url}/bind-noninteractive`,
          '--ca-file',
          sb.caFile,
          '--write-kubeconfig',
          join(dir, 'k.yaml'),
          '--output-file',
          join(dir, 'all.yaml'),
          '--apply-to',
          app.kubeconfig,
        ],
        { env: sb.env },
      );
      await proxy.close();
      t.equal(r.code, 5, `${what}: exit 5 (${r.stderr})`);
      t.match(
        r.stderr,
        `error: the kubeconfig in the backend's BindingResponse is unusable:\n  - ${path}: `,
        `${what}: names ${path}`,
      );
      t.equal(r.stdout, '', `${what}: nothing on stdout`);
      t.same(readdirSync(dir), ['binding.json'], `${what}: no file written`);
      t.same(jwtsIn(r.stderr), [], `${what}: no token on stderr`);
      t.ok(namespace, `${what}: the real backend bound cluster namespace ${namespace}`);
      const requests = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
        'get',
        'apiserviceexportrequests.klutch.anynines.com',
        '-n',
        namespace,
        '-o',
        'name',
      ]);
      t.equal(requests.code, 0, requests.stderr);
      t.equal(requests.stdout, '', `${what}: no export request created in ${namespace}`);
    }
    const ns = await kubectl(sb.bin, app.kubeconfig, ['get', 'namespace', 'klutch-bind']);
    t.not(ns.code, 0, 'nothing applied to the --apply-to cluster (no namespace klutch-bind)');
    const crds = await kubectl(sb.bin, app.kubeconfig, ['get', 'crd', '-o', 'name']);
    t.notMatch(crds.stdout, /klutch\.anynines\.com/, 'and no klutch CRD');
  },
);
