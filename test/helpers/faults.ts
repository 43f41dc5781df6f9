/**
 * A loopback HTTPS proxy placed in front of a real sandbox server, for fault
 * injection only: per request, a script decides to forward to the real
 * server or to answer with a fault (status, body, reset, stall), to lose
 * the real answer (forward, then answer with a fault instead), or to rewrite
 * the real answer's body (a forged answer). It never
 * stands in for a server's behaviour on the forwarded requests.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, request } from 'undici';

/** What the proxy answers instead of the real server. */
export type FaultAnswer =
  | 'reset'
  | 'stall'
  | { status: number; body?: string | Buffer; headers?: Record<string, string> };

export type Fault =
  | 'forward'
  | FaultAnswer
  /** A lost answer: the request reaches the real server (which acts on it), its answer is dropped and `lose` is sent
   * instead. */
  | { lose: FaultAnswer }
  /** A tampered answer: the real server's whole answer, changed by `rewrite` (a hostile or compromised server); same
   * status and headers. */
  | { rewrite: (body: Buffer) => string | Buffer };

export interface FaultProxy {
  url: string;
  /** Requests seen so far (1-based count), with their method and path. */
  seen: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/** Starts the proxy; `script(n, req)` picks the fault for the n-th request (1-based). */
export async function startFaultProxy(opts: {
  target: string;
  caFile: string;
  tls: { certFile: string; keyFile: string };
  script: (n: number, req: IncomingMessage) => Fault;
}): Promise<FaultProxy> {
  const ca = readFileSync(opts.caFile, 'utf8');
  const agent = new Agent({ connect: { ca } });
  const sockets = new Set<Socket>();
  const seen: FaultProxy['seen'] = [];
  const server = createServer(
    { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) },
    (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ method: req.method ?? '', path: req.url ?? '' });
      const fault = opts.script(seen.length, req);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      const answer = (a: FaultAnswer) => {
        if (a === 'reset') {
          req.socket.destroy();
          return;
        }
        if (a === 'stall') return; // never answer; the client's timeout must fire
        res.writeHead(a.status, { 'content-type': 'text/plain', ...(a.headers ?? {}) });
        res.end(a.body ?? '');
      };
      req.on('end', () => {
        if (fault !== 'forward' && !(typeof fault === 'object' && ('lose' in fault || 'rewrite' in fault))) {
          answer(fault);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
        const upstream = request(new URL(req.url ?? '/', opts.target), {
          method: (req.method ?? 'GET') as 'POST',
          headers,
          body: Buffer.concat(chunks),
          dispatcher: agent,
        });
        if (typeof fault === 'object' && 'rewrite' in fault) {
          upstream
            .then(async (up) => {
              const body = Buffer.from(fault.rewrite(Buffer.from(await up.body.arrayBuffer())));
              const h: Record<string, string> = {};
              for (const [k, v] of Object.entries(up.headers))
                if (
                  typeof v === 'string' &&
                  !['connection', 'transfer-encoding', 'keep-alive', 'content-length'].includes(k)
                )
                  h[k] = v;
              res.writeHead(up.statusCode, { ...h, 'content-length': String(body.byteLength) });
              res.end(body);
            })
            .catch(() => {
              res.writeHead(502);
              res.end('fault proxy: upstream failed');
            });
          return;
        }
        if (fault !== 'forward') {
          // The real server has done the work once its whole answer is read; then the answer is lost.
          upstream
            .then((up) => up.body.dump())
            .then(
              () => answer(fault.lose),
              () => answer(fault.lose),
            );
          return;
        }
        upstream
          .then((up) => {
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(up.headers))
              if (typeof v === 'string' && !['connection', 'transfer-encoding', 'keep-alive'].includes(k)) h[k] = v;
            // Streamed, so long-running responses (watches) flow through as they come.
            res.writeHead(up.statusCode, h);
            up.body.on('error', () => res.destroy());
            up.body.pipe(res);
          })
          .catch(() => {
            res.writeHead(502);
            res.end('fault proxy: upstream failed');
          });
      });
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // destroy, not close: close would wait for forwarded watches to end.
      await agent.destroy();
    },
  };
}
