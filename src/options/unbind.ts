/** unbind's options, pure: (argv, env) → frozen options. */
import { UsageError } from '../errors.ts';
import { callPolicyOf, checkRetries, durationOf, isDryRun, tlsOf, type CallFlags, type TlsFlags } from './flags.ts';

export interface UnbindOptions extends CallFlags, TlsFlags {
  /** Always named (never $KUBECONFIG): it picks what is deleted. */
  kubeconfig: string;
  context: string | undefined;
  env: NodeJS.ProcessEnv;
  appKubeconfig: string | undefined;
  purge: boolean;
  /** Also delete the bound CRDs on the App Cluster (and with them its copies of the claims). */
  deleteCrds: boolean;
  dryRun: boolean;
  yes: boolean;
  format: 'text' | 'json';
  timeoutMs: number;
  /** stdin and stderr are a terminal: --purge may ask instead of needing --yes. */
  interactive: boolean;
}

export function unbindOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): Readonly<UnbindOptions> {
  if (argv['delete-crds'] && !argv['app-kubeconfig'])
    throw new UsageError('--delete-crds deletes the bound CRDs on the App Cluster: it needs --app-kubeconfig');
  checkRetries(argv.retries);
  return Object.freeze({
    kubeconfig: argv.kubeconfig as string,
    context: argv.context as string | undefined,
    env,
    appKubeconfig: argv['app-kubeconfig'] as string | undefined,
    purge: Boolean(argv.purge),
    deleteCrds: Boolean(argv['delete-crds']),
    dryRun: isDryRun(argv),
    yes: Boolean(argv.yes),
    format: argv.output === 'json' ? 'json' : 'text',
    timeoutMs: durationOf(argv, 'timeout'),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ...callPolicyOf(argv),
    ...tlsOf(argv),
  });
}
