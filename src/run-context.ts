/** What a command handler gets from cli.ts: the environment, the run's signal and the stdout writer. */
import type { Progress } from './flows/bootstrap-env.ts';

export interface RunContext {
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Writes the artifact to stdout (the only stdout writer). */
  stdout: (text: string) => void;
  /** Filled by bootstrap-env so an interruption can say what exists on the control plane. */
  progress?: Progress | undefined;
  /** Filled by the apply commands: what was applied so far, for the same purpose. */
  applied?: { server: string; total: number; objects: string[] } | undefined;
}
