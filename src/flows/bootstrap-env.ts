/**
 * bootstrap-env, step by step:
 *   read binding.json → validate → token → POST /bind-noninteractive →
 *   parse BindingResponse → render all.yaml → write the --write-kubeconfig
 *   file → create export requests → wait until Succeeded → (apply to the
 *   App Cluster) → write all.yaml → return all.yaml (the command prints it).
 * The provider kubeconfig is written as soon as the answer is checked, so
 * status and unbind reach the binding whatever fails later; the other
 * artifacts only after every earlier step succeeded, so a failed run leaves
 * no half-written file and an empty stdout.
 * Every change on a server is recorded in the journal as it happens.
 *
 * A fleet (several -f files or a directory, with --out-dir) is flows/fleet.ts:
 * it runs bindOne below per cluster with one shared token (this module does
 * not import it: commands/bootstrap-env.ts picks one of the two).
 */
import type { Dispatcher } from 'undici';
import { checkAnswer, questionBody, type AcceptedClaim } from '../backend/answer.ts';
import { bindUrl } from '../backend/bind-url.ts';
import { parseBindingResponse } from '../backend/binding-response.ts';
import { postBinding } from '../backend/post-binding.ts';
import { InputError, UsageError } from '../errors.ts';
import { hostOf, makeDispatcher, readCaFile, warnInsecure } from '../http.ts';
import { parseManifest } from '../kube/apply.ts';
import { addSecret, log } from '../log.ts';
import { oidcCredentials, type BootstrapEnvOptions, type SecretFileRead } from '../options/bootstrap-env.ts';
import { renderAppCluster } from '../render/app-cluster.ts';
import { toYaml } from '../render/to-yaml.ts';
import { assertionOf } from '../token/assertion.ts';
import { loadClientKey } from '../token/client-key.ts';
import { TokenSource, type TokenClient } from '../token/token-source.ts';
import type { Binding } from '../types.ts';
import { validateBinding } from '../validate/schemas.ts';
import { flowDeps, type FlowDeps, type Files, type FlowOutcome } from './deps.ts';
import type { SecretRef } from '../kube/binding-secret.ts';
import type { CallPolicy } from '../kube/transport.ts';
import type { ExportRequestState } from '../kube/results.ts';
import { bootstrapKube, type ApplyTarget, type BootstrapKube, type SecretTarget } from './kube.ts';

export interface BootstrapDeps extends FlowDeps {
  /** The transport of the token endpoint and the backend (default: one keep-alive agent with the TLS flags). */
  dispatcher: Dispatcher | undefined;
  kube: BootstrapKube;
}

export function bootstrapDeps(given: Partial<BootstrapDeps> = {}): BootstrapDeps {
  return { ...flowDeps(given), dispatcher: given.dispatcher, kube: given.kube ?? bootstrapKube };
}

export type { ExportRequestState };

export interface BootstrapResult {
  yaml: string;
  /** The provider kubeconfig the backend returned (holds a long-lived token). */
  kubeconfig: string;
  clusterNamespace: string;
  exportRequests: string[];
  exportRequestStates: ExportRequestState[];
  /** The permission claims all.yaml accepts (backend/answer.ts). */
  acceptedClaims: AcceptedClaim[];
}

/** The command's flow for one binding (a fleet is flows/fleet.ts; commands/bootstrap-env.ts picks); stdout is all.yaml.
 * */
export async function bootstrapEnv(
  opts: Readonly<BootstrapEnvOptions>,
  given: Partial<BootstrapDeps> = {},
): Promise<FlowOutcome> {
  const deps = bootstrapDeps(given);
  const result = await bindSingle(opts, deps);
  return { stdout: opts.output ? undefined : result.yaml };
}

/** Reads binding.json from a path or '-' (stdin), bounded to 1 MiB. */
export function readBindingInput(file: string, files: Files): Buffer {
  const raw = readInputFile(files, file, 'binding file', 'HELPER_BINDING_READ');
  if (raw.byteLength > 1024 * 1024)
    throw new InputError('HELPER_BINDING_READ', `binding file ${file} is ${raw.byteLength} bytes; the limit is 1 MiB`);
  return raw;
}

/**
 * The steps before any binding, shared by one binding and a fleet: warn about
 * deprecated spellings, read --client-secret-file and judge the OIDC client
 * (InputError listing every problem: exactly one of a secret, a key, an
 * assertion), read and check the key or the assertion file (exit 3 naming
 * it), register every secret for redaction. No network call before this.
 */
export async function credentials(opts: Readonly<BootstrapEnvOptions>, files: Files): Promise<TokenClient> {
  for (const d of opts.deprecations) log.warn(d);
  let secretFile: SecretFileRead;
  if (opts.oidc.clientSecretFile) {
    try {
      secretFile = { text: files.read(opts.oidc.clientSecretFile).toString('utf8') };
    } catch (err) {
      secretFile = { error: String((err as NodeJS.ErrnoException).code ?? err) };
    }
  }
  const creds = oidcCredentials(opts.oidc, secretFile);
  const base = {
    clientId: creds.clientId,
    tokenUrl: creds.tokenUrl,
    scope: creds.scope,
    audience: creds.audience,
    resource: creds.resource,
  };
  if (creds.method === 'secret') {
    addSecret(creds.clientSecret);
    return { ...base, clientSecret: creds.clientSecret };
  }
  if (creds.method === 'key') {
    const bytes = readInputFile(files, creds.keyFile, 'client key file', 'HELPER_CLIENT_KEY');
    const key = await loadClientKey(bytes, creds.keyFile, creds.keyId).catch((err: unknown) => {
      registerPemSecrets(bytes);
      throw err;
    });
    // The whole private members first: redaction replaces secrets in the order they were registered,
    // and a PEM line may be a part of the JWK "d" (the same bytes, base64-aligned).
    for (const s of key.secrets) addSecret(s);
    registerPemSecrets(bytes);
    const mode = files.mode?.(creds.keyFile);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      log.warn(
        `client key file ${creds.keyFile} is readable by ${mode & 0o070 ? 'its group' : ''}` +
          `${(mode & 0o070) && (mode & 0o007) ? ' and ' : ''}${mode & 0o007 ? 'others' : ''} (mode ` +
          `${(mode & 0o777).toString(8).padStart(4, '0')}): it holds a private key; chmod 600 it`,
      );
    }
    log.debug(`client authentication: private_key_jwt, ${key.alg}, key id ${JSON.stringify(key.kid)}`);
    return { ...base, key };
  }
  const file = creds.assertionFile;
  const read = () => files.read(file);
  // Read once now: an unreadable or malformed file fails before any network call.
  addSecret(assertionOf(readInputFile(files, file, 'client assertion file', 'HELPER_CLIENT_ASSERTION'), file));
  return { ...base, assertionFile: { file, grant: creds.grant, read } };
}

/** Reads an input file; an unreadable one is an InputError naming it and why (the binding file, a key, an assertion).
 * */
function readInputFile(files: Files, file: string, what: string, code: string): Buffer {
  try {
    return files.read(file);
  } catch (err) {
    const c = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      code,
      `cannot read ${what} ${file}: ` +
        `${c === 'ENOENT' ? 'no such file' : c === 'EISDIR' ? 'is a directory' : (c ?? String(err))}`,
    );
  }
}

/** Every line of a PEM body is a secret too (a log line never holds the whole file). */
function registerPemSecrets(bytes: Buffer): void {
  for (const line of bytes.toString('utf8').split(/\r?\n/))
    if (/^[A-Za-z0-9+/=]{16,}$/.test(line.trim())) addSecret(line.trim());
}

/**
 * One binding, the CLI's and the library's (lib/bind.ts): the binding file (-f; or `given`, the library's binding,
 * checked after the credentials), the credentials, the checks of every output before any network call, the token,
 * then bindOne. Only the CLI's run (no `given`) secures stdout for all.yaml.
 */
export async function bindSingle(
  opts: Readonly<BootstrapEnvOptions>,
  deps: BootstrapDeps,
  given?: () => BindingInput,
): Promise<BootstrapResult> {
  const file = opts.files[0]!;
  if (!given && opts.files.length === 1 && deps.files.isDirectory(file)) {
    throw new UsageError(
      `-f ${file} is a directory: a directory of binding files binds a fleet; pass --out-dir DIR for the ` +
        `per-cluster files`,
    );
  }
  const creds = await credentials(opts, deps.files);
  if (!given && !opts.output) deps.files.secureStdout("all.yaml with the provider kubeconfig's token");
  const { raw, binding, source } = given ? given() : readBinding(file, deps.files);
  const shared = sharedRun(opts, creds, deps);
  // A bad --apply-to, --output-file or --write-kubeconfig must fail before anything exists on the control plane.
  // --insecure-skip-tls-verify never reaches the App Cluster: its kubeconfig decides (--ca-file is trusted there too).
  const applyTo = opts.applyTo
    ? deps.kube.appCluster(
        opts.applyTo,
        opts.applyToContext,
        { caPem: shared.tls.caPem, insecure: false },
        shared.policy,
      )
    : undefined;
  // --write-secret's cluster: never the --apply-to kubeconfig unless named; in a Pod, its ServiceAccount.
  const secretCluster = opts.writeSecret
    ? deps.kube.secretCluster(
        opts.secretKubeconfig,
        opts.env,
        { caPem: shared.tls.caPem, insecure: false },
        shared.policy,
      )
    : undefined;
  if (opts.output) deps.files.assertWritable(opts.output, '--output-file');
  if (opts.writeKubeconfig) deps.files.assertWritable(opts.writeKubeconfig, '--write-kubeconfig');
  const writeSecret = secretCluster && opts.writeSecret ? { target: secretCluster, ref: opts.writeSecret } : undefined;
  const assertion = 'assertionFile' in creds ? creds.assertionFile : undefined;
  const how =
    'key' in creds && creds.key
      ? ' (private_key_jwt)'
      : assertion
        ? ` (${assertion.grant === 'jwt_bearer' ? 'JWT-bearer grant' : 'client assertion'} from ${assertion.file})`
        : '';
  log.info(`requesting an access token from ${new URL(creds.tokenUrl).host} for client ${creds.clientId}${how}`);
  await shared.tokens.get();
  if (writeSecret) {
    // A Secret of that name that is not this binding's stops the run before anything exists on the control plane.
    log.info(
      `checking Secret ${writeSecret.ref.namespace}/${writeSecret.ref.name} on ${writeSecret.target.server} ` +
        `(--write-secret)`,
    );
    await writeSecret.target.check(writeSecret.ref, binding.clusterID);
  }
  return bindOne(
    shared,
    { raw, binding, source },
    { writeKubeconfig: opts.writeKubeconfig, output: opts.output, applyTo, writeSecret },
  );
}

/** binding.json from a path or '-' (stdin), checked against its schema. */
function readBinding(file: string, files: Files): BindingInput {
  const source = file === '-' ? 'binding.json (stdin)' : file;
  const raw = readBindingInput(file, files);
  return { raw, binding: validateBinding(raw, source), source };
}

/** What every binding of a run shares: the backend URL, TLS, the transport, the token. */
export interface Shared {
  opts: Readonly<BootstrapEnvOptions>;
  url: URL;
  tls: { caPem: string | undefined; insecure: boolean };
  /** The control plane's (and the --apply-to cluster's) calls; their transport is deps.dispatcher when one is given. */
  policy: CallPolicy;
  dispatcher: Dispatcher;
  tokens: TokenSource;
  deps: BootstrapDeps;
}

/** The shared part of a run: backend URL, CA, transport and token source (read before any network call). */
export function sharedRun(opts: Readonly<BootstrapEnvOptions>, creds: TokenClient, deps: BootstrapDeps): Shared {
  const url = bindUrl(opts.url);
  const caPem = readCaFile(opts.caFile);
  if (opts.insecure) {
    // Every server the flag covers is named: the control plane once the backend's kubeconfig names it (bindOne).
    warnInsecure(
      `the TLS certificates of the token endpoint ${hostOf(creds.tokenUrl)}, the backend ${url.host} and the ` +
        `control plane the backend names are`,
    );
    if (opts.applyTo)
      log.warn(
        `--insecure-skip-tls-verify does not cover the App Cluster of --apply-to ${opts.applyTo}: its ` +
          `kubeconfig decides how it is verified`,
      );
  }
  const dispatcher =
    deps.dispatcher ??
    makeDispatcher({
      caPem,
      insecure: opts.insecure,
      headersTimeoutMs: opts.requestTimeoutMs,
      bodyTimeoutMs: opts.requestTimeoutMs,
    });
  const tokens = new TokenSource(creds, {
    dispatcher,
    timeoutMs: opts.requestTimeoutMs,
    attempts: opts.attempts,
    insecure: opts.insecure,
    signal: deps.signal,
    now: deps.clock,
  });
  return {
    opts,
    url,
    dispatcher,
    tokens,
    deps,
    tls: { caPem, insecure: opts.insecure },
    policy: {
      requestTimeoutMs: opts.requestTimeoutMs,
      attempts: opts.attempts,
      signal: deps.signal,
      dispatcher: deps.dispatcher,
    },
  };
}

export interface BindingInput {
  raw: Buffer;
  binding: Binding;
  source: string;
}

export interface BindOutputs {
  /** Create this directory (0700) for the files, once everything before writing succeeded. */
  dir?: string | undefined;
  writeKubeconfig?: string | undefined;
  output?: string | undefined;
  /** --apply-to, loaded before any network call. */
  applyTo?: ApplyTarget | undefined;
  /** --write-secret: the Secret and its cluster, loaded (and the Secret checked) before the bind. */
  writeSecret?: { target: SecretTarget; ref: SecretRef } | undefined;
}

/** Binds one cluster: bind, export requests, (apply), then the files. */
export async function bindOne(s: Shared, input: BindingInput, out: BindOutputs): Promise<BootstrapResult> {
  const { opts, url, deps } = s;
  const { binding } = input;
  const token = await s.tokens.get();
  log.info(`binding cluster ${JSON.stringify(binding.clusterID)} (${binding.apis.length} API(s)) at ${url.host}`);
  const body = await postBinding(url, questionBody(input.raw, binding), token, {
    dispatcher: s.dispatcher,
    timeoutMs: opts.requestTimeoutMs,
    attempts: opts.attempts,
    deadlineMs: Math.max(opts.timeoutMs, 60_000),
    signal: deps.signal,
  });
  const result = parseBindingResponse(body);
  const ns = result.provider.namespace;
  if (opts.insecure)
    warnInsecure(
      `the TLS certificate of the control plane ${new URL(result.provider.server).host} (from the backend's ` +
        `kubeconfig) is`,
    );
  deps.journal.recordBound({ clusterID: binding.clusterID, clusterNamespace: ns, host: url.host });
  log.info(
    `cluster ${JSON.stringify(binding.clusterID)} bound to cluster namespace ${ns} on ` +
      `${new URL(result.provider.server).host}`,
  );
  // The answer must match the question before anything is created, written or applied.
  const acceptedClaims = checkAnswer(binding, result.requests, ns);
  // The bind succeeded: the provider kubeconfig is written now, so that status and unbind reach the
  // binding whatever fails later.
  if (out.writeKubeconfig) {
    if (out.dir) deps.files.mkdir(out.dir);
    deps.files.write(out.writeKubeconfig, result.kubeconfig, 0o600);
    deps.journal.recordKubeconfig(binding.clusterID, out.writeKubeconfig);
    log.info(`wrote provider kubeconfig to ${out.writeKubeconfig} (mode 0600; it holds a long-lived token)`);
  }

  const yaml = toYaml(
    renderAppCluster({ kubeconfig: result.kubeconfig, requests: result.requests, konnectorImage: opts.konnectorImage }),
  );

  const cp = deps.kube.controlPlane(result.connection, ns, s.tls, s.policy);
  const created = await cp.createExportRequests(result.requests, (r) =>
    deps.journal.recordExportRequest(`${ns}/${r.name}`),
  );
  const names = created.map((r) => r.name);
  if (opts.wait) await cp.waitForExportRequests(names, opts.timeoutMs);
  else
    log.info(
      `--no-wait: not waiting for the export requests of cluster ${JSON.stringify(binding.clusterID)} to succeed`,
    );
  const phase = opts.wait ? ('Succeeded' as const) : ('unknown' as const);
  const exportRequestStates = created.map((r) => ({ name: r.name, action: r.action, phase }));

  if (out.applyTo) {
    const app = out.applyTo;
    const objects = parseManifest(yaml, 'all.yaml');
    const onApplied = deps.journal.startApply(app.server, objects.length);
    log.info(`applying all.yaml to the ${app.server}`);
    await app.apply(objects, { timeoutMs: opts.timeoutMs, onApplied });
    if (opts.waitBindingsMs !== undefined) await app.waitBindings(objects, opts.waitBindingsMs);
  }
  if (out.dir) deps.files.mkdir(out.dir);
  if (out.output) {
    deps.files.write(out.output, yaml, 0o600);
    log.info(`wrote ${out.output} (mode 0600; it holds the provider kubeconfig)`);
  }
  if (out.writeSecret) {
    const { target, ref } = out.writeSecret;
    const what = `Secret ${ref.namespace}/${ref.name} on ${target.server}`;
    const outcome = await target.write(ref, binding.clusterID, { kubeconfig: result.kubeconfig, manifest: yaml });
    deps.journal.recordSecret(`${ref.namespace}/${ref.name}`, target.server);
    log.info(`${outcome} ${what} (keys provider.kfg.yaml and all.yaml; it holds the provider kubeconfig's token)`);
  }
  return {
    yaml,
    kubeconfig: result.kubeconfig,
    clusterNamespace: ns,
    exportRequests: names,
    exportRequestStates,
    acceptedClaims,
  };
}
