/**
 * -vv tracing, in a module of its own so that loading it (cli.ts does, for
 * every run) does not load undici: --help and completion stay fast.
 */
import { subscribe } from 'node:diagnostics_channel';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * -vv: one stderr line per HTTP request of the run (token endpoint, backend,
 * API servers; all go through undici): method, host, path without the query,
 * status and duration. Never headers, bodies or query strings, which can
 * carry tokens.
 */
export function traceHttp(write: (line: string) => void): void {
  const started = new WeakMap<object, number>();
  const line = (req: { origin?: unknown; method?: unknown; path?: unknown }) => {
    const path = String(req.path ?? '').split('?')[0];
    return `http: ${String(req.method ?? '?')} ${hostOf(String(req.origin ?? ''))}${path}`;
  };
  const ms = (req: object) => {
    const t = started.get(req);
    return t === undefined ? '' : ` in ${Math.round(performance.now() - t)}ms`;
  };
  const answered = new WeakSet<object>();
  subscribe('undici:request:create', (m) => {
    started.set((m as { request: object }).request, performance.now());
  });
  subscribe('undici:request:headers', (m) => {
    const { request, response } = m as { request: object; response: { statusCode?: number } };
    answered.add(request);
    write(`${line(request)} -> ${response.statusCode ?? '?'}${ms(request)}`);
  });
  subscribe('undici:request:error', (m) => {
    const { request, error } = m as { request: object; error: { code?: unknown; name?: unknown } };
    // A DOMException's code is a number (20 for an abort): its name says more.
    const why = typeof error?.code === 'string' ? error.code : typeof error?.name === 'string' ? error.name : 'error';
    // helper ending a request it no longer needs (a watch once its wait is over, answered or still connecting)
    // is no failure; a timeout or an interruption has a name of its own.
    if (why === 'UND_ERR_ABORTED' || why === 'AbortError') {
      const after = ms(request).replace(/^ in /, ' after ');
      write(`${line(request)} -> ${answered.has(request) ? 'closed' : 'cancelled'} by helper${after}`);
      return;
    }
    write(`${line(request)} -> failed (${why})${ms(request)}`);
  });
}
