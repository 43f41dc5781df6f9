import t from 'tap';
import { bindUrl } from '../../../src/backend/bind-url.ts';

t.test('appends /bind-noninteractive only when absent', async (t) => {
  const cases: Array<[string, string]> = [
    ['https://b.example.com', 'https://b.example.com/bind-noninteractive'],
    ['https://b.example.com/', 'https://b.example.com/bind-noninteractive'],
    ['https://b.example.com/prefix//', 'https://b.example.com/prefix/bind-noninteractive'],
    ['https://b.example.com/bind-noninteractive', 'https://b.example.com/bind-noninteractive'],
    [
      'https://b.example.com:8443/x/bind-noninteractive?tenant=a',
      'https://b.example.com:8443/x/bind-noninteractive?tenant=a',
    ],
  ];
  for (const [input, want] of cases) t.equal(bindUrl(input).href, want, input);
});

t.test('refuses what would leak the token or is not a URL', async (t) => {
  t.throws(() => bindUrl('backend.example.com'), { exitCode: 3, message: /is not a URL/ });
  t.throws(() => bindUrl('http://b.example.com'), { exitCode: 3, message: /must be an https:\/\/ URL/ });
  t.throws(() => bindUrl('ftp://b.example.com'), { exitCode: 3, message: /must be an https:\/\/ URL \(got ftp:/ });
  t.throws(() => bindUrl('https://u:p@b.example.com'), { exitCode: 3, message: /must not carry credentials/ });
});

t.test(
  '--insecure-skip-tls-verify never allows plain http (issue 20, finding 6): it skips certificate checks, it ' +
    'does not turn TLS off',
  async (t) => {
    t.throws(() => bindUrl('http://127.0.0.1:1'), {
      exitCode: 3,
      code: 'HELPER_BIND_URL',
      message:
        '-u must be an https:// URL (got http://127.0.0.1:1): plain http would send the access token in ' +
        'clear; --insecure-skip-tls-verify does not allow it',
    });
  },
);
