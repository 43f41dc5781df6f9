/** What cli.ts hands every command: the environment, the run's signal, the stdout writer and the run's journal. */
import type { Journal } from './journal.ts';

export interface RunContext {
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Writes the artifact to stdout (the only stdout writer). */
  stdout: (text: string) => void;
  /** What the run changed outside this machine (cli.ts prints it when the run fails). */
  journal: Journal;
}
