/** The control-plane sub-verbs as library functions. */
import type { CheckReport } from '../control-plane/check.ts';
import type { DataServiceName } from '../control-plane/values.ts';
import type { HelperError } from '../errors.ts';
import { callsOf, depsOf, envOf, inScope, type ConnectOptions, type KubeconfigSource, type RunOptions } from './run.ts';

/** The commented values file of control-plane init. */
export async function controlPlaneInit(input: { dataServices: readonly DataServiceName[] }): Promise<string> {
  const { initValues } = await import('../control-plane/init.ts');
  return inScope({}, undefined, async () => initValues({ dataServices: input.dataServices }));
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
  /** Its context (default: its current-context). */
  context?: string;
}

/** The control plane's manifests (YAML; it holds credentials) from a values file, offline. */
export async function controlPlaneRender(input: ControlPlaneRenderInput): Promise<string> {
  return inScope(input, undefined, async () => {
    const { controlPlaneRender: render } = await import('../flows/control-plane-render.ts');
    const files = { ...(await import('../flows/deps.ts')).realFiles, secureStdout: () => {}, ...input.files };
    const r = await render(
      {
        file: input.valuesFile,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: envOf(input),
        previous: input.previous,
        seed: input.seed,
        output: undefined,
        deprecations: [],
      },
      { ...depsOf(input), files },
    );
    return r.stdout ?? '';
  });
}

export interface ControlPlaneApplyInput extends ControlPlaneValuesInput, ConnectOptions, KubeconfigSource {
  /** A server-side dry run: nothing persisted (default false). */
  dryRun?: boolean;
  /** Delete what an earlier apply made and these values no longer do. */
  prune?: boolean;
  /** Bound of the whole apply (default 300 000 ms). */
  timeoutMs?: number;
}

/** Renders the values and applies them to the control plane. */
export async function controlPlaneApply(input: ControlPlaneApplyInput): Promise<void> {
  return inScope(input, undefined, async () => {
    const { controlPlaneApply: applyCp } = await import('../flows/control-plane-apply.ts');
    await applyCp(
      {
        file: input.valuesFile,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: envOf(input),
        previous: input.previous,
        seed: input.seed,
        dryRun: input.dryRun ?? false,
        prune: input.prune ?? false,
        timeoutMs: input.timeoutMs ?? 300_000,
        ...callsOf(input, 3),
      },
      depsOf(input),
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
  return inScope(input, undefined, async () => {
    const { runCheck } = await import('../flows/control-plane-check.ts');
    return runCheck(
      {
        file: input.valuesFile,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: envOf(input),
        format: 'json',
        requireReady: input.requireReady ?? true,
        ...callsOf(input, 3),
      },
      depsOf(input),
    );
  });
}

/** The values file that reproduces a control plane set up by hand (read-only). */
export async function controlPlaneAdopt(input: RunOptions & ConnectOptions & KubeconfigSource): Promise<string> {
  return inScope(input, undefined, async () => {
    const { controlPlaneAdopt: adopt } = await import('../flows/control-plane-adopt.ts');
    const r = await adopt(
      {
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: envOf(input),
        output: undefined,
        deprecations: [],
        ...callsOf(input, 3),
      },
      depsOf(input),
    );
    return r.stdout ?? '';
  });
}
