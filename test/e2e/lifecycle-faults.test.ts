/**
 * status and unbind under faults between helper and the control plane: an
 * unreachable server, a stall past --timeout, 403 on everything and on one
 * kind of deletion (via the loopback fault proxy in front of the real
 * kube-apiserver, TLS verified), and an unbind interrupted while it waits for
 * a claim to be gone. The binding is made by bootstrap-env and create-ns on
 * the sandbox's example-backend; no konnector is needed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startFaultProxy, type Fault } from '../helpers/faults.ts';
import { runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { freePort } from '../sandbox/procs.ts';

const sb = await useSandbox(t);
const dir = t.testdir({});
const CLAIM = 'postgresqlinstances.anynines.com';
const KLUTCH = 'klutch.anynines.com';

async function bind(label: string): Promise<{ kfg: string; ns: string; teamNs: string }> {
  const file = join(dir, `${label}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      clusterID: `${label}-${randomBytes(4).toString('hex')}`,
      apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
    }),
  );
  const kfg = join(dir, `${label}.kfg.yaml`);
  const b = await runCli(
    [
      'bootstrap-env',
      '-f',
      file,
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--write-kubeconfig',
      kfg,
      '--timeout',
      '90s',
    ],
    { env: sb.env },
  );
  if (b.code !== 0) throw new Error(b.stderr);
  const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  const c = await runCli(['create-ns', '--kubeconfig', kfg, '--ca-file', sb.caFile, '-n', 'team-f']);
  if (c.code !== 0) throw new Error(c.stderr);
  const teamNs = c.stdout.trim();
  const cl = await kubectl(
    sb.bin,
    kfg,
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'anynines.com/v1',
      kind: 'PostgresqlInstance',
      metadata: { name: 'db', namespace: teamNs },
      spec: {},
    }),
  );
  if (cl.code !== 0) throw new Error(cl.stderr);
  return { kfg, ns, teamNs };
}

async function viaProxy(
  t: Test,
  kfg: string,
  script: (n: number, method: string, path: string) => Fault,
): Promise<string> {
  const proxy = await startFaultProxy({
    target: sb.controlPlane.server,
    caFile: sb.caFile,
    tls: sb.serverTls,
    script: (n, req) => script(n, req.method ?? '', req.url ?? ''),
  });
  t.teardown(() => proxy.close());
  const f = join(dir, `via-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(f, readFileSync(kfg, 'utf8').replace(/server: .*/, `server: ${proxy.url}`), { mode: 0o600 });
  return f;
}

const forbidden = (what: string): Fault => ({
  status: 403,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: `${what} is forbidden: User "system:serviceaccount:x:klutch-binder" cannot do that`,
    reason: 'Forbidden',
    code: 403,
  }),
});

const b = await bind('lf');

t.test(
  'control plane unreachable: status and unbind exit 6 naming the host; status reports it unreachable',
  async (t) => {
    const port = await freePort();
    const f = join(dir, 'down.yaml');
    writeFileSync(f, readFileSync(b.kfg, 'utf8').replace(/server: .*/, `server: https://127.0.0.1:${port}`), {
      mode: 0o600,
    });
    for (const args of [['status'], ['unbind'], ['unbind', '--purge', '--yes']]) {
      const r = await runCli([...args, '--kubeconfig', f, '--ca-file', sb.caFile, '--retries', '1']);
      t.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`);
      t.match(r.stderr, new RegExp(`cannot reach control plane 127\\.0\\.0\\.1:${port} to .*ECONNREFUSED`));
      if (args[0] === 'status') {
        // issue 24 finding 5: the report anyway, every item marked unreachable.
        t.match(r.stdout, /^unreachable +control-plane +Credential +provider-kubeconfig$/m);
        t.match(r.stdout, /\nverdict: unreachable \(\d+ unreachable\)\n$/);
      } else t.equal(r.stdout, '');
    }
    t.equal(
      (await kubectl(sb.bin, b.kfg, ['get', CLAIM, 'db', '-n', b.teamNs, '-o', 'name'])).stdout.trim(),
      `${CLAIM.replace(/s\.anynines\.com$/, '.anynines.com')}/db`,
      'nothing was deleted',
    );
  },
);

t.test('a control plane that stalls: status ends at --timeout with exit 7', async (t) => {
  const f = await viaProxy(t, b.kfg, () => 'stall');
  const r = await runCli(['status', '--kubeconfig', f, '--ca-file', sb.caFile, '--timeout', '3s']);
  t.equal(r.code, 7, r.stderr);
  t.match(r.stderr, /status did not finish within 3s \(--timeout\)/);
  t.ok(r.ms < 15_000, `${r.ms} ms`);
  t.equal(r.stdout, '');
});

t.test(
  '403 on everything: status reports each item unreadable (not missing), exit 6; unbind refuses before any ' +
    'change, exit 3',
  async (t) => {
    const f = await viaProxy(t, b.kfg, (_n, _m, path) => forbidden(path));
    const r = await runCli(['status', '--kubeconfig', f, '--ca-file', sb.caFile, '-o', 'json']);
    t.equal(r.code, 6, r.stderr);
    const rep = JSON.parse(r.stdout) as {
      verdict: string;
      items: Array<{ kind: string; verdict: string; message: string }>;
    };
    t.equal(rep.verdict, 'unknown');
    t.notOk(
      rep.items.some((i) => i.verdict === 'missing'),
      'nothing reported missing',
    );
    for (const k of [
      'Namespace',
      'ClusterBinding',
      'APIServiceExportRequest',
      'APIServiceExport',
      'APIServiceNamespace',
    ]) {
      t.match(
        rep.items.find((i) => i.kind === k),
        { verdict: 'unreadable', message: /the kubeconfig may not read this: .*\(403 Forbidden\)/ },
        k,
      );
    }
    t.match(r.stderr, /error: binding \S+ cannot be judged: the kubeconfig may not read Namespace/);
    // unbind first reads the ClusterBinding to make sure this is a binding's namespace: refused, it changes nothing.
    const u = await runCli(['unbind', '--kubeconfig', f, '--ca-file', sb.caFile]);
    t.equal(u.code, 3, u.stderr);
    t.match(
      u.stderr,
      /cannot tell whether namespace \S+ \(the kubeconfig's context namespace\) on control plane 127\.0\.0\.1:\d+ is a binding's cluster namespace: the kubeconfig may not read its ClusterBinding \(403\); nothing was changed/,
    );
    t.equal(u.stdout, '');
  },
);

t.test(
  '403 on deleting APIServiceNamespaces: the purge deletes the claims, names the refusal, exit 6; the next ' +
    'run finishes',
  async (t) => {
    const c = await bind('lf403');
    const f = await viaProxy(t, c.kfg, (_n, method, path) =>
      method === 'DELETE' && path.includes('/apiservicenamespaces/') ? forbidden('apiservicenamespaces') : 'forward',
    );
    const r = await runCli(['unbind', '--kubeconfig', f, '--ca-file', sb.caFile, '--purge', '--yes']);
    t.equal(r.code, 6, r.stderr);
    t.match(r.stdout, new RegExp(`^deleted +control-plane +PostgresqlInstance +${c.teamNs}/db`, 'm'));
    t.match(
      r.stdout,
      new RegExp(
        `^refused +control-plane +APIServiceNamespace +${c.ns}/team-f\\s+control plane 127\\.0\\.0\\.1:\\d+ ` +
          `refused to ` +
          'delete APIServiceNamespace',
        'm',
      ),
    );
    t.match(
      r.stderr,
      new RegExp(
        `error: unbind of ${c.ns} is incomplete: the kubeconfig's RBAC refused APIServiceNamespace ${c.ns}` +
          `/team-f \\(control plane\\); these remain`,
      ),
    );
    t.equal(
      (
        await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
          'get',
          `apiservicenamespaces.${KLUTCH}`,
          'team-f',
          '-n',
          c.ns,
          '-o',
          'name',
        ])
      ).code,
      0,
      'the APIServiceNamespace remains',
    );
    const again = await runCli(['unbind', '--kubeconfig', c.kfg, '--ca-file', sb.caFile, '--purge', '--yes']);
    t.equal(again.code, 0, again.stderr);
    t.match(again.stdout, new RegExp(`^deleted +control-plane +APIServiceNamespace +${c.ns}/team-f`, 'm'));
  },
);

t.test(
  'interrupted mid-unbind (SIGINT while a claim is still being deleted): exit 130, says what remains; ' +
    're-running finishes',
  async (t) => {
    const c = await bind('lfint');
    // A finalizer keeps the claim in deletion, as Crossplane does while it deprovisions the data service.
    const fin = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
      'patch',
      CLAIM,
      'db',
      '-n',
      c.teamNs,
      '--type=merge',
      '-p',
      JSON.stringify({ metadata: { finalizers: ['test.helper/hold'] } }),
    ]);
    t.equal(fin.code, 0, fin.stderr);
    let sent = false;
    // -v: the per-action progress lines (without it unbind prints only its report, at the end).
    const r = await runCli(
      ['unbind', '--kubeconfig', c.kfg, '--ca-file', sb.caFile, '--purge', '--yes', '--timeout', '2m', '-v'],
      {
        onStderr: (s, child) => {
          if (!sent && /deleted PostgresqlInstance/.test(s)) {
            sent = true;
            setTimeout(() => child.kill('SIGINT'), 1500);
          }
        },
      },
    );
    t.ok(sent, 'the claim was deleted before the signal');
    t.equal(r.code, 130, r.stderr);
    t.match(
      r.stderr,
      new RegExp(
        `unbind of ${c.ns} stopped: done APIServiceExportRequest ${c.ns}/${CLAIM.replace(/\./g, '\\.')} ` +
          `\\(control plane\\), PostgresqlInstance ${c.teamNs}/db \\(control plane\\); remains ` +
          `APIServiceNamespace ${c.ns}/team-f \\(control plane\\); re-running the same command continues`,
      ),
    );
    t.equal(r.stdout, '');
    t.equal(
      (
        await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
          'get',
          `apiservicenamespaces.${KLUTCH}`,
          'team-f',
          '-n',
          c.ns,
          '-o',
          'name',
        ])
      ).code,
      0,
      'the APIServiceNamespace was not deleted over a claim still there',
    );
    const un = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
      'patch',
      CLAIM,
      'db',
      '-n',
      c.teamNs,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    t.equal(un.code, 0, un.stderr);
    const again = await runCli(['unbind', '--kubeconfig', c.kfg, '--ca-file', sb.caFile, '--purge', '--yes']);
    t.equal(again.code, 0, again.stderr);
    t.match(again.stdout, new RegExp(`^deleted +control-plane +APIServiceNamespace +${c.ns}/team-f`, 'm'));
    t.notMatch(again.stdout, /PostgresqlInstance/, 'the claim is gone: nothing left to delete of it');
  },
);

t.test(
  'kubeconfig conventions: status reads $KUBECONFIG and --context; unbind needs --kubeconfig named (exit 2) ' +
    'and refuses a non-binding namespace (exit 3)',
  async (t) => {
    const s = await runCli(['status', '--ca-file', sb.caFile, '--context', 'default', '-o', 'json'], {
      env: { KUBECONFIG: b.kfg },
    });
    t.equal(s.code, 0, s.stderr);
    t.equal((JSON.parse(s.stdout) as { clusterNamespace: string }).clusterNamespace, b.ns);
    const bad = await runCli(['status', '--ca-file', sb.caFile, '--context', 'nope'], { env: { KUBECONFIG: b.kfg } });
    t.equal(bad.code, 3, bad.stderr);
    t.match(bad.stderr, /--context "nope" is not a context of kubeconfig/);
    const u = await runCli(['unbind', '--ca-file', sb.caFile], { env: { KUBECONFIG: b.kfg } });
    t.equal(u.code, 2, u.stderr);
    t.match(u.stderr, /kubeconfig/);
    t.equal(u.stdout, '');
    // The same credential pointed at another namespace (one without a ClusterBinding): refused before any change.
    const other = join(dir, 'other-ns.yaml');
    writeFileSync(other, readFileSync(b.kfg, 'utf8').replace(/namespace: .*/, `namespace: ${b.teamNs}`), {
      mode: 0o600,
    });
    const n = await runCli(['unbind', '--kubeconfig', other, '--ca-file', sb.caFile, '--purge', '--yes']);
    t.equal(n.code, 3, n.stderr);
    // (The binder may not even read ClusterBindings there.)
    t.match(
      n.stderr,
      new RegExp(
        `whether namespace ${b.teamNs} .* is a binding's cluster namespace: the kubeconfig may not read its ` +
          `ClusterBinding \\(403\\); nothing was changed`,
      ),
    );
    t.equal(
      (await kubectl(sb.bin, b.kfg, ['get', CLAIM, 'db', '-n', b.teamNs, '-o', 'name'])).code,
      0,
      'the claim is still there',
    );
  },
);
