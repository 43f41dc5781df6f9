/** `helper control-plane`: the Klutch control-plane setup as sub-verbs; each is wired in
 * commands/control-plane-<sub>.ts. */
import type { Argv, CommandModule } from 'yargs';
import type { RunContext } from '../run-context.ts';
import { controlPlaneAdoptCommand } from './control-plane-adopt.ts';
import { controlPlaneApplyCommand } from './control-plane-apply.ts';
import { controlPlaneCheckCommand } from './control-plane-check.ts';
import { controlPlaneInitCommand } from './control-plane-init.ts';
import { controlPlaneRenderCommand } from './control-plane-render.ts';

export function controlPlaneCommand(ctx: RunContext): CommandModule {
  return {
    command: 'control-plane',
    describe: 'Set up a Klutch Control Plane Cluster: init, render, apply, check, adopt',
    builder: (y: Argv) =>
      y
        .command(controlPlaneInitCommand(ctx))
        .command(controlPlaneRenderCommand(ctx))
        .command(controlPlaneApplyCommand(ctx))
        .command(controlPlaneCheckCommand(ctx))
        .command(controlPlaneAdoptCommand(ctx))
        .demandCommand(1, 'name a subcommand: init, render, apply, check or adopt'),
    handler: () => {},
  };
}
