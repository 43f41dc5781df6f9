/**
 * Gives a test file the sandbox: the one test/run.ts started for the whole
 * suite (HELPER_SANDBOX_DIR), or a fresh one stopped at teardown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { sandboxBinaries, type Binaries } from '../sandbox/cluster.ts';
import { startSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';

export type TestSandbox = SandboxInfo & { bin: Binaries };

export async function useSandbox(t: Test): Promise<TestSandbox> {
  const shared = process.env.HELPER_SANDBOX_DIR;
  if (shared) {
    const info = JSON.parse(readFileSync(join(shared, 'sandbox.json'), 'utf8')) as SandboxInfo;
    return { ...info, bin: await sandboxBinaries() };
  }
  const sb = await startSandbox({ quiet: true });
  t.teardown(() => sb.stop());
  return sb;
}

/** The env a user of helper sets for this sandbox, plus the CA. */
export function userEnv(sb: SandboxInfo, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...sb.env, ...extra };
}
