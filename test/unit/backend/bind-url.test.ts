import t from 'tap';
import { bindUrl } from '../../../src/backend/bind-url.ts';

t.test('appends /bind-noninteractive only when absent', async (t) => {
  const cases: Array<[string, string]> = [
    ['https://b.example.com', 'https://b.example.com/bind-noninteractive'],
    ['https://b.example.com/', 'https://b.example.com/bind-noninteractive'],
    ['https://b.example.com/prefix//', 'https://b.example.com/prefix/bind-noninteractive'],
    ['https://b.example.com/bind-noninteractive', 'https://b.example.com/bind-noninteractive'],
    ['https://b.example.com:8443/x/bind-noninteractive?tenant=a', 'https://b.example.com:8443/x/bind-noninteractive?tenant=a'],
  ];
  for (const [input, want] of cases) t.equal(bindUrl(input).href, want, input);
});

t.test('refuses what would leak the token or is not a URL', async (t) => {
  t.throws(() => bindUrl('backend.example.com'), { exitCode: 3, message: /is not a URL/ });
  t.throws(() => bindUrl('http://b.example.com'), { exitCode: 3, message: /must be an https:\/\/ URL/ });
  t.equal(bindUrl('http://127.0.0.1:1', { insecure: true }).href, 'http://127.0.0.1:1/bind-noninteractive');
  t.throws(() => bindUrl('https://u:p@b.example.com'), { exitCode: 3, message: /must not carry credentials/ });
});
