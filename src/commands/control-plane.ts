/** `helper control-plane`: the Klutch control-plane setup as subcommands (init, render, apply, check). */
import type { Argv, CommandModule } from 'yargs';
import { ExitCode, HelperError } from '../errors.ts';
import type { RunContext } from '../run-context.ts';

export function controlPlaneCommand(_ctx: RunContext): CommandModule {
  return {
    command: 'control-plane',
    describe: 'Set up a Control Plane Cluster from the Klutch docs (not built yet)',
    builder: (y: Argv) => y,
    handler: () => {
      throw new HelperError('HELPER_NOT_IMPLEMENTED', 'helper control-plane is not implemented yet', ExitCode.usage);
    },
  };
}
