/**
 * `npm run demo` as a user runs it (test/demo.ts, with a sandbox of its own):
 * it exits 0 and tells a binding's whole life on the real konnector and
 * example-backend: bind, claims both ways, status of the healthy binding,
 * the App Cluster abandoned and unbind keeping the claims, a re-bind onto a
 * fresh App Cluster that brings the kept claims back, and its status.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/run-cli.ts';

const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
  // As a user runs it: `env -u` drops the hooks tap adds to its children's NODE_OPTIONS (as run-cli.ts does).
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, join(repoRoot, 'test', 'demo.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  // Bounded: the demo takes about a minute; a stuck one is ended by its PID (it stops its own sandbox on SIGTERM).
  const timer = setTimeout(() => child.kill('SIGTERM'), 8 * 60_000);
  child.on('close', (c) => {
    clearTimeout(timer);
    resolve({ code: c, stderr: err });
  });
});

t.equal(code, 0, `npm run demo exits 0${code === 0 ? '' : `; its end:\n${stderr.slice(-3000)}`}`);
/** The demo's output from step `n` up to the next step. */
const step = (n: number): string => {
  const from = stderr.indexOf(`demo: ${n}. `);
  const to = stderr.indexOf('demo: ', from + 1);
  return from < 0 ? '' : stderr.slice(from, to < 0 ? undefined : to);
};
for (let n = 1; n <= 13; n++) t.not(step(n), '', `step ${n} is shown`);

t.test('10: the healthy binding, both halves, verdict ok', async (t) => {
  const s = step(10);
  t.match(s, /\$ helper status --kubeconfig \S+provider\.kfg\.yaml --app-kubeconfig /);
  t.match(s, /^ok +control-plane +ClusterBinding /m);
  t.match(s, /^ok +app-cluster +APIServiceBinding +postgresqlinstances\.anynines\.com(\s|$)/m);
  t.match(s, /^verdict: ok$/m);
});

t.test('11: the App Cluster abandoned, unbind keeps and lists both claims', async (t) => {
  const s = step(11);
  t.match(s, /\$ helper unbind --kubeconfig \S+provider\.kfg\.yaml/);
  t.notMatch(/\$ helper unbind .*/.exec(s)?.[0] ?? '', /--purge/, 'unbind without --purge');
  for (const name of ['orders-db', 'billing-db'])
    t.match(
      s,
      new RegExp(`^(kept|unmarked) +control-plane +PostgresqlInstance +\\S+/${name}(\\s|$)`, 'm'),
      `${name} kept`,
    );
  t.match(s, /^orders-db +\S+$/m, 'orders-db still on the control plane');
  t.match(s, /^billing-db +\S+$/m, 'billing-db still on the control plane');
});

t.test('12: the re-bind onto a fresh App Cluster brings both claims back', async (t) => {
  const s = step(12);
  t.match(s, /\$ helper bootstrap-env -f /);
  t.match(s, /all 2 APIServiceBinding\(s\) Ready on the App Cluster/);
  const onApp2 = s.slice(s.indexOf('$ kubectl --kubeconfig app-2.kubeconfig get postgresqlinstances'));
  t.match(onApp2, /^orders-db +\S+$/m, 'orders-db on the new App Cluster');
  t.match(onApp2, /^billing-db +\S+$/m, 'billing-db on the new App Cluster');
});

t.test('13: the re-bound binding is healthy', async (t) => {
  t.match(step(13), /^verdict: ok$/m);
  t.match(stderr, /demo: done: /);
});
