/**
 * helper as a library: the verbs as functions with plain typed inputs (sane
 * defaults, nothing argv-shaped) and typed results. The CLI (cli.ts) is an
 * adapter over the same flows.
 *
 * Nothing global: every call runs in a scope of its own (log.ts runInScope)
 * with the caller's logger (none: nothing is written anywhere), a secret
 * registry of its own (every line handed to the logger is redacted) and the
 * caller's environment (proxy variables, $KUBECONFIG; none: {}). The signal,
 * the clock, the file access and the undici dispatcher are passed in. The
 * public surface is listed in test/helpers/library-surface.ts.
 */
import type { AcceptedClaim } from './backend/answer.ts';
import type { HelperError } from './errors.ts';
import type { Files } from './flows/deps.ts';
import { Logger, runInScope, Secrets, silent, type Level, type LogFormat } from './log.ts';
import type { BootstrapEnvOptions } from './options/bootstrap-env.ts';
import type { DataServiceName } from './control-plane/values.ts';
import type { Binding } from './types.ts';

export {
  AuthError,
  BackendError,
  ClusterError,
  DeletedError,
  ERROR_CODES,
  ExitCode,
  FailedError,
  HelperError,
  InputError,
  InterruptedError,
  PartialError,
  TimeoutError,
  UsageError,
  type ErrorCode,
  type ExitName,
} from './errors.ts';
export type { AcceptedClaim, Binding, Files, Level, LogFormat };
export type { DataServiceName };

/**
 * An export request of the binding: created, found equivalent or recreated;
 * Succeeded once waited for (the wait fails otherwise), unknown with wait off.
 * (flows/bootstrap-env.ts makes it; declared here so the types need no undici.)
 */
export interface ExportRequestState {
  name: string;
  action: 'created' | 'reused' | 'replaced';
  phase: 'Succeeded' | 'unknown';
}

/*
 * The reports, as the library hands them out. flows/status.ts, flows/unbind.ts
 * and control-plane/check.ts make them (each function below returns theirs, so
 * the compiler checks they fit); declared here because those modules' types
 * reach undici, which a consumer of this package need not have. When the one
 * report model (src/report/) has types of its own, these become re-exports.
 */
export type Side = 'control-plane' | 'app-cluster';

export interface StatusItem {
  side: Side;
  kind: string;
  name: string;
  namespace?: string | undefined;
  verdict: 'ok' | 'degraded' | 'missing' | 'unreadable' | 'unreachable';
  detail: string;
  facts?: Record<string, unknown> | undefined;
}

export interface StatusReport {
  verdict: 'ok' | 'degraded' | 'missing' | 'unreachable' | 'unknown';
  clusterNamespace: string;
  controlPlane: { server: string };
  appCluster: { server: string } | null;
  heartbeat: {
    konnectorVersion: string | null;
    lastHeartbeatTime: string | null;
    ageSeconds: number | null;
    intervalSeconds: number | null;
    state: 'fresh' | 'stale' | 'none';
  } | null;
  counts: Record<StatusItem['verdict'], number>;
  items: StatusItem[];
}

export interface UnbindAction {
  side: Side;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  op: 'delete' | 'unmark' | 'mark' | 'keep';
  /** The action's result ('not reached' when the run stopped before it). */
  verdict: string;
  detail: string;
  note?: string | undefined;
  message?: string | undefined;
  resource?: string | undefined;
}

export interface UnbindReport {
  verdict: 'done' | 'dry run' | 'nothing to do' | 'incomplete';
  dryRun: boolean;
  purge: boolean;
  clusterNamespace: string;
  controlPlane: { server: string };
  appCluster: { server: string } | null;
  nothingToDo: boolean;
  items: UnbindAction[];
  hints: string[];
}

export interface CheckReport {
  server: string;
  healthy: boolean;
  counts: Record<string, number>;
  firstProblem: { status: string; object: string; detail: string } | undefined;
  items: Array<{ status: 'ok' | 'missing' | 'invalid' | 'not-ready' | 'cannot-see'; object: string; detail: string }>;
}

/** A namespace created in a binding. */
export interface NamespaceResult {
  /** The App Cluster namespace name. */
  name: string;
  /** The namespace on the control plane. */
  namespace: string;
  clusterNamespace: string;
  created: boolean;
  /** A konnector was connected to the binding (and kept the APIServiceNamespace). */
  konnectorConnected: boolean;
}

/** A Kubernetes object of a manifest (kube/apply.ts's ApplyObject; declared here so the types need no undici). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** What apply did: each object, its phase (1: Namespaces and CRDs, 2: the rest) and outcome (none in a dry run). */
export interface ApplyResult {
  applied: Array<{
    kind: string;
    name: string;
    namespace?: string | undefined;
    phase: 1 | 2;
    outcome?: 'created' | 'configured' | 'unchanged' | undefined;
  }>;
}

/**
 * Where log lines go: a function of one line (already redacted, control
 * characters escaped, ending in a newline), or that with a level and format.
 * Without one a call writes nothing.
 */
export type LogSink = ((line: string) => void) | { write: (line: string) => void; level?: Level; format?: LogFormat };

/**
 * An undici Dispatcher (Agent, ProxyAgent, MockAgent) for the token endpoint,
 * the backend and the control plane of bind. Typed loosely so that the types
 * do not need undici installed.
 */
export type Transport = object;

/** What every call takes; all optional. */
export interface RunOptions {
  /** Aborts the call (every wait and request observes it). */
  signal?: AbortSignal;
  logger?: LogSink;
  /**
   * The environment the call sees: HTTPS_PROXY/HTTP_PROXY/NO_PROXY, $KUBECONFIG and $HOME for a kubeconfig
   * not named. Default: none ({}).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
  /** The local files read and written (default: the file system). */
  files?: Files;
}

/** The transport of a call that takes one (bind, createNamespace, applyManifests). */
export interface TransportOptions {
  /**
   * An undici Dispatcher for bind's token endpoint, backend and control plane, or createNamespace's and
   * applyManifests' cluster (default: keep-alive agents with the TLS inputs).
   */
  dispatcher?: Transport;
}

/** How the servers are reached. */
export interface ConnectOptions {
  /** An extra PEM CA bundle file trusted for the servers (the kubeconfig's own CA stays trusted). */
  caFile?: string;
  /** Do not verify TLS certificates (logs a warning; never in production). */
  insecure?: boolean;
  /** The bound of each request (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** Retries of a request on network errors, timeouts, 429 and 5xx (default 3; bind: 4). */
  retries?: number;
}

/** A kubeconfig: a file, and a context in it. */
export interface KubeconfigSource {
  /** Path of the kubeconfig (default: $KUBECONFIG of `env`, else ~/.kube/config under its $HOME). */
  kubeconfig?: string;
  /** Its context (default: its current-context). */
  context?: string;
}

/** The OIDC client of the token request: exactly one of a secret, a private key file, an assertion file. */
export type OidcClient = {
  clientId: string;
  /** The token endpoint (https://). */
  tokenUrl: string;
  scope?: string;
  audience?: string;
  resource?: string;
} & (
  | { clientSecret: string }
  | { clientKeyFile: string; clientKeyId?: string }
  | { clientAssertionFile: string; grant?: 'client_credentials' | 'jwt_bearer' }
);

export interface BindInput extends RunOptions, ConnectOptions, TransportOptions {
  /** binding.json: the object or its JSON text ({"clusterID", "apis": [{group, resource}]}). */
  binding: Binding | string;
  /** The backend URL; /bind-noninteractive is appended when absent. */
  url: string;
  oidc: OidcClient;
  /** Wait until every export request is Succeeded (default true). */
  wait?: boolean;
  /** Bound of that wait (default 300 000 ms). */
  timeoutMs?: number;
  /** The konnector image of the App Cluster manifests (default helper's). */
  konnectorImage?: string;
}

export interface BindResult {
  /** The App Cluster manifests (all.yaml) as objects and as YAML. */
  manifests: Manifest[];
  yaml: string;
  /** The provider kubeconfig (it holds a long-lived token: keep it secret). */
  kubeconfig: string;
  /** The binding's namespace on the control plane. */
  clusterNamespace: string;
  exportRequests: ExportRequestState[];
  /** The permission claims all.yaml accepts. */
  acceptedClaims: AcceptedClaim[];
}

/** Default call settings (the CLI's flag defaults). */
const REQUEST_TIMEOUT_MS = 30_000;

async function inScope<T>(run: RunOptions, fn: () => Promise<T>): Promise<T> {
  return runInScope({ logger: loggerOf(run.logger), secrets: new Secrets(), env: run.env ?? {} }, fn);
}

function loggerOf(sink: LogSink | undefined): Logger {
  if (!sink) return silent();
  if (typeof sink === 'function') return new Logger({ write: sink });
  return new Logger({ write: (line) => sink.write(line), level: sink.level ?? 'info', format: sink.format ?? 'text' });
}

function deps(run: RunOptions) {
  return {
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.clock ? { clock: run.clock } : {}),
    ...(run.files ? { files: run.files } : {}),
  };
}

function calls(c: ConnectOptions, retries: number) {
  return {
    caFile: c.caFile,
    insecure: c.insecure ?? false,
    requestTimeoutMs: c.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    attempts: (c.retries ?? retries) + 1,
  };
}

function env(run: RunOptions): NodeJS.ProcessEnv {
  return { ...(run.env ?? {}) } as NodeJS.ProcessEnv;
}

/**
 * Binds one App Cluster: token → POST /bind-noninteractive → the manifests
 * and the provider kubeconfig → the export requests created and (by default)
 * waited for. Writes no file; the caller applies the manifests (applyManifests).
 */
export async function bind(input: BindInput): Promise<BindResult> {
  return inScope(input, async () => {
    const { bindOne, bootstrapDeps, credentials, sharedRun } = await import('./flows/bootstrap-env.ts');
    const { parseManifest } = await import('./kube/apply.ts');
    const { validateBinding } = await import('./validate/schemas.ts');
    const { DEFAULT_KONNECTOR_IMAGE } = await import('./render/konnector.ts');
    const o = input.oidc;
    const opts: BootstrapEnvOptions = {
      files: ['binding'],
      url: input.url,
      fleet: false,
      format: 'yaml',
      deprecations: [],
      output: undefined,
      writeKubeconfig: undefined,
      outDir: undefined,
      concurrency: 1,
      konnectorImage: input.konnectorImage ?? DEFAULT_KONNECTOR_IMAGE,
      oidc: {
        clientId: o.clientId,
        tokenUrl: o.tokenUrl,
        scope: o.scope,
        audience: o.audience,
        resource: o.resource,
        clientSecret: 'clientSecret' in o ? o.clientSecret : '',
        clientSecretFile: undefined,
        clientKeyFile: 'clientKeyFile' in o ? o.clientKeyFile : undefined,
        clientKeyId: 'clientKeyFile' in o ? o.clientKeyId : undefined,
        clientAssertionFile: 'clientAssertionFile' in o ? o.clientAssertionFile : undefined,
        grant: ('clientAssertionFile' in o ? o.grant : undefined) ?? 'client_credentials',
      },
      ...calls(input, 4),
      timeoutMs: input.timeoutMs ?? 300_000,
      wait: input.wait ?? true,
      applyTo: undefined,
      applyToContext: undefined,
      waitBindingsMs: undefined,
      writeSecret: undefined,
      secretKubeconfig: undefined,
      env: env(input),
    };
    const d = bootstrapDeps({ ...deps(input), dispatcher: input.dispatcher as never });
    const creds = await credentials(opts, d.files);
    const raw = Buffer.from(typeof input.binding === 'string' ? input.binding : JSON.stringify(input.binding));
    const binding = validateBinding(raw, 'binding');
    const r = await bindOne(sharedRun(opts, creds, d), { raw, binding, source: 'binding' }, {});
    return {
      manifests: parseManifest(r.yaml, 'all.yaml'),
      yaml: r.yaml,
      kubeconfig: r.kubeconfig,
      clusterNamespace: r.clusterNamespace,
      exportRequests: r.exportRequestStates,
      acceptedClaims: r.acceptedClaims,
    };
  });
}

export interface CreateNamespaceInput extends RunOptions, ConnectOptions, KubeconfigSource, TransportOptions {
  /** The namespace name on the App Cluster. */
  name: string;
  /** How long to wait for the control plane to create it (default 60 000 ms). */
  timeoutMs?: number;
}

/** Creates a namespace in a binding (the provider kubeconfig) and returns its control-plane name. */
export async function createNamespace(input: CreateNamespaceInput): Promise<NamespaceResult> {
  return inScope(input, async () => {
    const { runCreateNs } = await import('./flows/create-ns.ts');
    return runCreateNs(
      {
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        name: input.name,
        format: 'json',
        timeoutMs: input.timeoutMs ?? 60_000,
        ...calls(input, 3),
      },
      { ...deps(input), dispatcher: input.dispatcher as never },
    );
  });
}

export interface ApplyInput extends RunOptions, ConnectOptions, KubeconfigSource, TransportOptions {
  /** The manifests (all.yaml): YAML text or objects. */
  manifests: string | readonly Manifest[];
  dryRun?: boolean;
  /** Bound of the whole apply, including the wait for CRDs (default 120 000 ms). */
  timeoutMs?: number;
  /** Then wait this long for every APIServiceBinding to be Ready (default: no wait). */
  waitBindingsMs?: number;
}

/** Applies manifests to a cluster in one pass (server-side apply; CRDs first, then the rest). */
export async function applyManifests(input: ApplyInput): Promise<ApplyResult> {
  return inScope(input, async () => {
    const { apply } = await import('./flows/apply.ts');
    const { realFiles } = await import('./flows/deps.ts');
    const { toYaml } = await import('./render/to-yaml.ts');
    const text = typeof input.manifests === 'string' ? input.manifests : toYaml(input.manifests);
    const base = input.files ?? realFiles;
    const files: Files = { ...base, read: (p) => (p === MANIFESTS ? Buffer.from(text) : base.read(p)) };
    const r = await apply(
      {
        file: MANIFESTS,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        dryRun: input.dryRun ?? false,
        timeoutMs: input.timeoutMs ?? 120_000,
        waitBindingsMs: input.waitBindingsMs,
        ...calls(input, 3),
      },
      { ...deps(input), files, dispatcher: input.dispatcher as never },
    );
    return r.result;
  });
}

/** The name apply's messages give the manifests passed in. */
const MANIFESTS = 'manifests';

export interface StatusInput extends RunOptions, ConnectOptions, KubeconfigSource {
  /** Also check the App Cluster of this kubeconfig. */
  appKubeconfig?: string;
  /** Bound of the whole report (default 30 000 ms). */
  timeoutMs?: number;
}

/** The binding's health as a typed report (its verdict does not throw: read report.verdict). */
export async function status(input: StatusInput): Promise<StatusReport> {
  return inScope(input, async () => {
    const { runStatus } = await import('./flows/status.ts');
    return runStatus(
      {
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        appKubeconfig: input.appKubeconfig,
        format: 'json',
        timeoutMs: input.timeoutMs ?? 30_000,
        ...calls(input, 3),
      },
      deps(input),
    );
  });
}

export interface UnbindInput extends RunOptions, ConnectOptions {
  /** The provider kubeconfig of the binding (always named: it picks what is deleted). */
  kubeconfig: string;
  context?: string;
  /** The App Cluster's kubeconfig: also remove the konnector and the bindings there. */
  appKubeconfig?: string;
  /** Also delete the claims (the data services) of the binding: cannot be undone. */
  purge?: boolean;
  deleteCrds?: boolean;
  /** Plan only (the report's actions say what would be done). */
  dryRun?: boolean;
  /** Asked before --purge deletes; without it purge needs yes. */
  confirm?: (question: string) => Promise<boolean>;
  yes?: boolean;
  /** Bound of the whole unbind (default 300 000 ms). */
  timeoutMs?: number;
}

/** Unbinds: the plan and what was done (report.actions); refused deletions are in the report, not thrown. */
export async function unbind(input: UnbindInput): Promise<UnbindReport> {
  return inScope(input, async () => {
    const { runUnbind } = await import('./flows/unbind.ts');
    return runUnbind(
      {
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        appKubeconfig: input.appKubeconfig,
        purge: input.purge ?? false,
        deleteCrds: input.deleteCrds ?? false,
        dryRun: input.dryRun ?? false,
        yes: input.yes ?? false,
        interactive: false,
        format: 'json',
        timeoutMs: input.timeoutMs ?? 300_000,
        ...calls(input, 3),
      },
      { ...deps(input), confirm: input.confirm },
    );
  });
}

/** The commented values file of control-plane init. */
export async function controlPlaneInit(input: { dataServices: readonly DataServiceName[] }): Promise<string> {
  const { initValues } = await import('./control-plane/init.ts');
  return inScope({}, async () => initValues({ dataServices: input.dataServices }));
}

export interface ControlPlaneValuesInput extends RunOptions {
  /** The values file (control-plane init's). */
  valuesFile: string;
  /** A previous render whose cookie keys to keep. */
  previous?: string;
  /** Derive the cookie keys from this seed (env:NAME, file:PATH or a literal). */
  seed?: string;
}

export interface ControlPlaneRenderInput extends ControlPlaneValuesInput {
  /** The control plane's kubeconfig (only this file, never $KUBECONFIG), for its CA and address. */
  kubeconfig?: string;
  context?: string;
}

/** The control plane's manifests (YAML; it holds credentials) from a values file, offline. */
export async function controlPlaneRender(input: ControlPlaneRenderInput): Promise<string> {
  return inScope(input, async () => {
    const { controlPlaneRender: render } = await import('./flows/control-plane-render.ts');
    const files = { ...(await import('./flows/deps.ts')).realFiles, secureStdout: () => {}, ...input.files };
    const r = await render(
      {
        file: input.valuesFile,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        previous: input.previous,
        seed: input.seed,
        output: undefined,
        deprecations: [],
      },
      { ...deps(input), files },
    );
    return r.stdout ?? '';
  });
}

export interface ControlPlaneApplyInput extends ControlPlaneValuesInput, ConnectOptions, KubeconfigSource {
  dryRun?: boolean;
  /** Delete what an earlier apply made and these values no longer do. */
  prune?: boolean;
  /** Bound of the whole apply (default 300 000 ms). */
  timeoutMs?: number;
}

/** Renders the values and applies them to the control plane. */
export async function controlPlaneApply(input: ControlPlaneApplyInput): Promise<void> {
  return inScope(input, async () => {
    const { controlPlaneApply: applyCp } = await import('./flows/control-plane-apply.ts');
    await applyCp(
      {
        file: input.valuesFile,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        previous: input.previous,
        seed: input.seed,
        dryRun: input.dryRun ?? false,
        prune: input.prune ?? false,
        timeoutMs: input.timeoutMs ?? 300_000,
        ...calls(input, 3),
      },
      deps(input),
    );
  });
}

export interface ControlPlaneCheckInput extends RunOptions, ConnectOptions, KubeconfigSource {
  /** Expect what render makes of this values file (default: what the cluster has). */
  valuesFile?: string;
  /** A not-ready item fails the check (default true). */
  requireReady?: boolean;
}

/** The control plane's health: the report, and the error its verdict ends with (undefined: it passes). */
export async function controlPlaneCheck(
  input: ControlPlaneCheckInput,
): Promise<{ report: CheckReport; error: HelperError | undefined }> {
  return inScope(input, async () => {
    const { controlPlaneCheck: check } = await import('./flows/control-plane-check.ts');
    const r = await check(
      {
        file: input.valuesFile,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        format: 'json',
        requireReady: input.requireReady ?? true,
        ...calls(input, 3),
      },
      deps(input),
    );
    return { report: JSON.parse(r.stdout ?? '{}') as CheckReport, error: r.error };
  });
}

/** The values file that reproduces a control plane set up by hand (read-only). */
export async function controlPlaneAdopt(input: RunOptions & ConnectOptions & KubeconfigSource): Promise<string> {
  return inScope(input, async () => {
    const { controlPlaneAdopt: adopt } = await import('./flows/control-plane-adopt.ts');
    const r = await adopt(
      {
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: env(input),
        output: undefined,
        deprecations: [],
        ...calls(input, 3),
      },
      deps(input),
    );
    return r.stdout ?? '';
  });
}
