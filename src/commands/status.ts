/** `helper status`: flags and help; argv → the library's input in options/status.ts, the call in lib/status.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, KUBECONFIG_DESCRIBE, tlsOptions } from '../options/flags.ts';
import { statusOptions } from '../options/status.ts';
import type { RunContext } from '../run-context.ts';
import { cliCall, print } from './handler.ts';

export function statusCommand(ctx: RunContext): CommandModule {
  return {
    command: 'status',
    describe: 'Report the health of a binding on the control plane and, when given, the App Cluster (read-only)',
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
          describe:
            'context of the provider kubeconfig (default: its current-context, which bootstrap-env sets to ' +
            'the binding)',
        })
        .option('app-kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: 'kubeconfig of the App Cluster (without it: the control-plane half only)',
        })
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe: 'text: one line per item; json: the shape of schemas/status.schema.json',
        })
        .option('timeout', { type: 'string', default: '30s', describe: 'bound of the whole report' })
        .options(tlsOptions('both clusters', "the clusters' TLS certificates (prints a warning)"))
        .options(CALL_OPTIONS)
        .example(
          '$0 status --kubeconfig provider.kfg.yaml --app-kubeconfig app.kubeconfig',
          'one line per item: ok, degraded, missing or unreadable',
        )
        .example(
          '$0 status --kubeconfig provider.kfg.yaml -o json | jq .verdict',
          'the control-plane half, as JSON (a pipeline gates on the exit code)',
        )
        .epilog(
          "The ClusterBinding's heartbeat is ok while younger than twice its interval " +
            '(v1.4.0: written every 2.5 min, interval 5 min); ' +
            "with --app-kubeconfig the konnector's Lease there says whether one runs now.\n" +
            'The report goes to stdout whatever the verdict.\n' +
            exitCodesEpilog(['usage', 'input', 'cluster', 'timeout', 'degraded', 'missing'], {
              ok: 'every item ok',
              cluster: 'a cluster unreachable (its items so marked, the rest reported), or an item it may not read',
            }),
        ),
    handler: async (argv) => {
      const { input, format } = statusOptions(argv, ctx.env);
      const { statusCall, statusOutput } = await import('../lib/status.ts');
      print(ctx, await statusOutput(await statusCall({ ...input, signal: ctx.signal }, cliCall(ctx)), format));
    },
  };
}
