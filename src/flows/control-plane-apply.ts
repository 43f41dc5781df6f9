/**
 * control-plane apply, step by step:
 *   resolve the kubeconfig → connect → read the values and the cookie keys
 *   (values, --previous, --seed, else the cluster's) → render → apply in
 *   phases (preflight, CRDs, wait Established, the rest, ProviderConfigs;
 *   --prune). Each object applied is recorded in the journal.
 */
import { prepare } from '../control-plane/inputs.ts';
import { renderControlPlane } from '../control-plane/render.ts';
import { log } from '../log.ts';
import type { ApplyOptions } from '../options/control-plane-apply.ts';
import type { FlowOutcome } from './deps.ts';
import { controlPlaneDeps, warnRandomKeys, type ControlPlaneDeps } from './control-plane-render.ts';

export async function controlPlaneApply(
  opts: Readonly<ApplyOptions>,
  given: Partial<ControlPlaneDeps> = {},
): Promise<FlowOutcome> {
  const deps = controlPlaneDeps(given);
  const k = deps.kube.resolve({ flag: opts.kubeconfig, context: opts.context, env: opts.env });
  const cluster = deps.kube.connect(k, opts, {
    requestTimeoutMs: opts.requestTimeoutMs,
    attempts: opts.attempts,
    signal: deps.signal,
  });
  const p = await prepare({
    valuesFile: opts.file,
    env: opts.env,
    kubeconfig: { path: k.label, text: k.text },
    previous: opts.previous,
    seed: opts.seed,
    clusterKeys: () => cluster.cookieKeys(),
    readStdin: () => deps.files.read('-').toString('utf8'),
  });
  warnRandomKeys(p.keySource);
  const objects = renderControlPlane(p.inputs);
  const onApplied = opts.dryRun ? () => {} : deps.journal.startApply(`control plane ${cluster.host}`, objects.length);
  const r = await cluster.apply(objects, p.settings, {
    dryRun: opts.dryRun,
    timeoutMs: opts.timeoutMs,
    onApplied,
    prune: opts.prune,
  });
  log.info(
    `${opts.dryRun ? '(dry run) ' : ''}${r.applied} object(s) applied` +
      `${r.notValidated.length ? `, ${r.notValidated.length} not validated` : ''}` +
      `${opts.prune ? `, ${r.pruned.length} ${opts.dryRun ? 'to prune' : 'pruned'}` : ''}; cookie keys: ` +
      `${p.keySource}`,
  );
  return {};
}
