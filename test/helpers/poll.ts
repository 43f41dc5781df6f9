/** Polling for e2e tests and the demo, on test/sandbox/poll.ts. */
import type { Test } from 'tap';
import { kubectl, type Binaries } from '../sandbox/cluster.ts';
import { poll, PollTimeout, type PollStep } from '../sandbox/poll.ts';

/** Polls until read() returns a value; on timeout fails the test (saying what it last saw) and returns undefined. */
export async function eventually<T>(
  t: Test,
  what: string,
  timeoutMs: number,
  read: () => Promise<PollStep<T>>,
): Promise<T | undefined> {
  try {
    return await poll({ what, timeoutMs }, read);
  } catch (err) {
    if (!(err instanceof PollTimeout)) throw err;
    t.fail(err.message);
    return undefined;
  }
}

/** `kubectl get ... -o jsonpath=...` as a poll step: done once the object exists and the path is non-empty. */
export function jsonpathStep(
  bin: Binaries,
  kubeconfig: string,
  args: string[],
  jsonpath: string,
): () => Promise<PollStep<string>> {
  return async () => {
    const r = await kubectl(bin, kubeconfig, ['get', ...args, '-o', `jsonpath=${jsonpath}`]);
    return r.code === 0 && r.stdout.trim()
      ? { value: r.stdout.trim(), seen: r.stdout }
      : { seen: (r.stderr || r.stdout).trim() || 'empty' };
  };
}
