/** `helper control-plane apply`: flags and help; options in options/control-plane.ts, the work in
 * flows/control-plane-apply.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { controlPlaneApplyOptions } from '../options/control-plane-apply.ts';
import { KEY_OPTIONS, TLS_OPTIONS } from '../options/control-plane.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, DRY_RUN_OPTION, KUBECONFIG_DESCRIBE } from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { handler } from './handler.ts';

export function controlPlaneApplyCommand(ctx: RunContext): CommandModule {
  return {
    command: 'apply',
    describe: 'Render and apply with server-side apply (CRDs, wait until Established, then the rest); idempotent',
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
          describe: `cluster-admin kubeconfig of the Control Plane Cluster ${KUBECONFIG_DESCRIBE}`,
        })
        .option('context', CONTEXT_OPTION)
        .option('dry-run', DRY_RUN_OPTION)
        .option('timeout', {
          type: 'string',
          default: '5m',
          describe: 'bound of the whole apply, including the waits for CRDs',
        })
        .options(CALL_OPTIONS)
        .options(KEY_OPTIONS)
        .conflicts('previous', 'seed')
        .options(TLS_OPTIONS)
        .option('prune', {
          type: 'boolean',
          default: false,
          describe:
            'also delete objects labelled app.kubernetes.io/managed-by=helper that the render no longer has ' +
            '(never CRDs or Namespaces, never objects helper did not label)',
        })
        .example(
          '$0 control-plane apply -f values.yaml --kubeconfig cp.kubeconfig',
          'install or update; the cookie keys in the cluster are kept',
        )
        .example(
          '$0 control-plane apply -f values.yaml --kubeconfig cp.kubeconfig --prune --dry-run',
          'list what --prune would delete',
        )
        .epilog(
          "Needs Crossplane (>= 1.17.1) and cert-manager on the cluster. Objects that exist without helper's " +
            'label (set up by hand from the setup page) are updated in place and stay unlabelled.\n' +
            exitCodesEpilog(['usage', 'input', 'cluster', 'timeout'], {
              input: 'also: init placeholders left, references unset',
              cluster: 'also: prerequisites missing',
            }),
        ),
    handler: handler(
      ctx,
      controlPlaneApplyOptions,
      async () => (await import('../flows/control-plane-apply.ts')).controlPlaneApply,
    ),
  };
}
