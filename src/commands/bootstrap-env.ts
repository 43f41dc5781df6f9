/** `helper bootstrap-env`: flags and help; the work is in flows/bootstrap-env.ts. */
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../duration.ts';
import { ExitCode, HelperError, UsageError } from '../errors.ts';
import type { Progress } from '../flows/bootstrap-env.ts';
import type { RunContext } from '../run-context.ts';
import { WAIT_BINDINGS_OPTION, waitBindingsMs } from './call-options.ts';

export function bootstrapEnvCommand(ctx: RunContext): CommandModule {
  return {
    command: 'bootstrap-env',
    describe: 'Bind an App Cluster non-interactively and print its manifests (all.yaml)',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', array: true, demandOption: true, describe: 'binding.json ({"clusterID", "apis": [{group, resource}]}), or - for stdin; several files or a directory bind a fleet (needs --out-dir)' })
        .option('out-dir', { type: 'string', requiresArg: true, describe: 'fleet: write <dir>/<clusterID>/all.yaml and provider.kfg.yaml (mode 0600) per cluster' })
        .option('concurrency', { type: 'number', default: 4, describe: 'fleet: how many clusters to bind at once' })
        .option('summary', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'fleet: format of the summary printed on stdout' })
        .option('url', { alias: 'u', type: 'string', demandOption: true, requiresArg: true, describe: 'backend URL; /bind-noninteractive is appended when absent' })
        .option('write-kubeconfig', { type: 'string', requiresArg: true, describe: 'also write the provider kubeconfig to this file (mode 0600)' })
        .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write all.yaml to this file (mode 0600) instead of stdout' })
        .option('konnector-image', { type: 'string', requiresArg: true, describe: 'konnector image for the App Cluster (default public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0)' })
        .option('oidc-scope', { type: 'string', requiresArg: true, describe: 'scope for the token request (default: $OIDC_SCOPE, else none)' })
        .option('client-secret-file', { type: 'string', requiresArg: true, describe: 'read the client secret from this file instead of $OIDC_CLIENT_SECRET' })
        .option('ca-file', { type: 'string', requiresArg: true, describe: 'extra PEM CA bundle trusted for the token endpoint, the backend and the control plane' })
        .option('insecure-skip-tls-verify', { type: 'boolean', default: false, describe: 'do not verify TLS certificates (prints a warning; never in production)' })
        .option('timeout', { type: 'string', default: '5m', describe: 'how long to wait for the export requests to succeed (e.g. 90s, 5m)' })
        .option('request-timeout', { type: 'string', default: '30s', describe: 'timeout of each HTTP request' })
        .option('retries', { type: 'number', default: 4, describe: 'retries of each token, bind and control-plane call on network errors, timeouts, 429 and 5xx' })
        .option('apply-to', { type: 'string', requiresArg: true, describe: 'also apply all.yaml to the App Cluster of this kubeconfig (one pass, server-side apply)' })
        .option('wait', { type: 'boolean', default: true, describe: 'wait until the export requests are Succeeded (--no-wait skips)' })
        .option('wait-bindings', WAIT_BINDINGS_OPTION)
        .example('$0 bootstrap-env -f binding.json -u https://backend.example.com/bind-noninteractive > all.yaml', 'bind and save the App Cluster manifests')
        .example('$0 bootstrap-env -f binding.json -u https://backend.example.com --write-kubeconfig provider.kfg.yaml -o all.yaml', 'also keep the provider kubeconfig to use the binding before the App Cluster exists')
        .example('$0 bootstrap-env -f bindings/ -u https://backend.example.com --out-dir out --concurrency 8', 'bind a fleet: every bindings/*.json, files under out/<clusterID>/')
        .example('OIDC_SCOPE=klutch/bind $0 bootstrap-env -f - -u https://backend.example.com --no-wait < binding.json', 'binding from stdin, with a scope, without waiting')
        .epilog('Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_TOKEN_URL (required), OIDC_SCOPE, HTTPS_PROXY/NO_PROXY.\nExit codes: 0 ok, 2 usage, 3 input, 4 auth, 5 backend, 6 cluster, 7 timeout, 8 export failed, 9 fleet partly failed, 130/143 interrupted.')
        .check((a) => {
          const files = ([] as unknown[]).concat(a.file ?? []);
          if (!files.length || files.some((f) => typeof f !== 'string' || f === '')) throw new UsageError('-f needs a binding file (or - for stdin)');
          const fleet = a['out-dir'] !== undefined || files.length > 1;
          if (fleet && !a['out-dir']) throw new UsageError('several binding files make a fleet: pass --out-dir DIR for the per-cluster files');
          if (a['wait-bindings'] !== undefined && !a['apply-to']) throw new UsageError('--wait-bindings waits on the App Cluster of --apply-to; pass --apply-to too');
          if (fleet && (a.output || a['write-kubeconfig'] || a['apply-to'])) throw new UsageError('--output, --write-kubeconfig and --apply-to are for one binding; a fleet writes its files under --out-dir');
          if (a.concurrency !== undefined && (!Number.isInteger(a.concurrency) || a.concurrency < 1 || a.concurrency > 256)) throw new UsageError('--concurrency must be a whole number from 1 to 256');
          if (a.retries !== undefined && (!Number.isInteger(a.retries) || a.retries < 0 || a.retries > 20)) throw new UsageError('--retries must be a whole number from 0 to 20');
          return true;
        }),
    handler: async (argv) => {
      // The flow pulls in undici, openid-client, ajv and @kubernetes/client-node; loaded only when the command runs, so --help stays fast.
      const { formatFleetSummary, resolveBootstrapOptions, runBootstrapEnv, runFleet } = await import('../flows/bootstrap-env.ts');
      const progress: Progress = { bound: [], exportRequests: [] };
      ctx.progress = progress;
      const opts = resolveBootstrapOptions(
        { ...argv, timeoutMs: parseDuration('--timeout', argv.timeout), requestTimeoutMs: parseDuration('--request-timeout', argv['request-timeout']), waitBindingsMs: waitBindingsMs(argv) },
        ctx.env,
      );
      if (opts.outDir) {
        const summary = await runFleet(opts, { signal: ctx.signal, progress });
        ctx.stdout(argv.summary === 'json' ? JSON.stringify(summary, null, 2) + '\n' : formatFleetSummary(summary));
        if (summary.failed) throw new HelperError('HELPER_FLEET_PARTIAL', `${summary.failed} of ${summary.total} cluster(s) failed (see the summary); the ${summary.succeeded} that succeeded are kept`, ExitCode.partial);
        return;
      }
      const result = await runBootstrapEnv(opts, { signal: ctx.signal, progress });
      if (!opts.output) ctx.stdout(result.yaml);
    },
  };
}
