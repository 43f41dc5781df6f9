/**
 * `helper bootstrap-env`: flags and help; options in options/bootstrap-env.ts, the call in lib/bind.ts (one binding:
 * bind's flow; a fleet: flows/fleet.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { exitCodesEpilog } from '../errors.ts';
import { bootstrapEnvOptions } from '../options/bootstrap-env.ts';
import { CONTEXT_OPTION, OUTPUT_FILE_OPTION, WAIT_BINDINGS_OPTION, callOptions, tlsOptions } from '../options/flags.ts';
import type { RunContext } from '../run-context.ts';
import { cliCall, print } from './handler.ts';

export function bootstrapEnvCommand(ctx: RunContext): CommandModule {
  return {
    command: 'bootstrap-env',
    describe: 'Bind an App Cluster non-interactively and print its manifests (all.yaml)',
    builder: (y: Argv) =>
      y
        .option('file', {
          alias: 'f',
          type: 'string',
          array: true,
          demandOption: true,
          normalize: true,
          describe:
            'binding.json ({"clusterID", "apis": [{group, resource}]}), or - for stdin; several files or a ' +
            'directory bind a fleet (needs --out-dir)',
        })
        .option('url', {
          alias: 'u',
          type: 'string',
          requiresArg: true,
          describe: 'backend URL; /bind-noninteractive is appended when absent (env HELPER_BIND_URL)',
        })
        .option('output-file', {
          ...OUTPUT_FILE_OPTION,
          describe: 'write all.yaml to this file (atomically, mode 0600) instead of stdout; - is stdout',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          requiresArg: true,
          describe:
            'output format: yaml (all.yaml); for a fleet the summary: text or json. (Deprecated: -o FILE, ' +
            'use --output-file)',
        })
        .option('write-kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: 'also write the provider kubeconfig to this file (mode 0600)',
        })
        .option('out-dir', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: 'fleet: write <dir>/<clusterID>/all.yaml and provider.kfg.yaml (mode 0600) per cluster',
        })
        .option('concurrency', { type: 'number', default: 4, describe: 'fleet: how many clusters to bind at once' })
        .option('fail-fast', {
          type: 'boolean',
          describe: 'fleet: after the first failure start no other cluster (those under way finish); exit 9',
        })
        .option('summary', {
          choices: ['text', 'json'] as const,
          deprecated: 'use -o text|json',
          describe: 'fleet: format of the summary printed on stdout',
        })
        .option('konnector-image', {
          type: 'string',
          requiresArg: true,
          describe:
            'konnector image for the App Cluster (default public.ecr.aws/w5n9a2g2/anynines/konnector:v1.4.0; ' +
            'env HELPER_KONNECTOR_IMAGE)',
        })
        .option('oidc-scope', {
          type: 'string',
          requiresArg: true,
          describe: 'scope for the token request (default: $OIDC_SCOPE, else none)',
        })
        .option('client-secret-file', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            'read the client secret from this file instead of $OIDC_CLIENT_SECRET (env HELPER_CLIENT_SECRET_FILE)',
        })
        .option('client-key-file', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            'keyless: authenticate with private_key_jwt, signing with this private key (PEM or JWK; env ' +
            'OIDC_CLIENT_KEY_FILE)',
        })
        .option('client-assertion-file', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            'keyless: send the JWT in this file (e.g. a projected ServiceAccount token), read again for ' +
            'every token request (env OIDC_CLIENT_ASSERTION_FILE)',
        })
        .option('grant-type', {
          choices: ['client_credentials', 'jwt-bearer'] as const,
          describe:
            'with --client-assertion-file: client_credentials sends it as the client assertion, jwt-bearer ' +
            'as the grant itself (RFC 7523; env OIDC_GRANT_TYPE; default client_credentials)',
        })
        .option('oidc-audience', {
          type: 'string',
          requiresArg: true,
          describe: 'audience parameter of the token request (default: $OIDC_AUDIENCE, else none)',
        })
        .option('oidc-resource', {
          type: 'string',
          requiresArg: true,
          describe: 'resource parameter of the token request, RFC 8707 (default: $OIDC_RESOURCE, else none)',
        })
        .options(
          tlsOptions(
            'the token endpoint, the backend and the control plane (and the --apply-to App Cluster)',
            'the TLS certificates of the token endpoint, the backend and the control plane (not the ' +
              "--apply-to App Cluster's; http:// stays refused; prints a warning; never in production)",
          ),
        )
        .option('timeout', {
          type: 'string',
          default: '5m',
          describe: 'how long to wait for the export requests to succeed (e.g. 90s, 5m)',
        })
        .options(callOptions('bootstrap-env'))
        .option('apply-to', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe: 'also apply all.yaml to the App Cluster of this kubeconfig (one pass, server-side apply)',
        })
        .option('context', {
          ...CONTEXT_OPTION,
          describe: 'context of the --apply-to kubeconfig (default: its current-context)',
        })
        .option('write-secret', {
          type: 'string',
          requiresArg: true,
          describe:
            'also write the provider kubeconfig and all.yaml (keys provider.kfg.yaml, all.yaml) to this ' +
            'Secret, NAMESPACE/NAME, by server-side apply; a Secret of that name that helper did not write ' +
            'for this clusterID is refused (exit 6)',
        })
        .option('secret-kubeconfig', {
          type: 'string',
          requiresArg: true,
          normalize: true,
          describe:
            'kubeconfig of the --write-secret cluster (default: as kubectl finds it: $KUBECONFIG, ' +
            "~/.kube/config, in a Pod its ServiceAccount; never --apply-to's)",
        })
        .option('wait', {
          type: 'boolean',
          default: true,
          describe: 'wait until the export requests are Succeeded (--no-wait skips)',
        })
        .option('wait-bindings', WAIT_BINDINGS_OPTION)
        .example(
          '$0 bootstrap-env -f binding.json -u https://backend.example.com/bind-noninteractive --output-file all.yaml',
          'bind and save the App Cluster manifests (mode 0600)',
        )
        .example(
          '$0 bootstrap-env -f binding.json -u https://backend.example.com --write-kubeconfig ' +
            'provider.kfg.yaml --output-file all.yaml',
          'also keep the provider kubeconfig to use the binding before the App Cluster exists',
        )
        .example(
          '$0 bootstrap-env -f bindings/ -u https://backend.example.com --out-dir out --concurrency 8 -o json',
          'bind a fleet: every bindings/*.json, files under out/<clusterID>/, a JSON summary',
        )
        .example(
          'OIDC_SCOPE=klutch/bind HELPER_BIND_URL=https://backend.example.com $0 bootstrap-env -f - ' +
            '--no-wait --output-file all.yaml < binding.json',
          'binding from stdin, URL from the environment, with a scope, without waiting',
        )
        .epilog(
          'Environment: OIDC_CLIENT_ID, OIDC_TOKEN_URL (required), one of OIDC_CLIENT_SECRET, ' +
            'OIDC_CLIENT_KEY_FILE (with OIDC_CLIENT_KEY_ID), OIDC_CLIENT_ASSERTION_FILE (with ' +
            'OIDC_GRANT_TYPE); OIDC_SCOPE, OIDC_AUDIENCE, OIDC_RESOURCE, HELPER_BIND_URL, HELPER_CA_FILE, ' +
            'HELPER_KONNECTOR_IMAGE, HELPER_CLIENT_SECRET_FILE, HELPER_REQUEST_TIMEOUT, HELPER_RETRIES, ' +
            'HELPER_LOG_FORMAT (a flag wins over its variable), HTTPS_PROXY/NO_PROXY.\n' +
            exitCodesEpilog(['usage', 'input', 'auth', 'backend', 'cluster', 'timeout', 'failed', 'partial']),
        ),
    // One binding or a fleet, through the library (lib/bind.ts, loaded only when it runs).
    handler: async (argv) => {
      const opts = bootstrapEnvOptions(argv, ctx.env);
      const { bootstrapCall } = await import('../lib/bind.ts');
      print(ctx, await bootstrapCall(opts, { signal: ctx.signal }, cliCall(ctx)));
    },
  };
}
