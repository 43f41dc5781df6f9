/** unbind's adapter, pure: (argv, env) → the library's UnbindInput (lib/unbind.ts) and how the CLI prints it. */
import { UsageError } from '../errors.ts';
import type { UnbindInput } from '../lib/unbind.ts';
import { callPolicyOf, checkRetries, durationOf, isDryRun, tlsOf } from './flags.ts';
import { libCalls } from './lib.ts';

export interface UnbindCli {
  input: UnbindInput;
  format: 'text' | 'json';
}

/** `terminal`: stdin and stderr are one (then --purge asks instead of needing --yes). */
export function unbindOptions(
  argv: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  terminal = Boolean(process.stdin.isTTY && process.stderr.isTTY),
): Readonly<UnbindCli> {
  if (argv['delete-crds'] && !argv['app-kubeconfig'])
    throw new UsageError('--delete-crds deletes the bound CRDs on the App Cluster: it needs --app-kubeconfig');
  checkRetries(argv.retries);
  const input: UnbindInput = {
    kubeconfig: argv.kubeconfig as string,
    context: argv.context as string | undefined,
    env,
    appKubeconfig: argv['app-kubeconfig'] as string | undefined,
    purge: Boolean(argv.purge),
    deleteCrds: Boolean(argv['delete-crds']),
    dryRun: isDryRun(argv),
    yes: Boolean(argv.yes),
    timeoutMs: durationOf(argv, 'timeout'),
    ...(terminal ? { confirm: askOnTerminal } : {}),
    ...libCalls(callPolicyOf(argv), tlsOf(argv)),
  };
  return Object.freeze({ input: Object.freeze(input), format: argv.output === 'json' ? 'json' : 'text' });
}

/** The CLI's one y/N question on the terminal (stdin, stderr): unbind's confirm when both are one. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
