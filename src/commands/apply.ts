/** `helper apply`: flags and help; options in options/apply.ts, the work in flows/apply.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { applyOptions } from '../options/apply.ts';
import {
  CALL_OPTIONS,
  CONTEXT_OPTION,
  DRY_RUN_OPTION,
  KUBECONFIG_DESCRIBE,
  WAIT_BINDINGS_OPTION,
  tlsOptions,
} from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function applyCommand(ctx: RunContext): CommandModule {
  return {
    command: 'apply',
    describe: 'Apply all.yaml to an App Cluster in one pass (CRDs, wait until Established, then the rest)',
    builder: (y: Argv) =>
      y
        .option('file', {
          alias: 'f',
          type: 'string',
          demandOption: true,
          requiresArg: true,
          normalize: true,
          describe: 'manifest to apply (all.yaml), or - for stdin',
        })
        .option('kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: `kubeconfig of the App Cluster ${KUBECONFIG_DESCRIBE}`,
        })
        .option('context', CONTEXT_OPTION)
        .option('dry-run', DRY_RUN_OPTION)
        .option('timeout', {
          type: 'string',
          default: '2m',
          describe: 'bound of the whole apply, including the wait for CRDs',
        })
        .option('wait-bindings', WAIT_BINDINGS_OPTION)
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe:
            'stdout: text, one line per object as kubectl prints them (configmap/x created); ' +
            'json, every object and the counts',
        })
        .options(CALL_OPTIONS)
        .options(tlsOptions('the App Cluster', "the App Cluster's TLS certificate (prints a warning)"))
        .example('$0 apply -f all.yaml --kubeconfig app.kubeconfig', 'replaces "kubectl apply -f all.yaml" (twice)')
        .example(
          '$0 apply -f all.yaml --kubeconfig app.kubeconfig --wait-bindings 5m',
          'and wait until the konnector connected every binding',
        )
        .example(
          'KUBECONFIG=~/.kube/config:app.kubeconfig $0 apply -f all.yaml --context app',
          'the kubeconfig as kubectl finds it, another context',
        )
        .epilog(
          "stdout: per object whether it was created, configured or unchanged (kubectl's lines, or -o json); " +
            'stderr: one summary line (N object(s) applied: C created, M configured, U unchanged).\n' +
            exitCodesEpilog(['usage', 'input', 'cluster', 'timeout'], {
              timeout: '--wait-bindings names each binding that is not Ready',
            }),
        ),
    handler: handler(ctx, applyOptions, async () => (await import('../flows/apply.ts')).apply),
  };
}
