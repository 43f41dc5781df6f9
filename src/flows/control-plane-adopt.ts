/**
 * control-plane adopt, step by step (read-only):
 *   connect → read the control plane set up by hand → the values file that
 *   reproduces it (checked to be one helper accepts) → write it or return it
 *   for stdout → list the variables to set → compare a render of it with the
 *   cluster and say what apply would change.
 */
import { adoptedValuesYaml, readControlPlane } from '../control-plane/adopt.ts';
import { adaptToCluster, liveObjects } from '../control-plane/apply.ts';
import { diffObject, formatDiffs } from '../control-plane/diff.ts';
import { renderControlPlane } from '../control-plane/render.ts';
import { parseValues, settingsOf } from '../control-plane/values.ts';
import { log } from '../log.ts';
import type { AdoptOptions } from '../options/control-plane-adopt.ts';
import type { FlowOutcome } from './deps.ts';
import { controlPlaneDeps, type ControlPlaneDeps } from './control-plane-render.ts';

export async function controlPlaneAdopt(
  opts: Readonly<AdoptOptions>,
  given: Partial<ControlPlaneDeps> = {},
): Promise<FlowOutcome> {
  const deps = controlPlaneDeps(given);
  for (const d of opts.deprecations) log.warn(d);
  const k = deps.kube.resolve({ flag: opts.kubeconfig, context: opts.context, env: opts.env });
  const cluster = deps.kube.connect(k, opts, {
    requestTimeoutMs: opts.requestTimeoutMs,
    attempts: opts.attempts,
    signal: deps.signal,
  });
  const reader = cluster.reader();
  const adopted = await readControlPlane(reader, { requireBackend: true, server: cluster.server });
  const text = adoptedValuesYaml(adopted, cluster.host);
  // What is written must be a values file helper accepts.
  const settings = settingsOf(parseValues(text, 'the adopted values'));
  if (opts.output) deps.files.write(opts.output, text);
  for (const n of adopted.notes) log.warn(n);
  log.info(`set these before render or apply: ${adopted.env.map((e) => e.name).join(' ')}`);
  for (const e of adopted.env)
    log.info(`  ${e.name.padEnd(40)} ${e.from}${e.value === undefined ? '  (not found in the cluster)' : ''}`);
  const stdout = opts.output ? undefined : text;
  if (!adopted.inputs) {
    log.warn(
      'cannot compare a render with the cluster: it lacks the CA (Secret bind/k8sca), the cookie keys ' +
        '(bind/cookie-config) or the external address',
    );
    return { stdout };
  }
  const rendered = renderControlPlane({ settings, ...adopted.inputs });
  const { objects } = await adaptToCluster(reader, rendered);
  const live = await liveObjects(reader, objects);
  const lines = formatDiffs(objects.map((o) => diffObject(o, live.get(o) as Record<string, unknown> | undefined)));
  if (!lines.length) log.info('render of these values matches the cluster: apply changes nothing');
  else log.info(`render of these values differs from the cluster; apply would change:\n${lines.join('\n')}`);
  return { stdout };
}
