/**
 * The opt-in wait after applying all.yaml: until every APIServiceBinding it
 * holds is Ready on the App Cluster, i.e. the App Cluster's konnector
 * connected it to its APIServiceExport and installed the bound CRD. Ready is
 * the konnector's summary of the binding's conditions (SecretValid,
 * Connected, InformersSynced, SchemaInSync, Heartbeating). The
 * ClusterBinding's Ready condition on the control plane is no signal for
 * this: v1.4.0's example-backend sets it False for 10 s after each heartbeat.
 */
import { log } from '../log.ts';
import type { KubeClient } from './client.ts';
import { conditionsOf } from './conditions.ts';
import { KINDS, type KObject } from './resources.ts';
import { expectObject } from './transport.ts';
import { waitUntil } from './wait.ts';

/** One binding's readiness, in words for a timeout message. */
export function bindingState(b: KObject | undefined): { ready: boolean; seen: string } {
  if (!b) return { ready: false, seen: 'does not exist' };
  const conds = conditionsOf(b);
  const ready = conds.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { ready: true, seen: 'Ready' };
  // The first condition that is not True says why; Ready's own message repeats it.
  const why = conds.find((c) => c.type !== 'Ready' && c.status !== 'True') ?? ready;
  if (!why) return { ready: false, seen: 'no conditions yet (is the konnector running on the App Cluster?)' };
  return {
    ready: false,
    seen: `${why.type}=${why.status}${why.reason ? ` ${why.reason}` : ''}${why.message ? `: ${why.message}` : ''}`,
  };
}

export interface BindingsReadyOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Interval of the still-waiting lines (default: wait.ts's). */
  stillWaitingMs?: number | undefined;
}

/**
 * The states of the bindings not Ready, each state once: `both: does not exist`, `all 3: no conditions yet
 * (...)`, else `a, b: <state>; c: <state>`.
 */
export function groupStates(waiting: ReadonlyArray<{ n: string; seen: string }>): string {
  const by = new Map<string, string[]>();
  for (const w of waiting) by.set(w.seen, [...(by.get(w.seen) ?? []), w.n]);
  if (by.size === 1 && waiting.length > 1) {
    return `${waiting.length === 2 ? 'both' : `all ${waiting.length}`}: ${waiting[0]!.seen}`;
  }
  return [...by].map(([seen, ns]) => `${ns.join(', ')}: ${seen}`).join('; ');
}

/**
 * Resolves when every APIServiceBinding among the manifest's objects is Ready
 * on the App Cluster; TimeoutError names each one that is not, with its condition.
 */
export async function waitForBindingsReady(
  app: KubeClient,
  objects: ReadonlyArray<{ kind: string; metadata: { name: string } }>,
  opts: BindingsReadyOptions,
): Promise<void> {
  const names = objects.filter((o) => o.kind === 'APIServiceBinding').map((o) => o.metadata.name);
  if (!names.length) return;
  const server = `App Cluster ${app.host}`;
  log.info(
    `waiting up to ${Math.round(opts.timeoutMs / 1000)}s for ${names.length} APIServiceBinding(s) to be ` +
      `Ready on the ${server} (its konnector connects them)`,
  );
  await waitUntil({
    what: `APIServiceBinding(s) ${names.join(', ')} to be Ready on the ${server}`,
    // The line above named the cluster; the timeout's message names each binding.
    brief: `${names.length} APIServiceBinding(s) to be Ready`,
    stillWaitingMs: opts.stillWaitingMs,
    // One list per round; the loop is the retry, so each call is a single attempt.
    get: () =>
      app.call(
        { server, action: 'list apiservicebindings', short: 'list apiservicebindings' },
        async (signal) => {
          const list = (await app.request(
            { method: 'GET', path: await app.pathOf(KINDS.serviceBinding, undefined, undefined, signal) },
            signal,
          )) as { items?: KObject[] };
          if (!Array.isArray(list?.items)) throw new SyntaxError('the answer is not an APIServiceBinding list');
          return { metadata: {}, items: list.items.map((i) => expectObject(i, 'an APIServiceBinding')) } as KObject;
        },
        1,
      ),
    check: (obj) => {
      const items = (obj?.items ?? []) as KObject[];
      const states = names.map((n) => ({ n, ...bindingState(items.find((i) => i.metadata?.name === n)) }));
      const waiting = states.filter((s) => !s.ready);
      if (!waiting.length) return { done: true, value: undefined };
      return { done: false, seen: groupStates(waiting) };
    },
    timeoutMs: opts.timeoutMs,
    intervalMs: 1000,
    fallbackIntervalMs: 1000,
    signal: opts.signal,
    onProgress: (seen) => log.debug(`APIServiceBindings: ${seen}`),
  });
  log.info(`all ${names.length} APIServiceBinding(s) Ready on the ${server}`);
}
