/**
 * The one handler shape of every command: options(argv, env) → flow(options,
 * deps) → print. The flow module is loaded only when the command runs, so
 * `--help` does not load undici, ajv or @kubernetes/client-node.
 */
import type { FlowDeps, FlowOutcome } from '../flows/deps.ts';
import { log } from '../log.ts';
import type { RunContext } from '../run-context.ts';

export type Flow<O> = (options: O, deps: Partial<FlowDeps>) => Promise<FlowOutcome>;

export function handler<O>(
  run: RunContext,
  options: (argv: Record<string, unknown>, env: NodeJS.ProcessEnv) => O,
  flow: () => Promise<Flow<O>>,
) {
  return async (argv: Record<string, unknown>): Promise<void> => {
    const opts = options(argv, run.env);
    const outcome = await (await flow())(opts, { signal: run.signal, journal: run.journal });
    if (outcome.stdout !== undefined) run.stdout(outcome.stdout);
    for (const line of outcome.notes ?? []) log.info(line);
    if (outcome.error) throw outcome.error;
  };
}
