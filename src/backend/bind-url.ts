/** Pure: the URL the binding is POSTed to. */
import { InputError } from '../errors.ts';

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
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.insecure)) {
    throw new InputError('HELPER_BIND_URL', `-u must be an https:// URL (got ${url.protocol}//${url.host}); plain http would send the access token in clear (allowed only with --insecure-skip-tls-verify)`);
  }
  if (url.username || url.password) {
    throw new InputError('HELPER_BIND_URL', `-u must not carry credentials (user:password@${url.host})`);
  }
  if (!url.href.includes('bind-noninteractive')) {
    url.pathname = url.pathname.replace(/\/+$/, '') + '/bind-noninteractive';
  }
  return url;
}
