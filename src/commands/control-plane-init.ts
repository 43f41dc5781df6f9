/** `helper control-plane init`: flags and help; options in options/control-plane.ts, the work in
 * flows/control-plane-init.ts. */
import type { Argv, CommandModule } from 'yargs';
import { DATA_SERVICE_NAMES } from '../control-plane/catalog.ts';
import { exitCodesEpilog } from '../errors.ts';
import { controlPlaneInitOptions } from '../options/control-plane-init.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function controlPlaneInitCommand(ctx: RunContext): CommandModule {
  return {
    command: 'init',
    describe: 'Print a commented values file listing every input',
    builder: (y: Argv) =>
      y
        .option('data-services', {
          type: 'string',
          array: true,
          default: ['postgresql'],
          describe: `data services to list (${DATA_SERVICE_NAMES.join(', ')}); comma-separated or repeated`,
        })
        .example('$0 control-plane init --data-services postgresql,mariadb > values.yaml', 'start a values file')
        .epilog(
          'Offline: prints the values file on stdout (no credentials in it); fill in its placeholders, then render.\n' +
            exitCodesEpilog(['usage'], { usage: 'also: an unknown data service, with a did-you-mean' }),
        ),
    handler: handler(
      ctx,
      controlPlaneInitOptions,
      async () => (await import('../flows/control-plane-init.ts')).controlPlaneInit,
    ),
  };
}
