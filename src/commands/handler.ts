/**
 * The handler shapes of the commands. `handler`: options(argv, env) → flow(options, deps) → print (the verbs
 * not yet on the library). `print`: a library call's output (the report's text or JSON, and the error its verdict
 * ends with). The flow or library module is loaded only when the command runs, so `--help` does not load undici,
 * ajv or @kubernetes/client-node.
 */
import type { FlowDeps, FlowOutcome } from '../flows/deps.ts';
import { log } from '../log.ts';
import type { CliCall } from '../lib/run.ts';
import type { RunContext } from '../run-context.ts';

export type Flow<O> = (options: O, deps: Partial<FlowDeps>) => Promise<FlowOutcome>;

export function handler<O>(
  run: RunContext,
  options: (argv: Record<string, unknown>, env: NodeJS.ProcessEnv) => O,
  flow: () => Promise<Flow<O>>,
) {
  return async (argv: Record<string, unknown>): Promise<void> => {
    const opts = options(argv, run.env);
    print(run, await (await flow())(opts, { signal: run.signal, journal: run.journal }));
  };
}

/** What a library call of the CLI carries: its journal (it runs in the process scope cli.ts set up). */
export function cliCall(run: RunContext): CliCall {
  return { journal: run.journal };
}

/** The artifact to stdout, then the error the outcome ends with. */
export function print(run: RunContext, outcome: FlowOutcome): void {
  if (outcome.stdout !== undefined) run.stdout(outcome.stdout);
  for (const line of outcome.notes ?? []) log.info(line);
  if (outcome.error) throw outcome.error;
}
