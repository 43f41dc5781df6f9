/**
 * `npm run bench` (after bin/bench.ts): wall-clock figures for the hostile and huge inputs whose
 * tests (test/regressions/*quadratic*, test/unit/hostile/) assert counted work instead of time.
 * Figures, not a test: it asserts nothing but that each input ended as it should (accepted, or
 * rejected with the documented error), and exits 1 otherwise.
 *
 * Each figure is the median of BENCH_INPUT_RUNS runs (default 5) in this process, after one
 * unmeasured run, with the machine's load average beside it.
 */
import { loadavg } from 'node:os';
import { parseBindingResponse } from '../src/backend/binding-response.ts';
import { parseValues } from '../src/control-plane/values.ts';
import { parseManifest } from '../src/kube/apply.ts';
import { validateBinding, validateBindingResponse } from '../src/validate/schemas.ts';
import { namespaceNameProblems } from '../src/validate/names.ts';
import { deepJsonText, hugeString, valuesWithExtraArgs, yamlAliasBomb } from '../test/helpers/gen.ts';

const RUNS = Number(process.env.BENCH_INPUT_RUNS ?? 5);

type Outcome = 'accepted' | 'rejected';

interface Case {
  what: string;
  expect: Outcome;
  /** The error code expected when rejected. */
  code?: string;
  run: () => unknown;
}

const api = { group: 'anynines.com', resource: 'postgresqlinstances' };
const apis = (n: number, item: (i: number) => object) =>
  JSON.stringify({ clusterID: 'c', apis: Array.from({ length: n }, (_, i) => item(i)) });
const response = { apiVersion: 'klutch.anynines.com/v1alpha1', kind: 'BindingResponse', kubeconfig: 'QQ==' };
const exportRequest = (spec: object) => ({
  ...response,
  requests: [{ apiVersion: response.apiVersion, kind: 'APIServiceExportRequest', spec }],
});
const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n';

// Inputs are built once, outside the timed runs.
const invalidApis = apis(60_000, (i) => ({ group: 'G', resource: `r${i}x` }));
const distinctApis = apis(48_000, (i) => ({ group: `g${i}.example.com`, resource: 'backups' }));
const identicalApis = apis(55_000, () => ({ group: 'g0.example.com', resource: 'backups' }));
const hugeClusterId = JSON.stringify({ clusterID: hugeString(2 << 20), apis: [api] });
const deepBinding = `{"clusterID":"c","apis":[${deepJsonText(200_000)},${deepJsonText(200_000)}]}`;
const manyResources = exportRequest({ resources: Array.from({ length: 100_000 }, (_, i) => ({ resource: `R${i}` })) });
const emptyRequests = { ...response, requests: Array.from({ length: 20_000 }, () => ({})) };
const manyClaims = exportRequest({
  resources: [{ resource: 'backups', permissionClaims: Array.from({ length: 50_000 }, () => ({})) }],
});
const badExtraArgs = valuesWithExtraArgs(Array.from({ length: 100_000 }, (_, i) => `"bad${i}"`).join(', '));
const manyDocuments = Array.from({ length: 5_000 }, (_, i) => cm.replace('name: m', `name: m${i}`)).join('---\n');
const hugeObject = `${cm}data: {x: ${hugeString(2 << 20)}}\n`;

const cases: Case[] = [
  {
    what: 'binding.json: 60,000 invalid apis',
    expect: 'rejected',
    code: 'HELPER_BINDING_INVALID',
    run: () => validateBinding(invalidApis, 'b.json'),
  },
  {
    what: 'binding.json: 48,000 distinct apis',
    expect: 'accepted',
    run: () => validateBinding(distinctApis, 'b.json'),
  },
  {
    what: 'binding.json: 55,000 identical apis',
    expect: 'rejected',
    code: 'HELPER_BINDING_INVALID',
    run: () => validateBinding(identicalApis, 'b.json'),
  },
  {
    what: 'binding.json: 2 MiB clusterID',
    expect: 'rejected',
    code: 'HELPER_BINDING_INVALID',
    run: () => validateBinding(hugeClusterId, 'b.json'),
  },
  {
    what: 'binding.json: 200k-deep twins in apis',
    expect: 'rejected',
    run: () => validateBinding(deepBinding, 'b.json'),
  },
  {
    what: 'BindingResponse: 100,000 invalid resources',
    expect: 'rejected',
    code: 'HELPER_BACKEND_RESPONSE_INVALID',
    run: () => validateBindingResponse(manyResources),
  },
  {
    what: 'BindingResponse: 20,000 empty requests',
    expect: 'rejected',
    code: 'HELPER_BACKEND_RESPONSE_INVALID',
    run: () => validateBindingResponse(emptyRequests),
  },
  {
    what: 'BindingResponse: 50,000 invalid permission claims',
    expect: 'rejected',
    code: 'HELPER_BACKEND_RESPONSE_INVALID',
    run: () => parseBindingResponse(manyClaims),
  },
  {
    what: 'values.yaml: 100,000 invalid extraArgs',
    expect: 'rejected',
    code: 'HELPER_VALUES_INVALID',
    run: () => parseValues(badExtraArgs, 'values.yaml'),
  },
  {
    what: 'values.yaml: billion laughs',
    expect: 'rejected',
    code: 'HELPER_VALUES_YAML',
    run: () => parseValues(`${yamlAliasBomb(9, 9)}`, 'values.yaml'),
  },
  {
    what: 'all.yaml: billion laughs',
    expect: 'rejected',
    code: 'HELPER_MANIFEST',
    run: () => parseManifest(yamlAliasBomb(9, 9), 'all.yaml'),
  },
  { what: 'all.yaml: 5,000 documents', expect: 'accepted', run: () => parseManifest(manyDocuments, 'all.yaml') },
  { what: 'all.yaml: a 2 MiB object', expect: 'accepted', run: () => parseManifest(hugeObject, 'all.yaml') },
  {
    what: 'create-ns -n: a 1 MiB name',
    expect: 'accepted',
    run: () => namespaceNameProblems(hugeString(), 'cluster-ab12c'),
  },
];

function once(c: Case): { ms: number; outcome: Outcome; code?: string } {
  const t0 = performance.now();
  try {
    c.run();
    return { ms: performance.now() - t0, outcome: 'accepted' };
  } catch (err) {
    return { ms: performance.now() - t0, outcome: 'rejected', code: (err as { code?: string }).code };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

process.stdout.write(
  `hostile inputs: median of ${RUNS} runs each (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})\n`,
);
let wrong = 0;
for (const c of cases) {
  const first = once(c);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(once(c).ms);
  const as = first.outcome === c.expect && (!c.code || first.code === c.code);
  if (!as) wrong++;
  const outcome = `${first.outcome}${first.code ? ` (${first.code})` : ''}`;
  process.stdout.write(
    `  ${c.what.padEnd(52)} ${median(times).toFixed(1).padStart(8)} ms  ${outcome}` +
      `${as ? '' : `, expected ${c.expect}${c.code ? ` (${c.code})` : ''}`}\n`,
  );
}
if (wrong) {
  process.stdout.write(`bench-inputs: ${wrong} input(s) did not end as expected\n`);
  process.exitCode = 1;
}
