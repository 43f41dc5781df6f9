/**
 * bootstrap-env, step by step:
 *   read binding.json → validate → token → POST /bind-noninteractive →
 *   parse BindingResponse → render all.yaml → create export requests →
 *   wait until Succeeded → write the kubeconfig / all.yaml → print all.yaml.
 * Artifacts are written and printed only after every earlier step
 * succeeded, so a failed run leaves no half-written file and an empty stdout.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { bindUrl } from '../backend/bind-url.ts';
import { parseBindingResponse } from '../backend/binding-response.ts';
import { postBinding } from '../backend/post-binding.ts';
import { InputError } from '../errors.ts';
import { makeDispatcher, readCaFile } from '../http.ts';
import { applyInPhases, parseManifest } from '../kube/apply.ts';
import { ControlPlane, loadKubeConfig } from '../kube/client.ts';
import { createExportRequests, waitForExportRequests } from '../kube/export-requests.ts';
import { addSecret, log } from '../log.ts';
import { renderAppCluster } from '../render/app-cluster.ts';
import { DEFAULT_KONNECTOR_IMAGE } from '../render/konnector.ts';
import { toYaml } from '../render/to-yaml.ts';
import { fetchToken } from '../token/client-credentials.ts';
import { validateBinding } from '../validate/schemas.ts';
import { writeFileAtomic } from '../write/files.ts';

export interface BootstrapOptions {
  file: string;
  url: string;
  writeKubeconfig?: string | undefined;
  output?: string | undefined;
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
}

/** What the run has changed outside this machine so far, for interruption reports. */
export interface Progress {
  bound?: { clusterNamespace: string; host: string } | undefined;
  exportRequests: string[];
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
  else if (!clientSecret) problems.push(`--client-secret-file ${secretFile} is empty`);
  if (!tokenUrl) problems.push('OIDC_TOKEN_URL is not set (the token endpoint of your OIDC provider)');
  if (problems.length) throw new InputError('HELPER_ENV', 'missing credentials for the OIDC client-credentials grant:', problems);
  addSecret(clientSecret);
  return {
    file: argv.file as string,
    url: argv.url as string,
    writeKubeconfig: argv['write-kubeconfig'] as string | undefined,
    output: argv.output as string | undefined,
    konnectorImage: (argv['konnector-image'] as string | undefined) ?? DEFAULT_KONNECTOR_IMAGE,
    clientId,
    clientSecret,
    tokenUrl,
    scope: (argv['oidc-scope'] as string | undefined) ?? (env.OIDC_SCOPE || undefined),
    caFile: argv['ca-file'] as string | undefined,
    insecure: Boolean(argv['insecure-skip-tls-verify']),
    timeoutMs: argv.timeoutMs as number,
    requestTimeoutMs: argv.requestTimeoutMs as number,
    attempts: argv.retries as number + 1,
    wait: argv.wait !== false,
    applyTo: argv['apply-to'] as string | undefined,
  };
}

function readAppKubeconfig(path: string, caPem: string | undefined, insecure: boolean) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError('HELPER_KUBECONFIG_READ', `cannot read --apply-to ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    return loadKubeConfig(text, { extraCaPem: caPem, insecure });
  } catch (err) {
    throw new InputError('HELPER_KUBECONFIG_INVALID', `--apply-to ${path} is not a usable kubeconfig: ${(err as Error).message}`);
  }
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
}

/** Runs the whole binding; returns all.yaml (already written with -o). */
export async function runBootstrapEnv(opts: BootstrapOptions, deps: BootstrapDeps = {}): Promise<BootstrapResult> {
  const progress = deps.progress ?? { exportRequests: [] };
  const source = opts.file === '-' ? 'binding.json (stdin)' : opts.file;
  const raw = readBindingInput(opts.file, deps.stdin);
  const binding = validateBinding(raw, source);
  const url = bindUrl(opts.url, { insecure: opts.insecure });
  const caPem = readCaFile(opts.caFile);
  if (opts.insecure) log.warn('--insecure-skip-tls-verify: TLS certificates of the token endpoint, the backend and the control plane are NOT verified');
  const dispatcher = deps.dispatcher ?? makeDispatcher({ caPem, insecure: opts.insecure, headersTimeoutMs: opts.requestTimeoutMs, bodyTimeoutMs: opts.requestTimeoutMs });

  log.info(`requesting an access token from ${new URL(opts.tokenUrl).host} for client ${opts.clientId}`);
  const token = await fetchToken(
    { clientId: opts.clientId, clientSecret: opts.clientSecret, tokenUrl: opts.tokenUrl, scope: opts.scope },
    { dispatcher, timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, insecure: opts.insecure, signal: deps.signal },
  );
  addSecret(token.accessToken);

  log.info(`binding cluster ${JSON.stringify(binding.clusterID)} (${binding.apis.length} API(s)) at ${url.host}`);
  const body = await postBinding(url, raw, token.accessToken, {
    dispatcher, timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, deadlineMs: Math.max(opts.timeoutMs, 60_000), signal: deps.signal,
  });
  const result = parseBindingResponse(body);
  progress.bound = { clusterNamespace: result.provider.namespace, host: url.host };
  log.info(`bound to cluster namespace ${result.provider.namespace} on ${new URL(result.provider.server).host}`);

  const yaml = toYaml(renderAppCluster({ kubeconfig: result.kubeconfig, requests: result.requests, konnectorImage: opts.konnectorImage }));

  const kc = loadKubeConfig(result.kubeconfig, { extraCaPem: caPem, insecure: opts.insecure });
  const cp = new ControlPlane(kc, result.provider.namespace, { requestTimeoutMs: opts.requestTimeoutMs, signal: deps.signal });
  const created = await createExportRequests(cp, result.requests, (r) => progress.exportRequests.push(r.name));
  const names = created.map((r) => r.name);
  if (opts.wait) await waitForExportRequests(cp, names, { timeoutMs: opts.timeoutMs, signal: deps.signal });
  else log.info('--no-wait: not waiting for the export requests to succeed');

  if (opts.applyTo) {
    const appKc = readAppKubeconfig(opts.applyTo, caPem, opts.insecure);
    log.info(`applying all.yaml to the App Cluster ${new URL(appKc.getCurrentCluster()?.server ?? 'https://unknown').host}`);
    await applyInPhases(appKc, parseManifest(yaml, 'all.yaml'), { timeoutMs: opts.timeoutMs, signal: deps.signal });
  }

  if (opts.writeKubeconfig) {
    writeFileAtomic(opts.writeKubeconfig, result.kubeconfig, 0o600);
    log.info(`wrote provider kubeconfig to ${opts.writeKubeconfig} (mode 0600; it holds a long-lived token)`);
  }
  if (opts.output) {
    writeFileAtomic(opts.output, yaml, 0o600);
    log.info(`wrote ${opts.output} (mode 0600; it holds the provider kubeconfig)`);
  }
  return { yaml, clusterNamespace: result.provider.namespace, exportRequests: names };
}
