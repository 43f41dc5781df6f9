/**
 * Fleet mode on the sandbox: 21 binding files (one asks for an API the
 * control plane does not export) bound with one token at bounded
 * concurrency; the 20 good clusters are kept, the bad one is reported, the
 * exit code says "partly failed".
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { jwtsIn, runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';
import { kubectl } from '../sandbox/cluster.ts';

const sb = await useSandbox(t);

t.test('21 clusters, one failing: 20 bound and kept, summary, exit 9', async (t) => {
  const dir = t.testdir({ bindings: {} });
  const run = randomBytes(3).toString('hex');
  for (let i = 0; i < 20; i++) {
    writeFileSync(
      join(dir, 'bindings', `c${String(i).padStart(2, '0')}.json`),
      JSON.stringify({
        clusterID: `fleet-${run}-${i}`,
        apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
      }),
    );
  }
  writeFileSync(
    join(dir, 'bindings', 'zz-bad.json'),
    JSON.stringify({ clusterID: `fleet-${run}-bad`, apis: [{ group: 'anynines.com', resource: 'mongodbinstances' }] }),
  );
  const out = join(dir, 'out');
  const r = await runCli(
    [
      'bootstrap-env',
      '-f',
      join(dir, 'bindings'),
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--out-dir',
      out,
      '--concurrency',
      '8',
      '--no-wait',
      '--summary',
      'json',
    ],
    { env: sb.env, timeoutMs: 300_000 },
  );
  t.equal(r.code, 9, r.stderr.slice(-2000));
  t.match(r.stderr, /1 of 21 cluster\(s\) failed \(see the summary\); the 20 that succeeded are kept/);
  // Issue 24 #10: interleaved as they are, every line of a cluster's bind names it; the rest are the fleet's.
  const fleetLines = [/^requesting an access token /, /^binding 21 /, /^error: 1 of 21 cluster/, /^warn: --summary is/];
  const untagged = r.stderr
    .split('\n')
    .filter(Boolean)
    .filter((l) => !new RegExp(`^\\[fleet-${run}-(\\d+|bad)\\] `).test(l) && !fleetLines.some((re) => re.test(l)));
  t.same(untagged, [], 'no line without its cluster');
  t.match(r.stderr, new RegExp(`^\\[fleet-${run}-bad\\] error: failed \\(\\S+zz-bad\\.json\\): `, 'm'));
  t.same(jwtsIn(r.stderr + r.stdout), [], 'no token printed');
  t.notOk((r.stderr + r.stdout).includes(sb.env.OIDC_CLIENT_SECRET));

  const summary = JSON.parse(r.stdout);
  t.equal(summary.total, 21);
  t.equal(summary.succeeded, 20);
  t.equal(summary.failed, 1);
  t.equal(summary.tokensFetched, 1, 'one token for the whole fleet');
  t.match(summary, { schemaVersion: 1, kind: 'FleetSummary', verdict: 'partial', counts: { ok: 20, failed: 1 } });
  const bad = summary.items.find((c: { status: string }) => c.status === 'failed');
  t.equal(bad.clusterID, `fleet-${run}-bad`);
  t.equal(bad.error.exitCode, 5);
  t.match(bad.error.message, /HTTP 400.*mongodbinstances/);

  const dirs = readdirSync(out).sort();
  t.equal(dirs.length, 20, 'a directory per bound cluster, none for the failed one');
  const namespaces = new Set<string>();
  for (const d of dirs) {
    for (const f of ['all.yaml', 'provider.kfg.yaml'])
      t.equal(statSync(join(out, d, f)).mode & 0o777, 0o600, `${d}/${f} is 0600`);
    const kinds = parseAllDocuments(readFileSync(join(out, d, 'all.yaml'), 'utf8')).map(
      (doc) => (doc.toJS() as { kind: string }).kind,
    );
    t.equal(kinds.at(-1), 'APIServiceBinding');
    namespaces.add(/namespace: (\S+)/.exec(readFileSync(join(out, d, 'provider.kfg.yaml'), 'utf8'))![1]!);
  }
  t.equal(namespaces.size, 20, 'every cluster got its own cluster namespace');
  const reqs = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-A',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}',
  ]);
  const withRequest = new Set(reqs.stdout.split('\n').filter((ns) => namespaces.has(ns)));
  t.equal(withRequest.size, 20, 'an export request in each cluster namespace');

  t.test('text summary and re-run converge', async (t) => {
    const again = await runCli(
      [
        'bootstrap-env',
        '-f',
        join(dir, 'bindings', 'c00.json'),
        '-f',
        join(dir, 'bindings', 'c01.json'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--out-dir',
        out,
        '--no-wait',
      ],
      { env: sb.env },
    );
    t.equal(again.code, 0, again.stderr);
    t.match(again.stdout, /^ok {6}fleet-\S+-0 {2}cluster-\S+/m);
    t.match(again.stdout, /2 of 2 cluster\(s\) bound, 0 failed/);
    t.equal(readdirSync(out).length, 20, 'same directories');
  });
});

t.test('fleet usage errors: exit 2', async (t) => {
  const dir = t.testdir({ 'a.json': '{}', 'b.json': '{}' });
  const noOut = await runCli(
    ['bootstrap-env', '-f', join(dir, 'a.json'), '-f', join(dir, 'b.json'), '-u', sb.bindUrl],
    { env: sb.env },
  );
  t.equal(noOut.code, 2);
  t.match(noOut.stderr, /pass --out-dir DIR/);
  const mixed = await runCli(
    ['bootstrap-env', '-f', join(dir, 'a.json'), '-u', sb.bindUrl, '--out-dir', dir, '-o', 'x.yaml'],
    { env: sb.env },
  );
  t.equal(mixed.code, 2);
  t.match(mixed.stderr, /a fleet writes its files under --out-dir/);
});
