/** `helper unbind`: flags and help; argv → the library's input in options/unbind.ts, the call in lib/unbind.ts. */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, DRY_RUN_OPTION, tlsOptions } from '../options/flags.ts';
import { unbindOptions } from '../options/unbind.ts';
import type { RunContext } from '../run-context.ts';
import { cliCall, print } from './handler.ts';

export function unbindCommand(ctx: RunContext): CommandModule {
  return {
    command: 'unbind',
    describe:
      'Take a binding apart: the konnector and bindings on the App Cluster, the export requests on the ' +
      'control plane; claims only with --purge',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', {
          type: 'string',
          demandOption: true,
          requiresArg: true,
          normalize: true,
          describe:
            'provider kubeconfig from bootstrap-env --write-kubeconfig (always named: never taken from ' +
            '$KUBECONFIG, since it picks what is deleted)',
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
        .option('purge', {
          type: 'boolean',
          default: false,
          describe:
            "also delete the claims in the binding's namespaces (the data services), then its APIServiceNamespaces",
        })
        .option('delete-crds', {
          type: 'boolean',
          default: false,
          describe:
            "also delete the bound CRDs on the App Cluster that are provably the binding's (owned by its " +
            'APIServiceBinding, or recorded by an earlier unbind), and with them its copies of the claims ' +
            '(the claims on the control plane stay); needed before re-binding the same App Cluster',
        })
        .option('yes', {
          alias: 'y',
          type: 'boolean',
          default: false,
          describe: 'do not ask before --purge (required for --purge without a terminal)',
        })
        .option('dry-run', DRY_RUN_OPTION)
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe: 'text: one line per object; json: the whole report',
        })
        .option('timeout', {
          type: 'string',
          default: '5m',
          describe: 'bound of the whole unbind, including the waits for deleted objects to be gone',
        })
        .options(tlsOptions('both clusters', "the clusters' TLS certificates (prints a warning)"))
        .options(CALL_OPTIONS)
        .example(
          '$0 unbind --kubeconfig provider.kfg.yaml --app-kubeconfig app.kubeconfig',
          'remove the konnector and bindings; the claims stay on the control plane (listed)',
        )
        .example(
          '$0 unbind --kubeconfig provider.kfg.yaml --purge --dry-run',
          'list every object a purge would delete, changing nothing',
        )
        .example(
          '$0 unbind --kubeconfig provider.kfg.yaml --purge --yes',
          'also delete the claims and the APIServiceNamespaces (e.g. after the App Cluster was destroyed)',
        )
        .example(
          '$0 unbind --kubeconfig provider.kfg.yaml --app-kubeconfig app.kubeconfig --delete-crds',
          'also remove the bound CRDs from the App Cluster, e.g. before binding it again',
        )
        .epilog(
          "Never deletes anything outside the binding's cluster namespace and its <cluster-ns>-* namespaces, " +
            'nor the cluster namespace itself. ' +
            'The bound CRDs on the App Cluster and the objects in them stay unless --delete-crds; a CRD an ' +
            'export merely names is never touched. A second run has nothing to do; an interrupted one is ' +
            'finished by running it again. ' +
            'The report goes to stdout, also when some deletions were refused.\n' +
            exitCodesEpilog(['usage', 'input', 'cluster', 'timeout', 'declined'], {
              ok: 'also: nothing to do',
              usage: 'also: --purge without --yes and without a terminal',
              input: "also: not a binding's cluster namespace",
              cluster: 'a cluster unreachable, or a deletion refused (named)',
              declined: 'the --purge question answered no; nothing changed',
            }),
        ),
    handler: async (argv) => {
      const { input, format } = unbindOptions(argv, ctx.env);
      const { unbindCall, unbindOutput } = await import('../lib/unbind.ts');
      print(ctx, await unbindOutput(await unbindCall({ ...input, signal: ctx.signal }, cliCall(ctx)), format));
    },
  };
}
