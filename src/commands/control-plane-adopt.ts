/** `helper control-plane adopt`: flags and help; options in options/control-plane.ts, the work in
 * flows/control-plane-adopt.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { controlPlaneAdoptOptions } from '../options/control-plane-adopt.ts';
import { TLS_OPTIONS } from '../options/control-plane.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, KUBECONFIG_DESCRIBE, OUTPUT_FILE_OPTION } from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function controlPlaneAdoptCommand(ctx: RunContext): CommandModule {
  return {
    command: 'adopt',
    describe: 'Read a control plane set up by hand (from the setup page) and print the values file that reproduces it',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            `kubeconfig of the Control Plane Cluster (read access to what it reads, Secrets included) ` +
            `${KUBECONFIG_DESCRIBE}`,
        })
        .option('context', CONTEXT_OPTION)
        .option('output-file', {
          ...OUTPUT_FILE_OPTION,
          describe: 'write the values file to this file (atomically, mode 0600) instead of stdout; - is stdout',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          requiresArg: true,
          describe: 'output format: yaml. (-o FILE is taken as --output-file FILE, with a deprecation warning)',
        })
        .options(CALL_OPTIONS)
        .options(TLS_OPTIONS)
        .example(
          '$0 control-plane adopt --kubeconfig cp.kubeconfig --output-file values.yaml',
          'then: control-plane render -f values.yaml, control-plane apply -f values.yaml',
        )
        .epilog(
          'The values file holds env: references, never secrets; stderr lists the variables and where each ' +
            'value is in the cluster, then what render and apply would change.\n' +
            exitCodesEpilog(['usage', 'input', 'cluster'], { cluster: 'also: no backend to adopt' }),
        ),
    handler: handler(
      ctx,
      controlPlaneAdoptOptions,
      async () => (await import('../flows/control-plane-adopt.ts')).controlPlaneAdopt,
    ),
  };
}
