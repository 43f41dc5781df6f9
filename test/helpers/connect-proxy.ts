/**
 * A real forward proxy on loopback, as HTTPS_PROXY names one: it answers
 * CONNECT host:port by opening a TCP tunnel (the TLS session inside stays the
 * client's and the server's), and logs each CONNECT it was asked for: that
 * log is a test's evidence of which calls went through a proxy. `route` maps
 * a requested host:port to where the tunnel goes (a name that only the proxy
 * can resolve, as in a network where only the proxy reaches the servers).
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** host:port of every CONNECT, in order. */
  connects: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(
  opts: { route?: (hostPort: string) => { host: string; port: number } | undefined; auth?: string } = {},
): Promise<ConnectProxy> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    // Only tunnels: a plain request (absolute-form) is not what helper should send.
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('this proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const target = req.url ?? '';
    connects.push(target);
    if (
      opts.auth !== undefined &&
      req.headers['proxy-authorization'] !== `Basic ${Buffer.from(opts.auth).toString('base64')}`
    ) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
      return;
    }
    const m = /^(.+):(\d+)$/.exec(target);
    const to =
      opts.route?.(target) ?? (m ? { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) } : undefined);
    if (!to) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const upstream = connect(to.port, to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
