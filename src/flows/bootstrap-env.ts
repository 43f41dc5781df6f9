/**
 * bootstrap-env, step by step:
 *   read binding.json → validate → token → POST /bind-noninteractive →
 *   parse BindingResponse → render all.yaml → create export requests →
 *   wait until Succeeded → (apply to the App Cluster) → write the
 *   kubeconfig / all.yaml → print all.yaml.
 * Artifacts are written and printed only after every earlier step
 * succeeded, so a failed run leaves no half-written file and an empty stdout.
 *
 * A fleet (several -f files or a directory, with --out-dir) runs the same
 * steps per cluster with one shared token and bounded concurrency, writes
 * each cluster's files under its own directory, and keeps the clusters that
 * succeeded when others fail.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { bindUrl } from '../backend/bind-url.ts';
import { parseBindingResponse } from '../backend/binding-response.ts';
import { postBinding } from '../backend/post-binding.ts';
import { ExitCode, HelperError, InputError } from '../errors.ts';
import { hostOf, makeDispatcher, readCaFile, warnInsecure } from '../http.ts';
import { applyInPhases, parseManifest } from '../kube/apply.ts';
import { waitForBindingsReady } from '../kube/bindings-ready.ts';
import { connect, ControlPlane, type KubeClient, type KubeFactory } from '../kube/client.ts';
import { createExportRequests, waitForExportRequests } from '../kube/export-requests.ts';
import { resolveKubeconfig } from '../kube/kubeconfig-file.ts';
import { readKubeconfig, trust, usableConnection } from '../kube/kubeconfig.ts';
import { addSecret, log } from '../log.ts';
import { renderAppCluster } from '../render/app-cluster.ts';
import { DEFAULT_KONNECTOR_IMAGE } from '../render/konnector.ts';
import { toYaml } from '../render/to-yaml.ts';
import { TokenSource } from '../token/token-source.ts';
import type { Binding } from '../types.ts';
import { validateBinding } from '../validate/schemas.ts';
import { assertWritable, writeFileAtomic } from '../write/files.ts';

export interface BootstrapOptions {
  files: string[];
  url: string;
  writeKubeconfig?: string | undefined;
  output?: string | undefined;
  outDir?: string | undefined;
  concurrency: number;
  konnectorImage: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scope?: string | undefined;
  caFile?: string | undefined;
  insecure: boolean;
  timeoutMs: number;
  requestTimeoutMs: number;
  attempts: number;
  wait: boolean;
  /** Kubeconfig of the App Cluster to apply all.yaml to (one pass, server-side apply). */
  applyTo?: string | undefined;
  /** --wait-bindings: after --apply-to, wait this long for every APIServiceBinding to be Ready. */
  waitBindingsMs?: number | undefined;
  /** --context: the context of the applyTo kubeconfig. */
  applyToContext?: string | undefined;
}

/** What the run has changed outside this machine so far, for interruption reports. */
export interface Progress {
  bound: Array<{ clusterID: string; clusterNamespace: string; host: string }>;
  exportRequests: string[];
  /** --apply-to: what was applied to the App Cluster so far. */
  applied?: { server: string; total: number; objects: string[] } | undefined;
}

export interface BootstrapResult {
  yaml: string;
  clusterNamespace: string;
  exportRequests: string[];
}

/** Resolves bootstrap-env's options from flags and the environment (flags win); InputError lists everything missing. */
export function resolveBootstrapOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): BootstrapOptions {
  const problems: string[] = [];
  const clientId = env.OIDC_CLIENT_ID?.trim() ?? '';
  let clientSecret = env.OIDC_CLIENT_SECRET ?? '';
  const secretFile = argv['client-secret-file'] as string | undefined;
  if (secretFile) {
    try {
      clientSecret = readFileSync(secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`--client-secret-file ${secretFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  }
  const tokenUrl = env.OIDC_TOKEN_URL?.trim() ?? '';
  if (!clientId) problems.push('OIDC_CLIENT_ID is not set (the client ID of the OIDC client-credentials client)');
  if (!clientSecret && !secretFile) problems.push('OIDC_CLIENT_SECRET is not set (or pass --client-secret-file)');
  else if (!clientSecret && !problems.length) problems.push(`--client-secret-file ${secretFile} is empty`);
  if (!tokenUrl) problems.push('OIDC_TOKEN_URL is not set (the token endpoint of your OIDC provider)');
  else if (!URL.canParse(tokenUrl)) {
    const schemeless = /^[A-Za-z0-9.-]+(:\d+)?(\/|$)/.test(tokenUrl);
    problems.push(`OIDC_TOKEN_URL ${JSON.stringify(tokenUrl.slice(0, 200))} is not a URL${schemeless ? `: the scheme is missing (did you mean https://${tokenUrl.slice(0, 200)}?)` : ' (expected e.g. https://idp.example.com/realms/x/protocol/openid-connect/token)'}`);
  }
  if (problems.length) throw new InputError('HELPER_ENV', 'cannot request an access token (OIDC client-credentials grant):', problems);
  addSecret(clientSecret);
  const files = ([] as string[]).concat(argv.file as string | string[]);
  return {
    files,
    url: argv.url as string,
    writeKubeconfig: argv['write-kubeconfig'] as string | undefined,
    output: argv.output as string | undefined,
    outDir: argv['out-dir'] as string | undefined,
    concurrency: (argv.concurrency as number | undefined) ?? 4,
    konnectorImage: (argv['konnector-image'] as string | undefined) ?? DEFAULT_KONNECTOR_IMAGE,
    clientId,
    clientSecret,
    tokenUrl,
    scope: (argv['oidc-scope'] as string | undefined) ?? (env.OIDC_SCOPE || undefined),
    caFile: argv['ca-file'] as string | undefined,
    insecure: Boolean(argv['insecure-skip-tls-verify']),
    timeoutMs: argv.timeoutMs as number,
    requestTimeoutMs: argv.requestTimeoutMs as number,
    attempts: (argv.retries as number) + 1,
    wait: argv.wait !== false,
    applyTo: argv['apply-to'] as string | undefined,
    waitBindingsMs: argv.waitBindingsMs as number | undefined,
    applyToContext: argv.context as string | undefined,
  };
}

/** Reads binding.json from a path or '-' (stdin), bounded to 1 MiB. */
export function readBindingInput(file: string, stdin: () => Buffer = () => readFileSync(0)): Buffer {
  let raw: Buffer;
  try {
    raw = file === '-' ? stdin() : readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError('HELPER_BINDING_READ', `cannot read binding file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(err)}`);
  }
  if (raw.byteLength > 1024 * 1024) throw new InputError('HELPER_BINDING_READ', `binding file ${file} is ${raw.byteLength} bytes; the limit is 1 MiB`);
  return raw;
}

export interface BootstrapDeps {
  dispatcher?: Dispatcher;
  signal?: AbortSignal | undefined;
  progress?: Progress;
  stdin?: () => Buffer;
  /** The Kubernetes client factory (tests pass one with an undici MockAgent). */
  kube?: KubeFactory | undefined;
}

interface Shared {
  opts: BootstrapOptions;
  url: URL;
  caPem: string | undefined;
  dispatcher: Dispatcher;
  tokens: TokenSource;
  signal: AbortSignal | undefined;
  progress: Progress;
  kube: KubeFactory;
}

interface BindingInput {
  raw: Buffer;
  binding: Binding;
  source: string;
}

interface BindOutputs {
  /** Create this directory (0700) for the files, once everything before writing succeeded. */
  dir?: string | undefined;
  writeKubeconfig?: string | undefined;
  output?: string | undefined;
  /** --apply-to, read and loaded before any network call. */
  applyTo?: KubeClient | undefined;
}

/** Runs one binding; returns all.yaml (already written with -o). */
export async function runBootstrapEnv(opts: BootstrapOptions, deps: BootstrapDeps = {}): Promise<BootstrapResult> {
  const file = opts.files[0]!;
  const source = file === '-' ? 'binding.json (stdin)' : file;
  const raw = readBindingInput(file, deps.stdin);
  const binding = validateBinding(raw, source);
  const shared = prepare(opts, deps);
  // A bad --apply-to, -o or --write-kubeconfig must fail before anything exists on the control plane.
  const applyTo = opts.applyTo ? readAppKubeconfig(shared, opts.applyTo, opts.applyToContext) : undefined;
  if (opts.output) assertWritable(opts.output, '--output-file');
  if (opts.writeKubeconfig) assertWritable(opts.writeKubeconfig, '--write-kubeconfig');
  log.info(`requesting an access token from ${new URL(opts.tokenUrl).host} for client ${opts.clientId}`);
  await shared.tokens.get();
  return bindOne(shared, { raw, binding, source }, { writeKubeconfig: opts.writeKubeconfig, output: opts.output, applyTo });
}

function prepare(opts: BootstrapOptions, deps: BootstrapDeps): Shared {
  const url = bindUrl(opts.url, { insecure: opts.insecure });
  const caPem = readCaFile(opts.caFile);
  if (opts.insecure) warnInsecure('TLS certificates of the token endpoint, the backend and the control plane are');
  const dispatcher = deps.dispatcher ?? makeDispatcher({ caPem, insecure: opts.insecure, headersTimeoutMs: opts.requestTimeoutMs, bodyTimeoutMs: opts.requestTimeoutMs });
  const tokens = new TokenSource(
    { clientId: opts.clientId, clientSecret: opts.clientSecret, tokenUrl: opts.tokenUrl, scope: opts.scope },
    { dispatcher, timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, insecure: opts.insecure, signal: deps.signal },
  );
  return { opts, url, caPem, dispatcher, tokens, signal: deps.signal, progress: deps.progress ?? { bound: [], exportRequests: [] }, kube: deps.kube ?? connect };
}

async function bindOne(s: Shared, input: BindingInput, out: BindOutputs): Promise<BootstrapResult> {
  const { opts, url } = s;
  const { binding } = input;
  const token = await s.tokens.get();
  log.info(`binding cluster ${JSON.stringify(binding.clusterID)} (${binding.apis.length} API(s)) at ${url.host}`);
  const body = await postBinding(url, input.raw, token, {
    dispatcher: s.dispatcher, timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, deadlineMs: Math.max(opts.timeoutMs, 60_000), signal: s.signal,
  });
  const result = parseBindingResponse(body);
  s.progress.bound.push({ clusterID: binding.clusterID, clusterNamespace: result.provider.namespace, host: url.host });
  log.info(`cluster ${JSON.stringify(binding.clusterID)} bound to cluster namespace ${result.provider.namespace} on ${new URL(result.provider.server).host}`);

  const yaml = toYaml(renderAppCluster({ kubeconfig: result.kubeconfig, requests: result.requests, konnectorImage: opts.konnectorImage }));

  const client = s.kube(trust(result.connection, { caPem: s.caPem, insecure: opts.insecure }), { label: 'control plane', requestTimeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, signal: s.signal });
  const cp = new ControlPlane(client, result.provider.namespace);
  const created = await createExportRequests(cp, result.requests, (r) => s.progress.exportRequests.push(`${result.provider.namespace}/${r.name}`));
  const names = created.map((r) => r.name);
  if (opts.wait) await waitForExportRequests(cp, names, { timeoutMs: opts.timeoutMs, signal: s.signal });
  else log.info(`--no-wait: not waiting for the export requests of cluster ${JSON.stringify(binding.clusterID)} to succeed`);

  if (out.applyTo) {
    const app = out.applyTo;
    const server = app.server;
    const objects = parseManifest(yaml, 'all.yaml');
    const applied = { server, total: objects.length, objects: [] as string[] };
    s.progress.applied = applied;
    log.info(`applying all.yaml to the ${server}`);
    await applyInPhases(app, objects, {
      timeoutMs: opts.timeoutMs, signal: s.signal, report: true,
      onApplied: (what) => applied.objects.push(what),
    });
    if (opts.waitBindingsMs !== undefined) {
      await waitForBindingsReady(app, objects, { timeoutMs: opts.waitBindingsMs, requestTimeoutMs: opts.requestTimeoutMs, signal: s.signal });
    }
  }
  if (out.dir) mkdirSync(out.dir, { recursive: true, mode: 0o700 });
  if (out.writeKubeconfig) {
    writeFileAtomic(out.writeKubeconfig, result.kubeconfig, 0o600);
    log.info(`wrote provider kubeconfig to ${out.writeKubeconfig} (mode 0600; it holds a long-lived token)`);
  }
  if (out.output) {
    writeFileAtomic(out.output, yaml, 0o600);
    log.info(`wrote ${out.output} (mode 0600; it holds the provider kubeconfig)`);
  }
  return { yaml, clusterNamespace: result.provider.namespace, exportRequests: names };
}

function readAppKubeconfig(s: Shared, path: string, context: string | undefined): KubeClient {
  const { text } = resolveKubeconfig({ flag: path, flagName: '--apply-to', context, env: {}, fallback: false });
  const conn = usableConnection(readKubeconfig(text, { caPem: s.caPem, insecure: s.opts.insecure }), (why) => new InputError('HELPER_KUBECONFIG_INVALID', `--apply-to ${path} is not a usable kubeconfig: ${why}`));
  return s.kube(conn, { label: 'App Cluster', requestTimeoutMs: s.opts.requestTimeoutMs, attempts: s.opts.attempts, signal: s.signal });
}

export interface FleetEntry {
  source: string;
  clusterID?: string | undefined;
  status: 'ok' | 'failed';
  dir?: string | undefined;
  clusterNamespace?: string | undefined;
  exportRequests?: string[] | undefined;
  error?: { code: string; exitCode: number; message: string } | undefined;
  ms: number;
}

export interface FleetSummary {
  total: number;
  succeeded: number;
  failed: number;
  tokensFetched: number;
  concurrency: number;
  ms: number;
  clusters: FleetEntry[];
}

/** Expands -f arguments: files as given, directories to their *.json files (sorted). */
export function expandBindingFiles(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    let isDir = false;
    try {
      isDir = a !== '-' && statSync(a).isDirectory();
    } catch {
      // a missing file is reported when it is read
    }
    if (!isDir) {
      out.push(a);
      continue;
    }
    const found = readdirSync(a).filter((f) => f.endsWith('.json')).sort().map((f) => join(a, f));
    if (!found.length) throw new InputError('HELPER_BINDING_READ', `directory ${a} holds no *.json binding files`);
    out.push(...found);
  }
  return out;
}

/** A directory name for a cluster: its ID when that is a safe file name, else a stable hash of it. */
export function clusterDirName(clusterID: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(clusterID) ? clusterID : `cluster-${createHash('sha256').update(clusterID).digest('hex').slice(0, 12)}`;
}

/** Binds every cluster of a fleet; never throws for one cluster's failure (see the summary). */
export async function runFleet(opts: BootstrapOptions, deps: BootstrapDeps = {}): Promise<FleetSummary> {
  const start = Date.now();
  const outDir = opts.outDir!;
  const files = expandBindingFiles(opts.files);
  if (files.includes('-')) throw new InputError('HELPER_BINDING_READ', 'a fleet reads binding files, not stdin (-)');
  // Every file is read and validated before anything leaves the machine.
  const entries: Array<FleetEntry & { input?: BindingInput }> = files.map((source) => {
    try {
      const raw = readBindingInput(source);
      return { source, status: 'ok' as const, ms: 0, input: { raw, binding: validateBinding(raw, source), source } };
    } catch (err) {
      return { source, status: 'failed' as const, ms: 0, error: errorInfo(err) };
    }
  });
  const byId = new Map<string, string>();
  for (const e of entries) {
    if (!e.input) continue;
    e.clusterID = e.input.binding.clusterID;
    const dir = clusterDirName(e.clusterID);
    const other = byId.get(dir);
    if (other) {
      e.status = 'failed';
      e.error = errorInfo(new InputError('HELPER_FLEET_DUPLICATE', `${e.source}: clusterID ${JSON.stringify(e.clusterID)} is also in ${other}`));
      delete e.input;
      continue;
    }
    byId.set(dir, e.source);
    e.dir = join(outDir, dir);
  }
  const invalid = entries.filter((e) => e.status === 'failed').length;
  if (invalid) log.warn(`${invalid} of ${entries.length} binding file(s) are invalid and will be skipped`);

  const shared = prepare(opts, deps);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const queue = entries.filter((e) => e.input);
  log.info(`binding ${queue.length} cluster(s) at ${shared.url.host} with concurrency ${opts.concurrency}`);
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const e = queue[next++]!;
      if (deps.signal?.aborted) throw deps.signal.reason;
      const t0 = Date.now();
      try {
        const r = await bindOne(shared, e.input!, { dir: e.dir, writeKubeconfig: join(e.dir!, 'provider.kfg.yaml'), output: join(e.dir!, 'all.yaml') });
        e.clusterNamespace = r.clusterNamespace;
        e.exportRequests = r.exportRequests;
      } catch (err) {
        if (deps.signal?.aborted) throw deps.signal.reason;
        e.status = 'failed';
        e.error = errorInfo(err);
        log.error(`cluster ${JSON.stringify(e.clusterID)} (${e.source}) failed: ${e.error.message}`);
      }
      e.ms = Date.now() - t0;
      delete e.input;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length)) }, worker));
  const clusters = entries.map(({ input: _input, ...rest }) => rest);
  const failed = clusters.filter((c) => c.status === 'failed').length;
  return { total: clusters.length, succeeded: clusters.length - failed, failed, tokensFetched: shared.tokens.fetched, concurrency: opts.concurrency, ms: Date.now() - start, clusters };
}

function errorInfo(err: unknown): { code: string; exitCode: number; message: string } {
  if (err instanceof HelperError) return { code: err.code, exitCode: err.exitCode, message: err.message };
  return { code: 'HELPER_INTERNAL', exitCode: ExitCode.internal, message: err instanceof Error ? err.message : String(err) };
}

/** The fleet summary as text lines (one per cluster, then the totals). */
export function formatFleetSummary(s: FleetSummary): string {
  // Every line of an error: a binding file's problems come one per line, each with its JSON path (as in -o json).
  const lines = s.clusters.map((c) => c.status === 'ok'
    ? `ok      ${c.clusterID}  ${c.clusterNamespace}  ${c.dir}  (${c.source})`
    : `FAILED  ${c.clusterID ?? '-'}  ${c.source}: ${(c.error?.message ?? '').split('\n').join('\n        ')}`);
  lines.push(`${s.succeeded} of ${s.total} cluster(s) bound, ${s.failed} failed, in ${(s.ms / 1000).toFixed(1)}s (${s.tokensFetched} token request(s), concurrency ${s.concurrency})`);
  return lines.join('\n') + '\n';
}
