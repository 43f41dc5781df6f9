/** applyManifests as a library function. */
import type { Files } from '../flows/deps.ts';
import type { ApplyResult, ApplyObject as Manifest } from '../kube/results.ts';
import {
  callsOf,
  depsOf,
  envOf,
  inScope,
  type ConnectOptions,
  type KubeconfigSource,
  type RunOptions,
  type TransportOptions,
} from './run.ts';

export interface ApplyInput extends RunOptions, ConnectOptions, KubeconfigSource, TransportOptions {
  /** The manifests (all.yaml): YAML text or objects. */
  manifests: string | readonly Manifest[];
  /** A server-side dry run: validated by the API server, nothing persisted (default false). */
  dryRun?: boolean;
  /** Bound of the whole apply, including the wait for CRDs (default 120 000 ms). */
  timeoutMs?: number;
  /** Then wait this long for every APIServiceBinding to be Ready (default: no wait). */
  waitBindingsMs?: number;
}

/** Applies manifests to a cluster in one pass (server-side apply; CRDs first, then the rest). */
export async function applyManifests(input: ApplyInput): Promise<ApplyResult> {
  return inScope(input, undefined, async () => {
    const { apply } = await import('../flows/apply.ts');
    const { realFiles } = await import('../flows/deps.ts');
    const { toYaml } = await import('../render/to-yaml.ts');
    const text = typeof input.manifests === 'string' ? input.manifests : toYaml(input.manifests);
    const base = input.files ?? realFiles;
    const files: Files = { ...base, read: (p) => (p === MANIFESTS ? Buffer.from(text) : base.read(p)) };
    const r = await apply(
      {
        file: MANIFESTS,
        kubeconfig: input.kubeconfig,
        context: input.context,
        env: envOf(input),
        dryRun: input.dryRun ?? false,
        timeoutMs: input.timeoutMs ?? 120_000,
        waitBindingsMs: input.waitBindingsMs,
        ...callsOf(input, 3),
      },
      { ...depsOf(input), files, dispatcher: input.dispatcher as never },
    );
    return r.result;
  });
}

/** The name apply's messages give the manifests passed in. */
const MANIFESTS = 'manifests';
