/** bind as a library function: one App Cluster bound, its manifests, provider kubeconfig and export requests. */
import type { AcceptedClaim } from '../backend/answer.ts';
import type { BootstrapEnvOptions } from '../options/bootstrap-env.ts';
import type { Binding } from '../types.ts';
import type { ApplyObject as Manifest, ExportRequestState } from '../kube/results.ts';
import type { FlowOutcome } from '../flows/deps.ts';
import {
  callsOf,
  depsOf,
  envOf,
  inScope,
  type CliCall,
  type ConnectOptions,
  type RunOptions,
  type TransportOptions,
} from './run.ts';

/** The OIDC client of the token request: exactly one of a secret, a private key file, an assertion file. */
export type OidcClient = {
  /** The OIDC client's ID. */
  clientId: string;
  /** The token endpoint (https://). */
  tokenUrl: string;
  /** The token request's scope (default none). */
  scope?: string;
  /** The token request's `audience` parameter (default none). */
  audience?: string;
  /** The token request's `resource` parameter, RFC 8707 (default none). */
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
  /** The OIDC client whose access token the backend accepts. */
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
  /** The same manifests as one multi-document YAML (all.yaml). */
  yaml: string;
  /** The provider kubeconfig (it holds a long-lived token: keep it secret). */
  kubeconfig: string;
  /** The binding's namespace on the control plane. */
  clusterNamespace: string;
  /** The export requests created (or found equivalent) on the control plane, and their phases. */
  exportRequests: ExportRequestState[];
  /** The permission claims all.yaml accepts. */
  acceptedClaims: AcceptedClaim[];
}

/**
 * Binds one App Cluster: token → POST /bind-noninteractive → the manifests
 * and the provider kubeconfig → the export requests created and (by default)
 * waited for. Writes no file; the caller applies the manifests (applyManifests).
 */
export async function bind(input: BindInput): Promise<BindResult> {
  return inScope(input, undefined, async () => {
    const { bindSingle, bootstrapDeps } = await import('../flows/bootstrap-env.ts');
    const { parseManifest } = await import('../kube/apply.ts');
    const { validateBinding } = await import('../validate/schemas.ts');
    const opts = await bindFlowOptions(input);
    const d = bootstrapDeps({ ...depsOf(input), dispatcher: input.dispatcher as never });
    const raw = Buffer.from(typeof input.binding === 'string' ? input.binding : JSON.stringify(input.binding));
    const r = await bindSingle(opts, d, () => ({ raw, binding: validateBinding(raw, 'binding'), source: 'binding' }));
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

/** The flow's options of an input: one binding, no file written, nothing applied. */
async function bindFlowOptions(input: BindInput): Promise<BootstrapEnvOptions> {
  const { DEFAULT_KONNECTOR_IMAGE } = await import('../render/konnector.ts');
  const o = input.oidc;
  return {
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
    ...callsOf(input, 4),
    timeoutMs: input.timeoutMs ?? 300_000,
    wait: input.wait ?? true,
    applyTo: undefined,
    applyToContext: undefined,
    waitBindingsMs: undefined,
    writeSecret: undefined,
    secretKubeconfig: undefined,
    env: envOf(input),
  };
}

/**
 * @internal The CLI's bootstrap-env, in its process scope: one binding (bind's flow, bindSingle, with the CLI's
 * binding file, OIDC environment and outputs; all.yaml for stdout unless --output-file) or a fleet of them.
 */
export async function bootstrapCall(
  opts: Readonly<BootstrapEnvOptions>,
  run: RunOptions,
  cli: CliCall,
): Promise<FlowOutcome> {
  return inScope(run, cli, async () => {
    if (opts.fleet) return (await import('../flows/fleet.ts')).fleet(opts, depsOf(run, cli));
    return (await import('../flows/bootstrap-env.ts')).bootstrapEnv(opts, depsOf(run, cli));
  });
}
