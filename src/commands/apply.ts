/** `helper apply`: one-pass server-side apply of all.yaml to an App Cluster. */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../duration.ts';
import { exitCodesEpilog, InputError } from '../errors.ts';
import { log } from '../log.ts';
import type { RunContext } from '../run-context.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, DRY_RUN_OPTION, KUBECONFIG_DESCRIBE, WAIT_BINDINGS_OPTION, callPolicyOf, checkRetries, isDryRun, tlsOf, tlsOptions, waitBindingsMs } from './call-options.ts';

export function applyCommand(ctx: RunContext): CommandModule {
  return {
    command: 'apply',
    describe: 'Apply all.yaml to an App Cluster in one pass (CRDs, wait until Established, then the rest)',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', demandOption: true, requiresArg: true, normalize: true, describe: 'manifest to apply (all.yaml), or - for stdin' })
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: `kubeconfig of the App Cluster ${KUBECONFIG_DESCRIBE}` })
        .option('context', CONTEXT_OPTION)
        .option('dry-run', DRY_RUN_OPTION)
        .option('timeout', { type: 'string', default: '2m', describe: 'bound of the whole apply, including the wait for CRDs' })
        .option('wait-bindings', WAIT_BINDINGS_OPTION)
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .options(tlsOptions('the App Cluster', 'the App Cluster\'s TLS certificate (prints a warning)'))
        .example('$0 apply -f all.yaml --kubeconfig app.kubeconfig', 'replaces "kubectl apply -f all.yaml" (twice)')
        .example('$0 apply -f all.yaml --kubeconfig app.kubeconfig --wait-bindings 5m', 'and wait until the konnector connected every binding')
        .example('KUBECONFIG=~/.kube/config:app.kubeconfig $0 apply -f all.yaml --context app', 'the kubeconfig as kubectl finds it, another context')
        .epilog('Prints per object whether it was created, configured or unchanged.\n' + exitCodesEpilog(['usage', 'input', 'cluster', 'timeout'], { timeout: '--wait-bindings names each binding that is not Ready' })),
    handler: async (argv) => {
      // undici and @kubernetes/client-node are loaded only when the command runs, so --help stays fast.
      const [{ readCaFile, warnInsecure }, { applyInPhases, parseManifest }, { connect }, { resolveKubeconfig }, { waitForBindingsReady }, { readKubeconfig }] = await Promise.all([
        import('../http.ts'), import('../kube/apply.ts'), import('../kube/client.ts'), import('../kube/kubeconfig-file.ts'), import('../kube/bindings-ready.ts'), import('../kube/kubeconfig.ts'),
      ]);
      const waitBindings = waitBindingsMs(argv);
      const file = argv.file as string;
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (err) {
        throw new InputError('HELPER_MANIFEST', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      const kubeconfig = resolveKubeconfig({ flag: argv.kubeconfig as string | undefined, context: argv.context as string | undefined, env: ctx.env });
      const { caFile, insecure } = tlsOf(argv);
      if (insecure) warnInsecure('the App Cluster\'s TLS certificate is');
      const objects = parseManifest(text, file === '-' ? 'stdin' : file);
      const k = readKubeconfig(kubeconfig.text, { caPem: readCaFile(caFile), insecure });
      if (k.problems.length) throw new InputError('HELPER_KUBECONFIG_INVALID', `kubeconfig ${kubeconfig.label} cannot be used: ${k.problems.join('; ')}`);
      if (!k.connection) throw new InputError('HELPER_KUBECONFIG_INVALID', `kubeconfig ${kubeconfig.label} has no cluster for context ${JSON.stringify(kubeconfig.context ?? '')}${kubeconfig.context ? '' : ' (no current-context; pass --context)'}`);
      const kc = connect(k.connection, { label: 'cluster', ...callPolicyOf(argv), signal: ctx.signal });
      const dryRun = isDryRun(argv);
      const done: string[] = [];
      if (!dryRun) ctx.applied = { server: kc.server, total: objects.length, objects: done };
      const r = await applyInPhases(kc, objects, { dryRun, report: true, timeoutMs: parseDuration('--timeout', argv.timeout), signal: ctx.signal, onApplied: (what) => done.push(what) });
      log.info(`${dryRun ? '(dry run) ' : ''}${r.applied.length} object(s) applied${dryRun ? '' : `: ${countOutcomes(r.applied)}`}`);
      if (waitBindings !== undefined && !dryRun) {
        await waitForBindingsReady(kc, objects, { timeoutMs: waitBindings, requestTimeoutMs: callPolicyOf(argv).requestTimeoutMs, signal: ctx.signal });
      }
    },
  };
}

/** "2 created, 1 configured, 10 unchanged". */
function countOutcomes(applied: Array<{ outcome?: string | undefined }>): string {
  const n = (o: string) => applied.filter((a) => a.outcome === o).length;
  return ['created', 'configured', 'unchanged'].map((o) => `${n(o)} ${o}`).join(', ');
}
