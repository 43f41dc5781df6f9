/**
 * issue 24, findings 1, 3, 5 and 6, on Klutch v1.4.0's own controllers (the
 * sandbox's example-backend, the real konnector against an App Cluster), in
 * the order a binding lives:
 *
 *   bind + create-ns team-a + a claim, App Cluster with all.yaml and the
 *   konnector, the claim copied there →
 *   5. status --app-kubeconfig <dead>: the control-plane half still on stdout
 *      (text and JSON), the App Cluster marked unreachable, exit 6 →
 *   3. konnector stopped: status does not claim "a konnector is connected" →
 *   1. unbind (no --delete-crds), then the re-bind hint followed on the same
 *      App Cluster: apply --wait-bindings and status end ok →
 *   6. unbind --purge --yes: the report names the claim copies left on the
 *      App Cluster and how to remove them →
 *   3. status after the purge is not ok (exit 12, missing parts).
 *
 * Each was first written against the code before issue 24's fixes and seen
 * failing there (the closing note lists the failures). Wording is matched
 * loosely (the essential words); exit codes and stdout structure exactly.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import type { Konnector } from '../sandbox/klutch.ts';
import { eventually } from '../helpers/poll.ts';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, konnector, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const root = t;
const CLAIM = 'postgresqlinstances.anynines.com';
const dir = t.testdir({});
/** A table's rows with their wrapped detail lines (indented four spaces) joined back on. */
const logicalLines = (text: string): string[] =>
  text.split('\n').reduce<string[]>((out, l) => {
    if (/^ {4}\S/.test(l) && out.length) out[out.length - 1] += ` ${l.trim()}`;
    else out.push(l);
    return out;
  }, []);

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

const bindingFile = join(dir, 'truth.binding.json');
const clusterID = `truth-${randomBytes(4).toString('hex')}`;
const apis = [{ group: 'anynines.com', resource: 'postgresqlinstances' }];
writeFileSync(bindingFile, JSON.stringify({ clusterID, apis }));
const kfg = join(dir, 'provider.kfg.yaml');
const all = join(dir, 'all.yaml');
const bootstrapArgs = [
  'bootstrap-env',
  '-f',
  bindingFile,
  '-u',
  sb.bindUrl,
  '--ca-file',
  sb.caFile,
  '--write-kubeconfig',
  kfg,
  '--output-file',
  all,
  '--timeout',
  '90s',
];
const status = (extra: string[]): Promise<CliResult> =>
  runCli(['status', '--kubeconfig', kfg, '--ca-file', sb.caFile, ...extra]);
const unbind = (extra: string[]): Promise<CliResult> =>
  runCli(['unbind', '--kubeconfig', kfg, '--ca-file', sb.caFile, ...extra]);

interface Item {
  side: string;
  kind: string;
  name: string;
  namespace?: string;
  verdict: string;
  message: string;
}
interface Report {
  verdict: string;
  items: Item[];
}

/** A row of the text table (VERDICT SIDE KIND NAME DETAIL) with its detail, also from the indented lines below it. */
function row(
  stdout: string,
  side: string,
  kind: string,
  name: RegExp,
): { verdict: string; detail: string } | undefined {
  const lines = stdout.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const [verdict, s, k, nm, ...rest] = lines[n]!.split(/ +/);
    if (s !== side || k !== kind || !name.test(nm ?? '')) continue;
    const more: string[] = [];
    for (let m = n + 1; m < lines.length && lines[m]!.startsWith('    '); m++) more.push(lines[m]!.trim());
    return { verdict: verdict!, detail: [...rest, ...more].join(' ') };
  }
  return undefined;
}

let clusterNs = '';
let teamNs = '';
let app: Cluster;
let k1: Konnector | undefined;

t.test('setup: bound, a claim, the App Cluster with all.yaml and the konnector, the claim copied there', async (t) => {
  const b = await runCli(bootstrapArgs, { env: sb.env });
  t.equal(b.code, 0, b.stderr);
  clusterNs = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  const ns = await runCli(['create-ns', '--kubeconfig', kfg, '-n', 'team-a', '--ca-file', sb.caFile]);
  t.equal(ns.code, 0, ns.stderr);
  teamNs = ns.stdout.trim();
  const made = await kubectl(sb.bin, kfg, ['create', '-f', '-'], claim('early', teamNs));
  t.equal(made.code, 0, 'a claim on the control plane');
  app = await extraCluster(root, sb, 'truth');
  t.equal((await kubectl(sb.bin, app.kubeconfig, ['create', 'namespace', 'team-a'])).code, 0);
  const ap = await runCli(['apply', '-f', all, '--kubeconfig', app.kubeconfig]);
  t.equal(ap.code, 0, ap.stderr);
  k1 = await konnector(root, sb, app);
  const w = await runCli(['apply', '-f', all, '--kubeconfig', app.kubeconfig, '--wait-bindings', '90s']);
  t.equal(w.code, 0, w.stderr);
  await eventually(t, 'the claim copied to the App Cluster', 90_000, async () => {
    const v = await get(app.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], '{.spec.plan}');
    return v === 'plan-early' ? { value: v, seen: v } : { seen: v };
  });
  const ok = await eventually(t, 'status exit 0', 60_000, async () => {
    const r = await status(['--app-kubeconfig', app.kubeconfig]);
    return r.code === 0 ? { value: r, seen: '' } : { seen: `exit ${r.code}: ${r.stdout}` };
  });
  t.ok(ok, 'healthy before the findings');
});

t.test(
  'finding 5: status --app-kubeconfig <dead>: the control-plane half on stdout, the App Cluster marked ' +
    'unreachable, exit 6',
  async (t) => {
    // The App Cluster's kubeconfig, pointing at a port nothing listens on.
    const dead = join(dir, 'dead-app.kubeconfig');
    const deadText = readFileSync(app.kubeconfig, 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      'server: https://127.0.0.1:9',
    );
    writeFileSync(dead, deadText, { mode: 0o600 });
    const args = ['--app-kubeconfig', dead, '--retries', '0', '--request-timeout', '5s'];
    const text = await status(args);
    t.equal(text.code, 6, text.stderr);
    // The one table (finding 12): VERDICT SIDE KIND NAME DETAIL, the side one word.
    const cpLine = (what: string) => new RegExp(`^ok +control-plane +${what}`, 'm');
    t.match(text.stdout, cpLine(`ClusterBinding +${clusterNs}/cluster\\b`), 'the control-plane half is on stdout');
    const exportLine = cpLine(`APIServiceExport +${clusterNs}/${CLAIM.replace(/\./g, '\\.')}`);
    t.match(text.stdout, exportLine, 'with the export');
    t.match(
      text.stdout,
      /^unreachable +app-cluster +Deployment +klutch-bind\/konnector$/m,
      'the App Cluster unreachable',
    );
    t.match(text.stdout, /^ {4}cannot reach App Cluster 127\.0\.0\.1:9/m, 'and why');
    t.match(text.stdout, /^verdict: unreachable \(\d+ unreachable\)$/m, 'and a verdict line');
    t.ok(text.ms < 15_000, `within 15 s (--retries 0): ${text.ms} ms`);
    t.match(text.stderr, /127\.0\.0\.1:9/, 'stderr names the unreachable server');

    const json = await status([...args, '-o', 'json']);
    t.equal(json.code, 6, json.stderr);
    let rep: Report | undefined;
    try {
      rep = JSON.parse(json.stdout) as Report;
    } catch {
      rep = undefined;
    }
    t.ok(rep, '-o json prints a report');
    t.equal(rep?.verdict, 'unreachable', 'its verdict');
    const items = rep?.items ?? [];
    const cb = (i: Item) => i.side === 'control-plane' && i.kind === 'ClusterBinding';
    t.ok(items.some(cb), 'with the control-plane items');
    const unreachable = (i: Item) => i.side === 'app-cluster' && /unreachable/i.test(`${i.verdict} ${i.message}`);
    t.ok(items.some(unreachable), 'and the App Cluster marked unreachable');
    t.same(jwtsIn(text.stdout + text.stderr + json.stdout + json.stderr), [], 'no token printed');
  },
);

t.test('finding 3: with the konnector stopped, status does not claim a connection it cannot see', async (t) => {
  await k1?.stop();
  const r = await status(['--app-kubeconfig', app.kubeconfig]);
  t.match(r.stdout, /last heartbeat \d+s ago/, "what it knows: the heartbeat's age");
  t.notMatch(r.stdout, /konnector is connected/i, 'no "a konnector is connected" wording');
  t.match(row(r.stdout, 'control-plane', 'ClusterBinding', /\/cluster$/), {
    verdict: 'ok',
    detail: /^last heartbeat \d+s ago, within twice the interval/,
  });
  // The konnector's own state on the App Cluster: its Lease is not renewed (the heartbeat stays fresh for minutes).
  const lease = row(r.stdout, 'app-cluster', 'Lease', /^klutch-bind\/klutch-bind$/);
  t.match(lease, { verdict: 'degraded', detail: /no konnector runs/ }, 'the Lease says so');
  t.equal(r.code, 11, `not ok on the App Cluster side: exit 11 (degraded): ${r.stdout}`);
  const json = await status(['--app-kubeconfig', app.kubeconfig, '-o', 'json']);
  t.notMatch(json.stdout, /konnector is connected/i, 'nor in JSON');
  t.equal((JSON.parse(json.stdout) as Report).verdict, 'degraded', 'JSON verdict degraded');
});

t.test(
  'finding 1: unbind without --delete-crds, then its re-bind hint followed on the same App Cluster: ' + 'bound and ok',
  async (t) => {
    const u = await unbind(['--app-kubeconfig', app.kubeconfig]);
    t.equal(u.code, 0, u.stderr);
    const hints = (u.stdout + u.stderr).split('\n').filter((l) => /^\S*\s*hint.*re-bind/i.test(l));
    t.ok(hints.length, `unbind prints a re-bind hint: ${JSON.stringify(hints)}`);
    // Finding 8: each thing in one place: the report on stdout, the hints on stderr, no progress lines without -v.
    t.notMatch(u.stdout, /^hint:/m, 'finding 8: no hint line on stdout (only the report)');
    t.match(u.stderr, /^hint: to re-bind/m, 'finding 8: the hints on stderr');
    t.notMatch(u.stderr, /^(deleted|unmarked|marked) /m, 'finding 8: no progress line per action on stderr without -v');
    t.match(
      u.stdout,
      /^deleted +app-cluster +Deployment +klutch-bind\/konnector/m,
      'finding 8: the action in the report',
    );
    t.match(hints.join('\n'), /same App Cluster/i, 'the hint says what to do on the same App Cluster');
    // A kept CRD helper cannot prove is the binding's (its unbind record removed): apply stops before anything is
    // applied (exit 6, not a wait for ForeignCustomResourceDefinition), naming it; following its advice restores it.
    const ORPHANED = 'helper.klutch.anynines.com/orphaned-from';
    t.equal((await kubectl(sb.bin, app.kubeconfig, ['annotate', 'crd', CLAIM, `${ORPHANED}-`])).code, 0);
    const started = Date.now();
    const foreign = await runCli(['apply', '-f', all, '--kubeconfig', app.kubeconfig, '--wait-bindings', '60s']);
    t.equal(foreign.code, 6, `a foreign bound CRD: exit 6 at once: ${foreign.stderr}`);
    t.ok(Date.now() - started < 30_000, 'before any wait');
    t.match(
      foreign.stderr,
      new RegExp(`CustomResourceDefinition ${CLAIM.replace(/\./g, '\\.')}: no APIServiceBinding`),
    );
    t.match(foreign.stderr, /ForeignCustomResourceDefinition.*nothing was applied/);
    t.match(
      await get(app.kubeconfig, ['deployment', '-n', 'klutch-bind', 'konnector'], '{.metadata.name}'),
      /NotFound/,
    );
    const advice = /`(kubectl annotate crd [^`]+)`/.exec(foreign.stderr)?.[1] ?? '';
    t.match(advice, `kubectl annotate crd ${CLAIM} ${ORPHANED}=${clusterNs}`, 'the advice names the record to write');
    t.equal((await kubectl(sb.bin, app.kubeconfig, advice.split(/\s+/).slice(1))).code, 0, 'following it');

    // The hint's commands, in backticks, run in order: bootstrap-env is this binding's own command (the hint cannot
    // know
    // the binding file or URL), `all.yaml` is the file bootstrap-env wrote, the App Cluster is the one unbind was
    // given.
    const commands = [...hints.join('\n').matchAll(/`((?:helper|kubectl) [^`]+)`/g)].map((m) => m[1]!);
    const named = `the hint names the commands to run: ${JSON.stringify(commands)}`;
    t.ok(
      commands.some((c) => c.startsWith('helper apply')),
      named,
    );
    // Today's hint is prose: "bootstrap-env with the same clusterID, then helper apply all.yaml".
    const fallback = ['helper bootstrap-env', `helper apply -f all.yaml --kubeconfig ${app.kubeconfig}`];
    if (!commands.length) commands.push(...fallback);
    if (!commands.some((c) => c.startsWith('helper bootstrap-env'))) commands.unshift('helper bootstrap-env');
    let applyRun: CliResult | undefined;
    for (const c of commands) {
      const words = c.split(/\s+/).map((w) => (w === 'all.yaml' ? all : w));
      if (words[1] === 'bootstrap-env') {
        const b = await runCli(bootstrapArgs, { env: sb.env });
        t.equal(b.code, 0, `re-bind: ${b.stderr}`);
      } else if (words[0] === 'helper') {
        const target = words.includes('--kubeconfig') ? [] : ['--kubeconfig', app.kubeconfig];
        const r = await runCli([...words.slice(1), ...target]);
        t.equal(r.code, 0, `${c}: ${r.stderr}`);
        if (words[1] === 'apply') applyRun = r;
      } else {
        const args = words.slice(1).filter((w, i, a) => w !== '--kubeconfig' && a[i - 1] !== '--kubeconfig');
        const r = await kubectl(sb.bin, app.kubeconfig, args);
        t.equal(r.code, 0, `${c}: ${r.stderr}`);
      }
    }
    t.ok(applyRun, 'all.yaml applied to the same App Cluster');
    await konnector(t, sb, app);
    const w = await runCli(['apply', '-f', all, '--kubeconfig', app.kubeconfig, '--wait-bindings', '60s']);
    t.equal(w.code, 0, `apply --wait-bindings after following the hint: ${w.stderr.slice(-1500)}`);
    t.notMatch(w.stderr, /ForeignCustomResourceDefinition/, 'no foreign CRD');
    // Not eventually(): its timeout is a plain failure, and this is the todo.
    let s: CliResult | undefined;
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 2000))) {
      s = await status(['--app-kubeconfig', app.kubeconfig]);
      if (s.code === 0) break;
    }
    t.equal(s?.code, 0, `status exit 0 after the re-bind (within 30s): ${s?.stdout}`);
    const plan = '{.spec.plan}';
    t.equal(await get(app.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], plan), 'plan-early', 'the copy stays');
    t.equal(await get(sb.controlPlane.kubeconfig, [CLAIM, 'early', '-n', teamNs], plan), 'plan-early', 'and the claim');
  },
);

t.test('finding 6 and 3: unbind --purge --yes names what stays on the App Cluster; then status not ok', async (t) => {
  const u = await unbind(['--app-kubeconfig', app.kubeconfig, '--purge', '--yes']);
  t.equal(u.code, 0, u.stderr);
  const name = '{.metadata.name}';
  const onCp = await get(sb.controlPlane.kubeconfig, [CLAIM, 'early', '-n', teamNs], name);
  t.match(onCp, /^error: .*NotFound/, 'the claim is gone on the control plane');
  t.equal(await get(app.kubeconfig, [CLAIM, 'early', '-n', 'team-a'], name), 'early', 'its copy stays (App Cluster)');
  // One line names the copy and says it stays (today's report lists it only for its finalizer removal).
  const copy = 'PostgresqlInstance\\s+team-a/early';
  const stays = new RegExp(`(stay|left|remain|kept).*${copy}|${copy}.*(stay|left|remain|kept)`, 'i');
  t.ok(
    logicalLines(u.stdout).some((l) => stays.test(l)),
    'the report names the claim copy left on the App Cluster',
  );
  // The command runs on the App Cluster: its namespace team-a (not the control plane's), or the CRD.
  const onApp = (l: string) => /\bcrd\b/.test(l) || /(-n|--namespace)[ =]team-a\b|\s-A\b|--all-namespaces/.test(l);
  const removes = (l: string) => /kubectl .*delete/.test(l) && l.includes(CLAIM) && onApp(l);
  t.ok(logicalLines(u.stdout).some(removes), 'and how to remove it (kubectl delete of the copies or the CRD)');

  const s = await status([]);
  t.equal(s.code, 12, `status after the purge: exit 12, not ok: ${s.stdout}`);
  t.notMatch(s.stdout, /^verdict: ok$/m, 'no "verdict: ok"');
  t.match(row(s.stdout, 'control-plane', 'APIServiceNamespace', /\/\*$/), { verdict: 'missing', detail: /^unbound: / });
  const sj = await status(['-o', 'json']);
  t.equal((JSON.parse(sj.stdout || '{}') as Report).verdict, 'missing', 'JSON verdict missing');
});
