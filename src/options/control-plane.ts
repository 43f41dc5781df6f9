/**
 * The options of every control-plane sub-verb (init, render, apply, check,
 * adopt), pure: (argv, env) → frozen options. One module for the five, since
 * they share the values file, the kubeconfig, the cookie-key and TLS flags.
 */
import { DATA_SERVICE_NAMES, type DataServiceName } from '../control-plane/catalog.ts';
import { UsageError } from '../errors.ts';
import { callPolicyOf, checkRetries, durationOf, isDryRun, kubeconfigOf, resolveOutput, tlsOf, tlsOptions, type KubeconfigFlags, type CallFlags, type TlsFlags } from './flags.ts';

export interface InitOptions {
  dataServices: readonly DataServiceName[];
}

export function controlPlaneInitOptions(argv: Record<string, unknown>, _env: NodeJS.ProcessEnv): Readonly<InitOptions> {
  const wanted = ([] as string[]).concat(argv['data-services'] as string[]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((s) => !(DATA_SERVICE_NAMES as string[]).includes(s));
  if (unknown.length) throw new UsageError(`--data-services: unknown ${unknown.join(', ')} (choose from ${DATA_SERVICE_NAMES.join(', ')})`);
  if (!wanted.length) throw new UsageError('--data-services: name at least one data service');
  return Object.freeze({ dataServices: Object.freeze(wanted as DataServiceName[]) });
}

/** The cluster flags of render, apply, check and adopt. */
export interface ClusterOptions extends KubeconfigFlags, CallFlags, TlsFlags {
  env: NodeJS.ProcessEnv;
}

function clusterOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): ClusterOptions {
  return { ...kubeconfigOf(argv), env, ...callPolicyOf(argv), ...tlsOf(argv) };
}

export interface RenderOptions {
  /** Values file, or '-' for stdin. */
  file: string;
  /** --kubeconfig, only the flag (render is offline; never $KUBECONFIG). */
  kubeconfig: string | undefined;
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  previous: string | undefined;
  seed: string | undefined;
  /** --output-file (or -o FILE, deprecated); undefined: stdout. */
  output: string | undefined;
  deprecations: readonly string[];
}

export function controlPlaneRenderOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<RenderOptions> {
  if (argv.context !== undefined && argv.kubeconfig === undefined) throw new UsageError('--context picks a context of --kubeconfig; pass --kubeconfig too');
  const out = resolveOutput(argv, ['yaml'], 'yaml');
  return Object.freeze({
    file: argv.file as string,
    ...kubeconfigOf(argv),
    env,
    previous: argv.previous as string | undefined,
    seed: argv.seed as string | undefined,
    output: out.file,
    deprecations: Object.freeze(out.deprecations),
  });
}

export interface ApplyOptions extends ClusterOptions {
  file: string;
  previous: string | undefined;
  seed: string | undefined;
  dryRun: boolean;
  prune: boolean;
  timeoutMs: number;
}

export function controlPlaneApplyOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<ApplyOptions> {
  checkRetries(argv.retries);
  const timeoutMs = durationOf(argv, 'timeout');
  return Object.freeze({
    file: argv.file as string,
    ...clusterOptions(argv, env),
    previous: argv.previous as string | undefined,
    seed: argv.seed as string | undefined,
    dryRun: isDryRun(argv),
    prune: Boolean(argv.prune),
    timeoutMs,
  });
}

export interface CheckOptions extends ClusterOptions {
  /** Values file: expect what render makes of it; undefined: what adopt reads from the cluster. */
  file: string | undefined;
  format: 'text' | 'json';
  requireReady: boolean;
}

export function controlPlaneCheckOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<CheckOptions> {
  checkRetries(argv.retries);
  return Object.freeze({
    file: argv.file as string | undefined,
    ...clusterOptions(argv, env),
    format: argv.output === 'json' ? 'json' : 'text',
    requireReady: argv['require-ready'] !== false,
  });
}

export interface AdoptOptions extends ClusterOptions {
  output: string | undefined;
  deprecations: readonly string[];
}

export function controlPlaneAdoptOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<AdoptOptions> {
  const out = resolveOutput(argv, ['yaml'], 'yaml');
  checkRetries(argv.retries);
  return Object.freeze({ ...clusterOptions(argv, env), output: out.file, deprecations: Object.freeze(out.deprecations) });
}

/** --previous and --seed (render, apply): where the backend's cookie keys come from. */
export const KEY_OPTIONS = {
  previous: { type: 'string', requiresArg: true, normalize: true, describe: 'a previous render (control-plane.yaml): keep its cookie keys' },
  seed: { type: 'string', requiresArg: true, describe: 'derive the cookie keys from this seed (prefer env:NAME or file:PATH over a literal)' },
} as const;

/** --ca-file and --insecure-skip-tls-verify as the control-plane sub-verbs word them. */
export const TLS_OPTIONS = tlsOptions('the control plane\'s API', 'the control plane\'s TLS certificate (prints a warning)');
