/** control-plane init: the commented values file (stdout) for the data services asked for. */
import { initValues } from '../control-plane/init.ts';
import type { InitOptions } from '../options/control-plane-init.ts';
import type { FlowOutcome } from './deps.ts';

export async function controlPlaneInit(opts: Readonly<InitOptions>): Promise<FlowOutcome> {
  return { stdout: initValues({ dataServices: opts.dataServices }) };
}
