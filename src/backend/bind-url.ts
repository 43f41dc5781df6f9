/** The URL the binding is POSTed to (no I/O). */
import { InputError } from '../errors.ts';
import { requireHttps } from '../http.ts';

/**
 * Normalises -u: appends /bind-noninteractive unless the URL already
 * contains it (the a9s CLI's rule), and insists on https unless insecure.
 */
export function bindUrl(raw: string, opts: { insecure?: boolean | undefined } = {}): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError('HELPER_BIND_URL', `-u ${JSON.stringify(raw.slice(0, 200))} is not a URL (expected e.g. https://backend.example.com/bind-noninteractive)`);
  }
  requireHttps(url, { insecure: opts.insecure, code: 'HELPER_BIND_URL', name: '-u', sends: 'the access token' });
  if (url.username || url.password) {
    throw new InputError('HELPER_BIND_URL', `-u must not carry credentials (user:password@${url.host})`);
  }
  if (!url.href.includes('bind-noninteractive')) {
    url.pathname = url.pathname.replace(/\/+$/, '') + '/bind-noninteractive';
  }
  return url;
}
