/** `helper control-plane check`: flags and help; options in options/control-plane.ts, the work in
 * flows/control-plane-check.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { controlPlaneCheckOptions } from '../options/control-plane-check.ts';
import { TLS_OPTIONS } from '../options/control-plane.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, KUBECONFIG_DESCRIBE } from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function controlPlaneCheckCommand(ctx: RunContext): CommandModule {
  return {
    command: 'check',
    describe: 'Report what is installed and healthy on a Control Plane Cluster, root causes first',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            'kubeconfig of the Control Plane Cluster (read access to everything checked) ' + KUBECONFIG_DESCRIBE,
        })
        .option('context', CONTEXT_OPTION)
        .option('file', {
          alias: 'f',
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: 'values file: expect what render makes of it (default: what adopt reads from the cluster)',
        })
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe: 'report format on stdout',
        })
        .option('require-ready', {
          type: 'boolean',
          default: true,
          describe:
            'fail when something installed is not running yet (--no-require-ready: only missing or invalid ' +
            'objects fail)',
        })
        .options(CALL_OPTIONS)
        .options(TLS_OPTIONS)
        .example(
          '$0 control-plane check --kubeconfig cp.kubeconfig -f values.yaml',
          'after apply: is everything there and running?',
        )
        .epilog(
          'The report goes to stdout whatever the outcome. Statuses: ok, missing, invalid, not-ready, ' +
            'cannot-see (DNS, the identity provider: said, neither passed nor failed).\n' +
            exitCodesEpilog(['usage', 'input', 'cluster'], {
              cluster: 'something missing or invalid, or not ready unless --no-require-ready',
            }),
        ),
    handler: handler(
      ctx,
      controlPlaneCheckOptions,
      async () => (await import('../flows/control-plane-check.ts')).controlPlaneCheck,
    ),
  };
}
