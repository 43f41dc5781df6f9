/** `helper control-plane render`: flags and help; options in options/control-plane.ts, the work in
 * flows/control-plane-render.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { controlPlaneRenderOptions } from '../options/control-plane-render.ts';
import { KEY_OPTIONS } from '../options/control-plane.ts';
import { CONTEXT_OPTION, OUTPUT_FILE_OPTION } from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function controlPlaneRenderCommand(ctx: RunContext): CommandModule {
  return {
    command: 'render',
    describe: "Print the control plane's manifests (ordered, deterministic; they hold credentials)",
    builder: (y: Argv) =>
      y
        .option('file', {
          alias: 'f',
          type: 'string',
          demandOption: true,
          requiresArg: true,
          normalize: true,
          describe: 'values file, or - for stdin',
        })
        .option('kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            'control-plane kubeconfig (read only, offline; only this flag, never $KUBECONFIG): default ' +
            'external address and CA',
        })
        .option('context', {
          ...CONTEXT_OPTION,
          describe: 'context of the --kubeconfig file (default: its current-context)',
        })
        .options(KEY_OPTIONS)
        .option('output-file', {
          ...OUTPUT_FILE_OPTION,
          describe: 'write the manifests to this file (atomically, mode 0600) instead of stdout; - is stdout',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          requiresArg: true,
          describe: 'output format: yaml. (Deprecated: -o FILE, use --output-file)',
        })
        .conflicts('previous', 'seed')
        .example(
          '$0 control-plane render -f values.yaml --kubeconfig cp.kubeconfig --previous control-plane.yaml ' +
            '--output-file control-plane.yaml',
          're-render, keeping the cookie keys',
        )
        .epilog(
          'Offline: reads the values file (and --kubeconfig, --previous), prints the manifests with their ' +
            'Secrets on stdout, or writes --output-file (mode 0600); refuses a terminal as stdout.\n' +
            exitCodesEpilog(['usage', 'input'], {
              input: 'the values file, placeholders left, the kubeconfig, --previous, the output; stdout a terminal',
            }),
        ),
    handler: handler(
      ctx,
      controlPlaneRenderOptions,
      async () => (await import('../flows/control-plane-render.ts')).controlPlaneRender,
    ),
  };
}
