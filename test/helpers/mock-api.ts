/**
 * For the in-process tests of kube/: a KubeClient whose transport is an
 * undici MockAgent (real connections disabled) answering every request with
 * `answer`, and the list of requests it got (method, path, query, body).
 */
import type { Test } from 'tap';
import { MockAgent } from 'undici';
import { KubeClient, type KubeOptions } from '../../src/kube/client.ts';

export interface Sent {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}
export type Answer = (req: Sent) => { status: number; body?: unknown };

export const SERVER = 'https://api.test:6443';

export function mockApi(
  t: Test,
  answer: Answer,
  opts: Partial<KubeOptions> = {},
): { client: KubeClient; sent: Sent[] } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  t.teardown(() => agent.close());
  const sent: Sent[] = [];
  agent
    .get(SERVER)
    .intercept({ path: () => true, method: () => true })
    .reply((req) => {
      const url = new URL(`${SERVER}${req.path}`);
      const s: Sent = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: req.body === undefined || req.body === null ? undefined : JSON.parse(String(req.body)),
      };
      sent.push(s);
      const a = answer(s);
      return {
        statusCode: a.status,
        data: JSON.stringify(a.body ?? {}),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    })
    .persist();
  const client = new KubeClient(
    { server: SERVER, insecure: false, auth: { kind: 'token', token: 't0ken-for-tests' } },
    { label: 'cluster', dispatcher: agent, requestTimeoutMs: 1000, attempts: 1, baseDelayMs: 1, ...opts },
  );
  return { client, sent };
}

export const notFound = { status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'not found' } };
