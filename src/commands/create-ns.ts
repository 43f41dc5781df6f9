/** `helper create-ns`: flags and help; the work is in flows/create-ns.ts. */
import { exitCodesEpilog } from '../errors.ts';
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../duration.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, KUBECONFIG_DESCRIBE, callPolicyOf, checkRetries, tlsOf, tlsOptions } from './call-options.ts';
import type { RunContext } from '../run-context.ts';

export function createNsCommand(ctx: RunContext): CommandModule {
  return {
    command: 'create-ns',
    describe: 'Create a namespace in a binding before the App Cluster exists; prints its control-plane name',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: `provider kubeconfig from bootstrap-env --write-kubeconfig ${KUBECONFIG_DESCRIBE}` })
        .option('context', { ...CONTEXT_OPTION, describe: 'kubeconfig context to use (default: its current-context, which bootstrap-env sets to the binding)' })
        .option('name', { alias: 'n', type: 'string', demandOption: true, requiresArg: true, describe: 'namespace name as it will be on the App Cluster' })
        .option('timeout', { type: 'string', default: '60s', describe: 'how long to wait for the control plane to create the namespace' })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text: the namespace name; json: an object with all names' })
        .options(tlsOptions('the control plane', 'the control plane\'s TLS certificate (prints a warning)'))
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .example('$0 create-ns --kubeconfig provider.kfg.yaml -n team-a', 'prints e.g. cluster-x7k2p-team-a')
        .example('kubectl --kubeconfig provider.kfg.yaml -n "$($0 create-ns --kubeconfig provider.kfg.yaml -n team-a)" apply -f my-instance.yaml', 'create an instance in the binding')
        .epilog('Create the same namespace on the App Cluster before its konnector starts, or the konnector deletes it from the binding.\n' + exitCodesEpilog(['usage', 'input', 'cluster', 'timeout', 'deleted'])),
    handler: async (argv) => {
      // The flow pulls in @kubernetes/client-node; loaded only when the command runs, so --help stays fast.
      const { runCreateNs } = await import('../flows/create-ns.ts');
      const result = await runCreateNs({
        kubeconfig: argv.kubeconfig as string | undefined,
        context: argv.context as string | undefined,
        env: ctx.env,
        name: argv.name as string,
        timeoutMs: parseDuration('--timeout', argv.timeout),
        ...callPolicyOf(argv),
        ...tlsOf(argv),
      }, { signal: ctx.signal });
      ctx.stdout(argv.output === 'json'
        ? JSON.stringify({ name: result.name, namespace: result.namespace, clusterNamespace: result.clusterNamespace, created: result.created }) + '\n'
        : result.namespace + '\n');
    },
  };
}
