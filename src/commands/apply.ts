/** `helper apply`: one-pass server-side apply of all.yaml to an App Cluster. */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../duration.ts';
import { InputError } from '../errors.ts';
import { log } from '../log.ts';
import type { RunContext } from '../run-context.ts';
import { CALL_OPTIONS, DRY_RUN_OPTION, WAIT_BINDINGS_OPTION, callPolicyOf, checkRetries, isDryRun, waitBindingsMs } from './call-options.ts';

export function applyCommand(ctx: RunContext): CommandModule {
  return {
    command: 'apply',
    describe: 'Apply all.yaml to an App Cluster in one pass (CRDs, wait until Established, then the rest)',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', demandOption: true, requiresArg: true, describe: 'manifest to apply (all.yaml), or - for stdin' })
        .option('kubeconfig', { type: 'string', demandOption: true, requiresArg: true, describe: 'kubeconfig of the App Cluster' })
        .option('dry-run', DRY_RUN_OPTION)
        .option('timeout', { type: 'string', default: '2m', describe: 'bound of the whole apply, including the wait for CRDs' })
        .option('wait-bindings', WAIT_BINDINGS_OPTION)
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .option('ca-file', { type: 'string', requiresArg: true, describe: 'extra PEM CA bundle trusted for the App Cluster' })
        .option('insecure-skip-tls-verify', { type: 'boolean', default: false, describe: 'do not verify the App Cluster\'s TLS certificate (prints a warning)' })
        .example('$0 apply -f all.yaml --kubeconfig app.kubeconfig', 'replaces "kubectl apply -f all.yaml" (twice)')
        .example('$0 apply -f all.yaml --kubeconfig app.kubeconfig --wait-bindings 5m', 'and wait until the konnector connected every binding')
        .epilog('Exit codes: 0 ok, 2 usage, 3 input, 6 cluster, 7 timeout (--wait-bindings names each binding that is not Ready), 130/143 interrupted.'),
    handler: async (argv) => {
      // undici and @kubernetes/client-node are loaded only when the command runs, so --help stays fast.
      const [{ hostOf, readCaFile }, { applyInPhases, parseManifest }, { loadKubeConfig }, { readKubeconfigFile }, { waitForBindingsReady }] = await Promise.all([
        import('../http.ts'), import('../kube/apply.ts'), import('../kube/client.ts'), import('../kube/kubeconfig-file.ts'), import('../kube/bindings-ready.ts'),
      ]);
      const waitBindings = waitBindingsMs(argv);
      const file = argv.file as string;
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (err) {
        throw new InputError('HELPER_MANIFEST', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      const kcText = readKubeconfigFile(argv.kubeconfig as string);
      const insecure = Boolean(argv['insecure-skip-tls-verify']);
      if (insecure) log.warn('--insecure-skip-tls-verify: the App Cluster\'s TLS certificate is NOT verified');
      const objects = parseManifest(text, file === '-' ? 'stdin' : file);
      const kc = loadKubeConfig(kcText, { extraCaPem: readCaFile(argv['ca-file'] as string | undefined), insecure });
      const dryRun = isDryRun(argv);
      const done: string[] = [];
      if (!dryRun) ctx.applied = { server: `cluster ${hostOf(kc.getCurrentCluster()?.server ?? '')}`, total: objects.length, objects: done };
      const r = await applyInPhases(kc, objects, { dryRun, timeoutMs: parseDuration('--timeout', argv.timeout), ...callPolicyOf(argv), signal: ctx.signal, onApplied: (what) => done.push(what) });
      log.info(`${dryRun ? '(dry run) ' : ''}${r.applied.length} object(s) applied`);
      if (waitBindings !== undefined && !dryRun) {
        const bindings = objects.filter((o) => o.kind === 'APIServiceBinding').map((o) => o.metadata.name);
        await waitForBindingsReady(kc, bindings, { timeoutMs: waitBindings, requestTimeoutMs: callPolicyOf(argv).requestTimeoutMs, signal: ctx.signal });
      }
    },
  };
}
