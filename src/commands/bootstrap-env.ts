/** `helper bootstrap-env`: flags and help; the work is in flows/bootstrap-env.ts. */
import { statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../duration.ts';
import { exitCodesEpilog, PartialError, UsageError } from '../errors.ts';
import type { Progress } from '../flows/bootstrap-env.ts';
import { log } from '../log.ts';
import type { RunContext } from '../run-context.ts';
import { CONTEXT_OPTION, OUTPUT_FILE_OPTION, WAIT_BINDINGS_OPTION, checkRetries, resolveOutput, tlsOptions, tightenStdoutFile, waitBindingsMs, type OutputChoice } from './call-options.ts';

/** -o for one binding (all.yaml) and for a fleet (the summary). */
const SINGLE_FORMATS = ['yaml'] as const;
const FLEET_FORMATS = ['text', 'json'] as const;

function isDirectory(path: string): boolean {
  try {
    return path !== '-' && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function outputOf(a: Record<string, unknown>): OutputChoice & { fleet: boolean } {
  const files = ([] as unknown[]).concat(a.file ?? []);
  const fleet = a['out-dir'] !== undefined || files.length > 1;
  const out = fleet
    ? resolveOutput(a, FLEET_FORMATS, 'text', { flag: '--summary', value: a.summary })
    : resolveOutput(a, SINGLE_FORMATS, 'yaml');
  return { ...out, fleet };
}

export function bootstrapEnvCommand(ctx: RunContext): CommandModule {
  return {
    command: 'bootstrap-env',
    describe: 'Bind an App Cluster non-interactively and print its manifests (all.yaml)',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', array: true, demandOption: true, normalize: true, describe: 'binding.json ({"clusterID", "apis": [{group, resource}]}), or - for stdin; several files or a directory bind a fleet (needs --out-dir)' })
        .option('url', { alias: 'u', type: 'string', requiresArg: true, describe: 'backend URL; /bind-noninteractive is appended when absent (env HELPER_BIND_URL)' })
        .option('output-file', { ...OUTPUT_FILE_OPTION, describe: 'write all.yaml to this file (atomically, mode 0600) instead of stdout; - is stdout' })
        .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'output format: yaml (all.yaml); for a fleet the summary: text or json. (Deprecated: -o FILE, use --output-file)' })
        .option('write-kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: 'also write the provider kubeconfig to this file (mode 0600)' })
        .option('out-dir', { type: 'string', requiresArg: true, normalize: true, describe: 'fleet: write <dir>/<clusterID>/all.yaml and provider.kfg.yaml (mode 0600) per cluster' })
        .option('concurrency', { type: 'number', default: 4, describe: 'fleet: how many clusters to bind at once' })
        .option('summary', { choices: ['text', 'json'] as const, deprecated: 'use -o text|json', describe: 'fleet: format of the summary printed on stdout' })
        .option('konnector-image', { type: 'string', requiresArg: true, describe: 'konnector image for the App Cluster (default public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0; env HELPER_KONNECTOR_IMAGE)' })
        .option('oidc-scope', { type: 'string', requiresArg: true, describe: 'scope for the token request (default: $OIDC_SCOPE, else none)' })
        .option('client-secret-file', { type: 'string', requiresArg: true, normalize: true, describe: 'read the client secret from this file instead of $OIDC_CLIENT_SECRET (env HELPER_CLIENT_SECRET_FILE)' })
        .options(tlsOptions('the token endpoint, the backend and the control plane', 'TLS certificates (prints a warning; never in production)'))
        .option('timeout', { type: 'string', default: '5m', describe: 'how long to wait for the export requests to succeed (e.g. 90s, 5m)' })
        .option('request-timeout', { type: 'string', default: '30s', describe: 'timeout of each HTTP request (env HELPER_REQUEST_TIMEOUT)' })
        .option('retries', { type: 'number', default: 4, describe: 'retries of each token, bind and control-plane call on network errors, timeouts, 429 and 5xx (env HELPER_RETRIES)' })
        .option('apply-to', { type: 'string', requiresArg: true, normalize: true, describe: 'also apply all.yaml to the App Cluster of this kubeconfig (one pass, server-side apply)' })
        .option('context', { ...CONTEXT_OPTION, describe: 'context of the --apply-to kubeconfig (default: its current-context)' })
        .option('wait', { type: 'boolean', default: true, describe: 'wait until the export requests are Succeeded (--no-wait skips)' })
        .option('wait-bindings', WAIT_BINDINGS_OPTION)
        .example('$0 bootstrap-env -f binding.json -u https://backend.example.com/bind-noninteractive --output-file all.yaml', 'bind and save the App Cluster manifests (mode 0600)')
        .example('$0 bootstrap-env -f binding.json -u https://backend.example.com --write-kubeconfig provider.kfg.yaml --output-file all.yaml', 'also keep the provider kubeconfig to use the binding before the App Cluster exists')
        .example('$0 bootstrap-env -f bindings/ -u https://backend.example.com --out-dir out --concurrency 8 -o json', 'bind a fleet: every bindings/*.json, files under out/<clusterID>/, a JSON summary')
        .example('OIDC_SCOPE=klutch/bind HELPER_BIND_URL=https://backend.example.com $0 bootstrap-env -f - --no-wait --output-file all.yaml < binding.json', 'binding from stdin, URL from the environment, with a scope, without waiting')
        .epilog('Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_TOKEN_URL (required), OIDC_SCOPE, HELPER_BIND_URL, HELPER_CA_FILE, HELPER_KONNECTOR_IMAGE, HELPER_CLIENT_SECRET_FILE, HELPER_REQUEST_TIMEOUT, HELPER_RETRIES, HELPER_LOG_FORMAT (a flag wins over its variable), HTTPS_PROXY/NO_PROXY.\n' + exitCodesEpilog(['usage', 'input', 'auth', 'backend', 'cluster', 'timeout', 'failed', 'partial']))
        .check((a) => {
          const files = ([] as unknown[]).concat(a.file ?? []);
          if (!files.length || files.some((f) => typeof f !== 'string' || f === '')) throw new UsageError('-f needs a binding file (or - for stdin)');
          if (typeof a.url !== 'string' || a.url === '') throw new UsageError('-u/--url is required: the backend URL (or set HELPER_BIND_URL)');
          const out = outputOf(a);
          if (!out.fleet && files.length === 1 && isDirectory(files[0] as string)) {
            throw new UsageError(`-f ${String(files[0])} is a directory: a directory of binding files binds a fleet; pass --out-dir DIR for the per-cluster files`);
          }
          if (out.fleet && !a['out-dir']) throw new UsageError('several binding files make a fleet: pass --out-dir DIR for the per-cluster files');
          if (out.fleet && (out.file || a['write-kubeconfig'] || a['apply-to'])) throw new UsageError('--output-file, --write-kubeconfig and --apply-to are for one binding; a fleet writes its files under --out-dir');
          if (a['wait-bindings'] !== undefined && !a['apply-to']) throw new UsageError('--wait-bindings waits on the App Cluster of --apply-to; pass --apply-to too');
          if (a.context !== undefined && !a['apply-to']) throw new UsageError('--context picks the context of the --apply-to kubeconfig; pass --apply-to too');
          if (a.concurrency !== undefined && (!Number.isInteger(a.concurrency) || a.concurrency < 1 || a.concurrency > 256)) throw new UsageError('--concurrency must be a whole number from 1 to 256');
          return checkRetries(a.retries);
        }),
    handler: async (argv) => {
      const out = outputOf(argv);
      for (const d of out.deprecations) log.warn(d);
      // The flow pulls in undici, openid-client, ajv and @kubernetes/client-node; loaded only when the command runs, so --help stays fast.
      const { formatFleetSummary, resolveBootstrapOptions, runBootstrapEnv, runFleet } = await import('../flows/bootstrap-env.ts');
      const progress: Progress = { bound: [], exportRequests: [] };
      ctx.progress = progress;
      const opts = resolveBootstrapOptions(
        { ...argv, output: out.file, timeoutMs: parseDuration('--timeout', argv.timeout), requestTimeoutMs: parseDuration('--request-timeout', argv['request-timeout']), waitBindingsMs: waitBindingsMs(argv) },
        ctx.env,
      );
      if (opts.outDir) {
        const summary = await runFleet(opts, { signal: ctx.signal, progress });
        ctx.stdout(out.format === 'json' ? JSON.stringify(summary, null, 2) + '\n' : formatFleetSummary(summary));
        if (summary.failed) throw new PartialError(`${summary.failed} of ${summary.total} cluster(s) failed (see the summary); the ${summary.succeeded} that succeeded are kept`);
        return;
      }
      if (!opts.output) tightenStdoutFile('all.yaml with the provider kubeconfig\'s token');
      const result = await runBootstrapEnv(opts, { signal: ctx.signal, progress });
      if (!opts.output) ctx.stdout(result.yaml);
    },
  };
}
