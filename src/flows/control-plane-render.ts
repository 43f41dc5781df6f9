/**
 * control-plane render, step by step (offline):
 *   read the --kubeconfig file when given (only the flag: render must not
 *   depend on $KUBECONFIG) → read and check the values file, resolve its
 *   references and the cookie keys → render → write --output-file, or return
 *   the manifests for stdout.
 */
import { prepare } from '../control-plane/inputs.ts';
import { renderControlPlane } from '../control-plane/render.ts';
import { log } from '../log.ts';
import type { RenderOptions } from '../options/control-plane-render.ts';
import { toYaml } from '../render/to-yaml.ts';
import { flowDeps, type FlowDeps, type FlowOutcome } from './deps.ts';
import { controlPlaneKube, type ControlPlaneKube } from './control-plane-kube.ts';

export interface ControlPlaneDeps extends FlowDeps {
  kube: ControlPlaneKube;
}

export function controlPlaneDeps(given: Partial<ControlPlaneDeps> = {}): ControlPlaneDeps {
  return { ...flowDeps(given), kube: given.kube ?? controlPlaneKube };
}

export function warnRandomKeys(source: string): void {
  if (source === 'random') {
    log.warn(
      'new random cookie keys: rendering again gives other keys and logs every backend user out; keep them ' +
        'with --previous control-plane.yaml or --seed',
    );
  }
}

export async function controlPlaneRender(
  opts: Readonly<RenderOptions>,
  given: Partial<ControlPlaneDeps> = {},
): Promise<FlowOutcome> {
  const deps = controlPlaneDeps(given);
  for (const d of opts.deprecations) log.warn(d);
  const kubeconfig =
    opts.kubeconfig === undefined
      ? undefined
      : deps.kube.resolve({ flag: opts.kubeconfig, context: opts.context, env: opts.env, fallback: false });
  const p = await prepare({
    valuesFile: opts.file,
    env: opts.env,
    kubeconfig: kubeconfig && { path: kubeconfig.label, text: kubeconfig.text },
    previous: opts.previous,
    seed: opts.seed,
    readStdin: () => deps.files.read('-').toString('utf8'),
  });
  warnRandomKeys(p.keySource);
  const objects = renderControlPlane(p.inputs);
  const text = `# helper control-plane render: holds credentials (Secrets); do not commit.\n${toYaml(objects)}`;
  if (opts.output) deps.files.write(opts.output, text);
  else deps.files.secureStdout("the control plane's credentials (Secrets)");
  log.info(
    `${objects.length} object(s) rendered for ${p.settings.dataServices.map((d) => d.name).join(', ')}; ` +
      `cookie keys: ${p.keySource}`,
  );
  return { stdout: opts.output ? undefined : text };
}
