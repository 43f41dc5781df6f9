/** The URL the binding is POSTed to (no I/O). */
import { InputError } from '../errors.ts';

/**
 * Normalises -u: appends /bind-noninteractive unless the URL already
 * contains it (the a9s CLI's rule), and insists on https: the access token
 * travels with the POST. --insecure-skip-tls-verify skips the certificate
 * check of an https backend; it never allows plain http.
 */
export function bindUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(
      'HELPER_BIND_URL',
      `-u ${JSON.stringify(raw.slice(0, 200))} is not a URL (expected e.g. ` +
        `https://backend.example.com/bind-noninteractive)`,
    );
  }
  if (url.protocol !== 'https:') {
    throw new InputError(
      'HELPER_BIND_URL',
      `-u must be an https:// URL (got ${url.protocol}//${url.host}): plain http would send the access token ` +
        `in clear; --insecure-skip-tls-verify does not allow it`,
    );
  }
  if (url.username || url.password) {
    throw new InputError('HELPER_BIND_URL', `-u must not carry credentials (user:password@${url.host})`);
  }
  if (!url.href.includes('bind-noninteractive')) {
    url.pathname = url.pathname.replace(/\/+$/, '') + '/bind-noninteractive';
  }
  return url;
}
