/**
 * `npm run bench`: figures, not a test (nothing is asserted beyond "the command worked").
 *
 *   cold start    `--version` and `bootstrap-env --help`, from sources (bin/helper under the
 *                 pinned Node) and from the single executable, next to bare `node -e 0`
 *   one binding   `bootstrap-env --no-wait` end to end, next to the protocol floor
 *   create-ns     from the namespace status being set to the name on stdout
 *   peak RSS      of one binding (and of each fleet run)
 *   fleet         100 bindings at concurrency 1, 8 and 32, if bootstrap-env has --out-dir, and
 *                 the servers alone doing the same 100 at concurrency 32 (the backend's own time)
 *
 * Every figure that has a target (issue 14) is printed beside it with "met" or "NOT met":
 *   executable --version <= 1.5x and bootstrap-env --help <= 2x `node -e 0`; helper's own share
 *   of one binding <= 100 ms (executable) and <= 200 ms (sources); peak RSS of one binding
 *   < 100 MB; a fleet of 100 at concurrency 32 limited by the backend, peak RSS < 200 MB.
 *
 * BENCH_COMPARE=<another built checkout> adds its bin/helper and executable to every measurement,
 * interleaved with this one's (labelled "compare: ..."; its fleet runs at concurrency 32 only), so
 * a change is measured side by side under the same load.
 *
 * Uses the sandbox in HELPER_SANDBOX_DIR if set (left running), else starts one and stops it at
 * the end and on SIGINT/SIGTERM. BENCH_RUNS (cold start, default 21), BENCH_E2E_RUNS (default 7)
 * and BENCH_FLEET (default 100) change the sample sizes. Every spawned CLI gets only PATH and HOME
 * (plus what the command needs), as a user's shell would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { startSandbox, type SandboxInfo } from '../test/sandbox/sandbox.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
const srcBin = join(root, 'bin', 'helper');
const exe = resolve(
  root,
  (JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8')) as { output: string }).output,
);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const E2E_RUNS = Number(process.env.BENCH_E2E_RUNS ?? 7);
const FLEET = Number(process.env.BENCH_FLEET ?? 100);
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

const work = mkdtempSync(join(tmpdir(), 'helper-bench-'));
const children = new Set<ChildProcess>();
let stopSandbox: (() => Promise<void>) | undefined;

async function cleanup(): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  const stop = stopSandbox;
  stopSandbox = undefined;
  await stop?.().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(sig, () => {
    process.stderr.write(`bench: ${sig}, stopping\n`);
    void cleanup().finally(() => process.exit(code));
  });
}

const note = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};
const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

// ---------- statistics and formatting

function quantile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

function stats(xs: number[]): { median: number; p10: number; p90: number; min: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
    min: s[0] ?? NaN,
    max: s.at(-1) ?? NaN,
    n: s.length,
  };
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;
const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

function row(label: string, xs: number[], extra = ''): void {
  const s = stats(xs);
  out(
    `  ${label.padEnd(50)} median ${ms(s.median).padStart(10)}   p10 ${ms(s.p10).padStart(10)}   p90 ` +
      `${ms(s.p90).padStart(10)}   (n=${s.n})${extra}`,
  );
}

/** "<figure> (target <op> <limit>: met)" — every figure with a target is printed through this. */
function target(value: number, op: '<=' | '<', limit: number, fmt: (x: number) => string): string {
  const ok = op === '<=' ? value <= limit : value < limit;
  return `${fmt(value)} (target ${op} ${fmt(limit)}: ${ok ? 'met' : 'NOT met'})`;
}
const times = (x: number): string => `${x.toFixed(2)}x`;

// ---------- running the CLI

interface Run {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak resident set (VmHWM) seen while polling /proc, in kB; 0 unless asked for. */
  peakRssKb: number;
  /** User + system CPU time of the process in ms, as last seen while polling /proc; 0 unless asked for. */
  cpuMs: number;
  /** performance.now() when stdout first had data. */
  firstStdoutAt?: number;
}

interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  rss?: boolean;
  onStderr?: (all: string) => void;
}

/** The peak RSS is VmHWM from /proc/<pid>/status, polled every 5 ms (the kernel keeps the high-water mark, so a late
 * poll still sees an earlier peak; only the last few ms before exit can be missed). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of /proc/<pid>/stat in ms (fields 14 and 15, after the parenthesised command name). */
function readCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function readHwmKb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, {
      env: { ...baseEnv, ...opts.env },
      cwd: opts.cwd ?? work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const r: Run = { code: null, ms: 0, stdout: '', stderr: '', peakRssKb: 0, cpuMs: 0 };
    let poll: NodeJS.Timeout | undefined;
    if (opts.rss && child.pid) {
      const pid = child.pid;
      poll = setInterval(() => {
        r.peakRssKb = Math.max(r.peakRssKb, readHwmKb(pid));
        r.cpuMs = Math.max(r.cpuMs, readCpuMs(pid));
      }, 5);
    }
    child.stdout!.on('data', (d: Buffer) => {
      r.firstStdoutAt ??= performance.now();
      r.stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      r.stderr += d.toString();
      opts.onStderr?.(r.stderr);
    });
    child.on('error', reject);
    child.on('exit', () => {
      if (poll) clearInterval(poll);
      r.ms = performance.now() - start;
    });
    child.on('close', (code) => {
      children.delete(child);
      r.code = code;
      resolvePromise(r);
    });
  });
}

function mustSucceed(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}`);
  return r;
}

interface Cli {
  label: string;
  cmd: string;
  pre: string[];
}
const fromSources: Cli = { label: 'sources (node bin/helper)', cmd: node, pre: [srcBin] };
const fromExe: Cli = { label: 'executable', cmd: exe, pre: [] };

// ---------- cold start

/**
 * Interleaved rounds (each case once per round, one warm-up round dropped) so a load spike from
 * other processes hits every case alike. spawnSync: nothing else needs the event loop here.
 */
function coldStart(clis: Cli[]): void {
  const cases: Array<{ label: string; cmd: string; args: string[]; limit?: number }> = [
    { label: 'node -e 0', cmd: node, args: ['-e', '0'] },
  ];
  for (const c of clis) {
    const exe = c === fromExe || c.label === 'compare: executable';
    cases.push({
      label: `${c.label}: --version`,
      cmd: c.cmd,
      args: [...c.pre, '--version'],
      ...(exe ? { limit: 1.5 } : {}),
    });
    cases.push({
      label: `${c.label}: bootstrap-env --help`,
      cmd: c.cmd,
      args: [...c.pre, 'bootstrap-env', '--help'],
      ...(exe ? { limit: 2 } : {}),
    });
  }
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round <= RUNS; round++) {
    cases.forEach((c, i) => {
      const t0 = performance.now();
      const r = spawnSync(c.cmd, c.args, { env: baseEnv, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
      const dt = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
      if (round > 0) samples[i]!.push(dt);
    });
  }
  out(`cold start (wall time of the whole process, ${RUNS} interleaved runs each after one warm-up)`);
  const base = stats(samples[0]!).median;
  cases.forEach((c, i) => {
    const m = stats(samples[i]!).median;
    let extra = i === 0 ? '' : `   +${ms(m - base)} over node, ${times(m / base)}`;
    if (c.limit) extra = `   ${target(m / base, '<=', c.limit, times)} of node -e 0`;
    row(c.label, samples[i]!, extra);
  });
}

// ---------- sandbox-facing helpers

function bindingFile(dir: string, prefix: string): { file: string; clusterID: string } {
  const clusterID = `${prefix}-${randomBytes(4).toString('hex')}`;
  const file = join(dir, `${clusterID}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      clusterID,
      apis: ['postgresqlinstances', 'servicebindings'].map((resource) => ({ group: 'anynines.com', resource })),
    }),
  );
  return { file, clusterID };
}

function bootstrapArgs(sb: SandboxInfo, file: string, extra: string[] = []): string[] {
  return ['bootstrap-env', '-f', file, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait', ...extra];
}

interface Kubeconfig {
  clusters: Array<{ cluster: { server: string; 'certificate-authority-data'?: string } }>;
  users: Array<{ user: { token?: string } }>;
  contexts: Array<{ context: { namespace?: string } }>;
}

/**
 * The protocol floor of one binding: the same three steps helper performs (client-credentials
 * token, POST /bind-noninteractive, one create per returned APIServiceExportRequest), issued one
 * after the other from this already-running process with plain undici and a fresh connection
 * pool per binding (helper, a new process, must open new TLS connections too). What remains is
 * the time the servers spent plus loopback round trips; helper's end-to-end time minus this is
 * its own cost (process start, module loading, validation, rendering, writing).
 */
async function fetchToken(sb: SandboxInfo, agent: Agent): Promise<string> {
  const basic = Buffer.from(
    `${encodeURIComponent(sb.env.OIDC_CLIENT_ID)}:${encodeURIComponent(sb.env.OIDC_CLIENT_SECRET)}`,
  ).toString('base64');
  const tr = await request(sb.env.OIDC_TOKEN_URL, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
  });
  const token = ((await tr.body.json()) as { access_token?: string }).access_token;
  if (tr.statusCode !== 200 || !token) throw new Error(`token endpoint answered ${tr.statusCode}`);
  return token;
}

type BindResponse = {
  kubeconfig: string;
  requests: Array<{ metadata?: { name?: string }; spec: { resources: Array<{ group?: string; resource: string }> } }>;
};

async function postBind(sb: SandboxInfo, agent: Agent, token: string, file: string): Promise<BindResponse> {
  const br = await request(sb.bindUrl, {
    method: 'POST',
    dispatcher: agent,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: readFileSync(file),
  });
  const resp = (await br.body.json()) as BindResponse;
  if (br.statusCode !== 200) throw new Error(`backend answered ${br.statusCode}`);
  return resp;
}

/** One create per returned APIServiceExportRequest, with `agentFor` the dispatcher for the kubeconfig's CA. */
async function createRequests(resp: BindResponse, agentFor: (caPem: string | undefined) => Agent): Promise<void> {
  const kc = parseYaml(Buffer.from(resp.kubeconfig, 'base64').toString('utf8')) as Kubeconfig;
  const server = kc.clusters[0]!.cluster.server;
  const ns = kc.contexts[0]!.context.namespace!;
  const caData = kc.clusters[0]!.cluster['certificate-authority-data'];
  const cpAgent = agentFor(caData ? Buffer.from(caData, 'base64').toString('utf8') : undefined);
  for (const req of resp.requests) {
    const r0 = req.spec.resources[0]!;
    const name = req.metadata?.name ?? (r0.group ? `${r0.resource}.${r0.group}` : r0.resource);
    const cr = await request(`${server}/apis/klutch.anynines.com/v1alpha1/namespaces/${ns}/apiserviceexportrequests`, {
      method: 'POST',
      dispatcher: cpAgent,
      headers: {
        authorization: `Bearer ${kc.users[0]!.user.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        apiVersion: 'klutch.anynines.com/v1alpha1',
        kind: 'APIServiceExportRequest',
        metadata: { name, namespace: ns },
        spec: req.spec,
      }),
    });
    await cr.body.dump();
    if (cr.statusCode !== 201) throw new Error(`creating APIServiceExportRequest ${name}: ${cr.statusCode}`);
  }
}

/**
 * The protocol floor of one binding: the same three steps helper performs (client-credentials
 * token, POST /bind-noninteractive, one create per returned APIServiceExportRequest), issued one
 * after the other from this already-running process with plain undici and a fresh connection
 * pool per binding (helper, a new process, must open new TLS connections too). What remains is
 * the time the servers spent plus loopback round trips; helper's end-to-end time minus this is
 * its own cost (process start, module loading, validation, rendering, writing).
 */
async function protocolFloor(
  sb: SandboxInfo,
  dir: string,
): Promise<{ total: number; token: number; bind: number; creates: number }> {
  const agent = new Agent({ connect: { ca: readFileSync(sb.caFile, 'utf8') } });
  const cpAgents: Agent[] = [];
  try {
    const t0 = performance.now();
    const token = await fetchToken(sb, agent);
    const t1 = performance.now();
    const resp = await postBind(sb, agent, token, bindingFile(dir, 'floor').file);
    const t2 = performance.now();
    await createRequests(resp, (ca) => {
      if (!ca) return agent;
      const a = new Agent({ connect: { ca } });
      cpAgents.push(a);
      return a;
    });
    const t3 = performance.now();
    return { total: t3 - t0, token: t1 - t0, bind: t2 - t1, creates: t3 - t2 };
  } finally {
    await Promise.all([agent, ...cpAgents].map((a) => a.close()));
  }
}

/**
 * The servers alone doing what a fleet run asks of them: one token, then `n` bindings (POST
 * /bind-noninteractive and the creates) at `concurrency`, from this process over shared
 * keep-alive connections. Its wall time is what the backend and the control plane need; a fleet
 * run of helper that takes about as long is limited by them, not by helper.
 */
async function floorFleet(sb: SandboxInfo, dir: string, n: number, concurrency: number): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: n }, () => bindingFile(dir, 'floorfleet').file);
  const agent = new Agent({ connect: { ca: readFileSync(sb.caFile, 'utf8') } });
  const cpAgents = new Map<string, Agent>();
  try {
    const t0 = performance.now();
    const token = await fetchToken(sb, agent);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const resp = await postBind(sb, agent, token, files[next++]!);
        await createRequests(resp, (ca) => {
          if (!ca) return agent;
          let a = cpAgents.get(ca);
          if (!a) {
            a = new Agent({ connect: { ca } });
            cpAgents.set(ca, a);
          }
          return a;
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - t0;
  } finally {
    await Promise.all([agent, ...cpAgents.values()].map((a) => a.close()));
  }
}

async function oneBinding(sb: SandboxInfo, clis: Cli[]): Promise<void> {
  const dir = join(work, 'one');
  mkdirSync(dir);
  const e2e = new Map<Cli, number[]>(clis.map((c) => [c, []]));
  const floor = { total: [] as number[], token: [] as number[], bind: [] as number[], creates: [] as number[] };
  await protocolFloor(sb, dir); // warm-up: JIT of this process, first TLS session
  for (let i = 0; i < E2E_RUNS; i++) {
    for (const c of clis) {
      const { file } = bindingFile(dir, 'bench');
      const r = mustSucceed(
        await run(c.cmd, [...c.pre, ...bootstrapArgs(sb, file, ['-o', join(dir, 'all.yaml')])], { env: sb.env }),
        `${c.label} bootstrap-env`,
      );
      e2e.get(c)!.push(r.ms);
    }
    const f = await protocolFloor(sb, dir);
    for (const k of ['total', 'token', 'bind', 'creates'] as const) floor[k].push(f[k]);
  }
  out();
  out(`one binding: bootstrap-env --no-wait, 2 APIs, a new clusterID each run (${E2E_RUNS} runs each, interleaved)`);
  const floorMedian = stats(floor.total).median;
  for (const c of clis) {
    const xs = e2e.get(c)!;
    row(
      `${c.label}: end to end`,
      xs,
      `   helper's own share ` +
        `${target(stats(xs).median - floorMedian, '<=', /executable/.test(c.label) ? 100 : 200, ms)}`,
    );
  }
  row(
    'protocol floor (servers + round trips)',
    floor.total,
    `   = token ${ms(stats(floor.token).median)} + bind ${ms(stats(floor.bind).median)} + 2 creates ` +
      `${ms(stats(floor.creates).median)}`,
  );
}

async function peakRss(sb: SandboxInfo, clis: Cli[]): Promise<void> {
  const dir = join(work, 'rss');
  mkdirSync(dir);
  out();
  out('peak RSS of one binding (VmHWM, polled every 5 ms; 3 runs each)');
  for (const c of clis) {
    const peaks: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { file } = bindingFile(dir, 'rss');
      const r = mustSucceed(
        await run(c.cmd, [...c.pre, ...bootstrapArgs(sb, file, ['-o', join(dir, 'all.yaml')])], {
          env: sb.env,
          rss: true,
        }),
        `${c.label} bootstrap-env`,
      );
      peaks.push(r.peakRssKb);
    }
    const s = stats(peaks);
    out(
      `  ${`${c.label}: bootstrap-env`.padEnd(50)} median ${mb(s.median).padStart(10)}   max ` +
        `${mb(s.max).padStart(10)}   ${target(s.median / 1024, '<', 100, (x) => `${x.toFixed(1)} MB`)}`,
    );
  }
}

/**
 * create-ns on the sandbox's real Klutch example-backend, which sets status.namespace (making
 * the `<cluster-ns>-<name>` namespace and its RoleBinding first). Timed two ways per run: the
 * whole process, and from helper's "created" line on stderr to the name on stdout (the
 * example-backend's reaction plus helper's watch).
 */
async function createNsLatency(sb: SandboxInfo, clis: Cli[]): Promise<void> {
  const dir = join(work, 'ns');
  mkdirSync(dir);
  const kfg = join(dir, 'provider.kfg.yaml');
  const { file } = bindingFile(dir, 'ns');
  mustSucceed(
    await run(
      clis[0]!.cmd,
      [
        ...clis[0]!.pre,
        ...bootstrapArgs(sb, file, ['--write-kubeconfig', kfg, '--output-file', join(dir, 'all.yaml')]),
      ],
      { env: sb.env },
    ),
    'bootstrap-env for create-ns',
  );
  const clusterNs = (parseYaml(readFileSync(kfg, 'utf8')) as Kubeconfig).contexts[0]!.context.namespace!;
  const latency = new Map<Cli, number[]>(clis.map((c) => [c, []]));
  const whole = new Map<Cli, number[]>(clis.map((c) => [c, []]));
  for (let i = 0; i < E2E_RUNS; i++) {
    for (const c of clis) {
      const name = `bench-${randomBytes(3).toString('hex')}`;
      let createdAt: number | undefined;
      const t0 = performance.now();
      const r = mustSucceed(
        await run(
          c.cmd,
          [...c.pre, 'create-ns', '--kubeconfig', kfg, '-n', name, '--ca-file', sb.caFile, '--timeout', '60s'],
          {
            onStderr: (all) => {
              if (createdAt === undefined && / created/.test(all)) createdAt = performance.now();
            },
          },
        ),
        `${c.label} create-ns`,
      );
      const t1 = performance.now();
      if (createdAt === undefined) throw new Error(`${c.label} create-ns never said it created ${name}:\n${r.stderr}`);
      if (r.stdout.trim() !== `${clusterNs}-${name}`)
        throw new Error(`${c.label} create-ns printed ${JSON.stringify(r.stdout)}`);
      latency.get(c)!.push(r.firstStdoutAt! - createdAt);
      whole.get(c)!.push(t1 - t0);
    }
  }
  out();
  out(`create-ns against Klutch's example-backend (${E2E_RUNS} runs each)`);
  for (const c of clis) row(`${c.label}: create-ns, whole process`, whole.get(c)!);
  for (const c of clis) row(`${c.label}: "created" → name on stdout (backend reaction + watch)`, latency.get(c)!);
}

async function fleet(sb: SandboxInfo, cli: Cli, levels: number[]): Promise<void> {
  out();
  const help = spawnSync(cli.cmd, [...cli.pre, 'bootstrap-env', '--help'], { env: baseEnv, encoding: 'utf8' }).stdout;
  if (!/--out-dir/.test(help)) {
    out('fleet: not available yet (bootstrap-env --help shows no --out-dir)');
    return;
  }
  out(`fleet: ${FLEET} bindings, 2 APIs each, --no-wait, one process (${cli.label}); new clusterIDs per run`);
  let at32: Run | undefined;
  for (const concurrency of levels) {
    const dir = join(work, `fleet-${cli === fromExe ? '' : 'compare-'}${concurrency}`);
    const bindings = join(dir, 'bindings');
    mkdirSync(bindings, { recursive: true });
    for (let i = 0; i < FLEET; i++) bindingFile(bindings, `fleet${concurrency}`);
    const r = await run(
      cli.cmd,
      [
        ...cli.pre,
        'bootstrap-env',
        '-f',
        bindings,
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--no-wait',
        '--out-dir',
        join(dir, 'out'),
        '--concurrency',
        String(concurrency),
        '--summary',
        'json',
        '-q',
      ],
      { env: sb.env, rss: true },
    );
    let summary: { succeeded?: number; failed?: number; tokensFetched?: number } = {};
    try {
      summary = JSON.parse(r.stdout) as typeof summary;
    } catch {
      /* reported below */
    }
    const ok = r.code === 0 && summary.succeeded === FLEET;
    if (concurrency === 32 && ok) at32 = r;
    out(
      `  ${`concurrency ${concurrency}`.padEnd(50)} ${(r.ms / 1000).toFixed(1).padStart(7)} s   ` +
        `${(FLEET / (r.ms / 1000)).toFixed(1).padStart(6)} bindings/s   ` +
        `${(r.ms / FLEET).toFixed(0).padStart(5)} ms/binding   helper CPU ${(r.cpuMs / FLEET).toFixed(1)} ` +
        `ms/binding   peak RSS ` +
        `${concurrency === 32 ? target(r.peakRssKb / 1024, '<', 200, (x) => `${x.toFixed(1)} MB`) : mb(r.peakRssKb)}` +
        `${ok ? '' : `   FAILED (exit ${r.code}, ${summary.succeeded ?? '?'} succeeded): ${r.stderr.slice(-400)}`}`,
    );
  }
  const floor = await floorFleet(sb, join(work, `fleet-floor-${cli === fromExe ? '' : 'compare'}`), FLEET, 32);
  out(
    `  ${'servers alone (backend + control plane), conc. 32'.padEnd(50)} ` +
      `${(floor / 1000).toFixed(1).padStart(7)} s   ${(FLEET / (floor / 1000)).toFixed(1).padStart(6)} ` +
      `bindings/s   ${(floor / FLEET).toFixed(0).padStart(5)} ms/binding`,
  );
  if (at32) {
    // Limited by the backend: helper's whole run takes at most 25% longer than the servers alone need.
    out(
      `  concurrency 32 against the servers alone: ${target(at32.ms / floor, '<=', 1.25, times)} (backend ` +
        `${(floor / FLEET).toFixed(0)} ms/binding, helper ${(at32.ms / FLEET).toFixed(0)} ms/binding of which ` +
        `${(at32.cpuMs / FLEET).toFixed(1)} ms CPU)`,
    );
  }
}

// ---------- main

async function attachOrStart(): Promise<SandboxInfo> {
  const shared = process.env.HELPER_SANDBOX_DIR;
  if (shared) {
    note(`using the sandbox in ${shared} (left running)`);
    return JSON.parse(readFileSync(join(shared, 'sandbox.json'), 'utf8')) as SandboxInfo;
  }
  note('starting a sandbox (stopped at the end; set HELPER_SANDBOX_DIR to reuse a running one)');
  const sb = await startSandbox({ quiet: true });
  stopSandbox = sb.stop;
  return sb;
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'helper.mjs')))
    throw new Error('dist/helper.mjs is missing: run "npm run build" (npm run bench does)');
  const clis = [fromSources];
  if (existsSync(exe)) clis.push(fromExe);
  else note(`${exe} is missing ("npm run build:binary"); figures for the executable are left out`);
  const compare = process.env.BENCH_COMPARE ? resolve(process.env.BENCH_COMPARE) : undefined;
  if (compare) {
    const cfg = JSON.parse(readFileSync(join(compare, 'pkg.config.json'), 'utf8')) as { output: string };
    clis.push({ label: 'compare: sources', cmd: node, pre: [join(compare, 'bin', 'helper')] });
    clis.push({ label: 'compare: executable', cmd: resolve(compare, cfg.output), pre: [] });
  }

  out(
    `helper bench: Node ${process.versions.node}, ${process.platform}-${process.arch}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at start`,
  );
  if (existsSync(exe)) out(`executable: ${relative(root, exe)} ${(statSync(exe).size / 1e6).toFixed(1)} MB`);
  out();
  coldStart(clis);

  const sb = await attachOrStart();
  await oneBinding(sb, clis);
  await createNsLatency(sb, clis);
  await peakRss(sb, clis);
  await fleet(sb, fromExe, [1, 8, 32]);
  if (compare) await fleet(sb, clis.at(-1)!, [32]);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
