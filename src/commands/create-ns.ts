/** `helper create-ns`: flags and help; options in options/create-ns.ts, the work in flows/create-ns.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { createNsOptions } from '../options/create-ns.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, KUBECONFIG_DESCRIBE, tlsOptions } from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function createNsCommand(ctx: RunContext): CommandModule {
  return {
    command: 'create-ns',
    describe: 'Create a namespace in a binding before the App Cluster exists; prints its control-plane name',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: `provider kubeconfig from bootstrap-env --write-kubeconfig ${KUBECONFIG_DESCRIBE}`,
        })
        .option('context', {
          ...CONTEXT_OPTION,
          describe: 'kubeconfig context to use (default: its current-context, which bootstrap-env sets to the binding)',
        })
        .option('name', {
          alias: 'n',
          type: 'string',
          demandOption: true,
          requiresArg: true,
          describe: 'namespace name as it will be on the App Cluster',
        })
        .option('timeout', {
          type: 'string',
          default: '60s',
          describe: 'how long to wait for the control plane to create the namespace and allow claims in it',
        })
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe: 'text: the namespace name; json: an object with all names',
        })
        .options(tlsOptions('the control plane', "the control plane's TLS certificate (prints a warning)"))
        .options(CALL_OPTIONS)
        .example('$0 create-ns --kubeconfig provider.kfg.yaml -n team-a', 'prints e.g. cluster-x7k2p-team-a')
        .example(
          'kubectl --kubeconfig provider.kfg.yaml -n "$($0 create-ns --kubeconfig provider.kfg.yaml -n ' +
            'team-a)" apply -f my-instance.yaml',
          'create an instance in the binding',
        )
        .epilog(
          'Create the same namespace on the App Cluster before its konnector starts, or the konnector ' +
            'deletes it from the binding.\n' +
            exitCodesEpilog(['usage', 'input', 'cluster', 'timeout', 'deleted']),
        ),
    handler: handler(ctx, createNsOptions, async () => (await import('../flows/create-ns.ts')).createNs),
  };
}
