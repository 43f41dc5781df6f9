/**
 * Convergence: running bootstrap-env and create-ns five times in a row leaves
 * the same state as running them once (same cluster namespace, one export
 * request per API, one APIServiceNamespace, identical all.yaml).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);

t.test('five runs of bootstrap-env and create-ns = one run', async (t) => {
  const dir = t.testdir({});
  const binding = join(dir, 'binding.json');
  writeFileSync(
    binding,
    JSON.stringify({
      clusterID: `conv-${randomBytes(4).toString('hex')}`,
      apis: [
        { group: 'anynines.com', resource: 'postgresqlinstances' },
        { group: 'anynines.com', resource: 'servicebindings' },
      ],
    }),
  );
  const kfg = join(dir, 'k.yaml');
  const outputs: string[] = [];
  const namespaces = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const r = await runCli(
      [
        'bootstrap-env',
        '-f',
        binding,
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--no-wait',
        '--write-kubeconfig',
        kfg,
      ],
      { env: sb.env },
    );
    t.equal(r.code, 0, `run ${i + 1}: ${r.stderr}`);
    outputs.push(r.stdout);
    namespaces.add(/namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!);
  }
  t.equal(namespaces.size, 1, 'one cluster namespace');
  t.equal(new Set(outputs).size, 1, 'identical all.yaml every time');
  const ns = [...namespaces][0]!;
  const reqs = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-n',
    ns,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  t.same(
    reqs.stdout.split(' ').sort(),
    ['postgresqlinstances.anynines.com', 'servicebindings.anynines.com'],
    'no duplicate export requests',
  );
  const owned = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'namespaces',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  t.equal(owned.stdout.split(' ').filter((n) => n === ns).length, 1);

  // status.namespace is set by Klutch's example-backend.
  await kubectl(
    sb.bin,
    kfg,
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceNamespace',
      metadata: { name: 'team-conv' },
      spec: {},
    }),
  );
  const st = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'wait',
    'apiservicenamespaces.klutch.anynines.com/team-conv',
    '-n',
    ns,
    `--for=jsonpath={.status.namespace}=${ns}-team-conv`,
    '--timeout=60s',
  ]);
  t.equal(st.code, 0, st.stderr);
  const printed = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const r = await runCli(['create-ns', '--kubeconfig', kfg, '--ca-file', sb.caFile, '-n', 'team-conv']);
    t.equal(r.code, 0, r.stderr);
    printed.add(r.stdout);
  }
  t.same([...printed], [`${ns}-team-conv\n`], 'the same name five times');
  const nss = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiservicenamespaces.klutch.anynines.com',
    '-n',
    ns,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  t.equal(nss.stdout, 'team-conv', 'one APIServiceNamespace');
});
