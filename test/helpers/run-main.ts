/**
 * Runs `helper ARGS` in process through main() and returns what a user sees:
 * exit code, stdout and stderr. The commands' tests use it to check the
 * wiring (help lists the flags; argv reaches the options; their errors reach
 * the exit path), not the flows (test/unit/flows/).
 */
import { main } from '../../src/cli.ts';
import { Journal } from '../../src/journal.ts';

export async function runMain(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string; journal: Journal }> {
  let stdout = '';
  let stderr = '';
  const write = process.stderr.write;
  const out = process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  // yargs prints --help through console.log.
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  const journal = new Journal();
  try {
    const code = await main(args, {
      env,
      signal: new AbortController().signal,
      stdout: (s) => {
        stdout += s;
      },
      journal,
    });
    return { code, stdout, stderr, journal };
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
}

/** The long flags a --help text lists (the first word of each option line). */
export function helpFlags(help: string): string[] {
  return [...new Set([...help.matchAll(/^\s+(?:-[a-zA-Z], )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!))].sort();
}
