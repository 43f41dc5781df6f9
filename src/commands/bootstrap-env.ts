/** `helper bootstrap-env`: flags and help; the work is in flows/bootstrap-env.ts. */
import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../duration.ts';
import { resolveBootstrapOptions, runBootstrapEnv, type Progress } from '../flows/bootstrap-env.ts';
import type { RunContext } from '../run-context.ts';

export function bootstrapEnvCommand(ctx: RunContext): CommandModule {
  return {
    command: 'bootstrap-env',
    describe: 'Bind an App Cluster non-interactively and print its manifests (all.yaml)',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', demandOption: true, requiresArg: true, describe: 'binding.json ({"clusterID", "apis": [{group, resource}]}), or - for stdin' })
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
        .option('retries', { type: 'number', default: 4, describe: 'retries of the token and bind calls on network errors, 429 and 5xx' })
        .option('apply-to', { type: 'string', requiresArg: true, describe: 'also apply all.yaml to the App Cluster of this kubeconfig (one pass, server-side apply)' })
        .option('wait', { type: 'boolean', default: true, describe: 'wait until the export requests are Succeeded (--no-wait skips)' })
        .example('$0 bootstrap-env -f binding.json -u https://backend.example.com/bind-noninteractive > all.yaml', 'bind and save the App Cluster manifests')
        .example('$0 bootstrap-env -f binding.json -u https://backend.example.com --write-kubeconfig provider.kfg.yaml -o all.yaml', 'also keep the provider kubeconfig to use the binding before the App Cluster exists')
        .example('OIDC_SCOPE=klutch/bind $0 bootstrap-env -f - -u https://backend.example.com --no-wait < binding.json', 'binding from stdin, with a scope, without waiting')
        .epilog('Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_TOKEN_URL (required), OIDC_SCOPE, HTTPS_PROXY/NO_PROXY.\nExit codes: 0 ok, 2 usage, 3 input, 4 auth, 5 backend, 6 cluster, 7 timeout, 8 export failed, 130/143 interrupted.')
        .check((a) => {
          if (a.retries !== undefined && (!Number.isInteger(a.retries) || a.retries < 0 || a.retries > 20)) throw new Error('--retries must be a whole number from 0 to 20');
          return true;
        }),
    handler: async (argv) => {
      const progress: Progress = { exportRequests: [] };
      ctx.progress = progress;
      const opts = resolveBootstrapOptions(
        { ...argv, timeoutMs: parseDuration('--timeout', argv.timeout), requestTimeoutMs: parseDuration('--request-timeout', argv['request-timeout']) },
        ctx.env,
      );
      const result = await runBootstrapEnv(opts, { signal: ctx.signal, progress });
      if (!opts.output) ctx.stdout(result.yaml);
    },
  };
}
