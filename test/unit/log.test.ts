import t from 'tap';
import { addSecret, Logger, redact } from '../../src/log.ts';

t.test('registered secrets and token shapes never reach the output', async (t) => {
  addSecret('s3cr3t-value-xyz');
  const lines: string[] = [];
  const log = new Logger({ level: 'debug', format: 'text', write: (l) => lines.push(l) });
  log.info('client secret is s3cr3t-value-xyz');
  log.debug('header Authorization: Bearer abcdefghijklmnop');
  log.warn('jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here');
  const json = new Logger({ level: 'debug', format: 'json', write: (l) => lines.push(l) });
  json.info('x', { body: '{"access_token":"abcdef123456"}', b64: Buffer.from('s3cr3t-value-xyz').toString('base64') });
  const all = lines.join('');
  t.notMatch(all, /s3cr3t-value-xyz/);
  t.notMatch(all, /abcdefghijklmnop/);
  t.notMatch(all, /eyJzdWIiOiJ4In0/);
  t.notMatch(all, /abcdef123456/);
  t.notMatch(all, new RegExp(Buffer.from('s3cr3t-value-xyz').toString('base64')));
  t.match(all, /\[REDACTED/);
  t.equal(redact('nothing secret here'), 'nothing secret here');
});

t.test('levels', async (t) => {
  const lines: string[] = [];
  const log = new Logger({ level: 'error', write: (l) => lines.push(l) });
  log.info('hidden');
  log.error('shown');
  t.same(lines, ['error: shown\n']);
});

t.test('regression: a message that merely mentions a token is not redacted', async (t) => {
  t.equal(
    redact('backend b rejected the access token: HTTP 401: unauthorized'),
    'backend b rejected the access token: HTTP 401: unauthorized',
  );
  t.equal(redact('token=abcdefgh12345678&x=1'), 'token=[REDACTED]&x=1');
  t.equal(redact('    token: abcdefgh12345678'), '    token: [REDACTED]');
});

t.test(
  'regression: redaction replaced the word "environment" after "password:" ("[REDACTED] variable X is not set")',
  async (t) => {
    const msg =
      '/dataServices/postgresql/serviceBroker/password: environment variable ' +
      'POSTGRESQL_SERVICE_BROKER_PASSWORD is not set';
    t.equal(redact(msg), msg, "a message's own words are never replaced");
    const lines: string[] = [];
    new Logger({ write: (l) => lines.push(l) }).error(msg);
    t.equal(lines.join(''), `error: ${msg}\n`);
    for (const word of [
      'password: POSTGRESQL_SERVICE_BROKER_PASSWORD',
      'token: unauthorized',
      'client_secret=configured',
      '"password":"required"',
    ]) {
      t.equal(redact(word), word, `${word}: a word, not a token`);
    }
    // Still replaced: registered secrets, and token-shaped values of credential keys.
    addSecret('Plain-Words-Secret');
    t.equal(redact('password: Plain-Words-Secret'), 'password: [REDACTED]', 'a registered secret, whatever its shape');
    t.equal(redact('"client_secret":"s3cr3tV4lue"'), '"client_secret":"[REDACTED]"');
    t.equal(
      redact('password=MixedCaseLongSecretValue'),
      'password=[REDACTED]',
      'long mixed-case values are token-shaped too',
    );
  },
);

t.test(
  'control characters a server sent are shown escaped, never sent to the terminal (regression: an error ' +
    "body's OSC and CSI sequences retitled and cleared it)",
  async (t) => {
    const hostile = 'denied \x1b]0;pwned\x07 \x1b[2J\rfake line \x9b31m \u202eevil\x00';
    const lines: string[] = [];
    new Logger({ level: 'info', format: 'text', write: (l) => lines.push(l) }).warn(`server said: ${hostile}`, {
      body: hostile,
    });
    t.equal(lines.length, 1);
    const line = lines[0]!;
    t.notMatch(line, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/, 'no control character is written');
    t.equal(
      line,
      'warn: server said: denied \\x1b]0;pwned\\x07 \\x1b[2J\\rfake line \\x9b31m \\u202eevil\\x00 ' +
        'body=denied \\x1b]0;pwned\\x07 \\x1b[2J\\rfake line \\x9b31m \\u202eevil\\x00\n',
    );
    const json: string[] = [];
    new Logger({ level: 'info', format: 'json', write: (l) => json.push(l) }).error(hostile);
    t.notMatch(json[0]!, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/, 'JSON lines neither');
    t.equal(
      (JSON.parse(json[0]!) as { msg: string }).msg,
      hostile,
      'and still carry the text exactly, as JSON escapes',
    );
  },
);

t.test(
  "escapeControl keeps newlines and tabs (helper's own multi-line messages); serverText escapes them too; " +
    'forTerminal also redacts',
  async (t) => {
    const { escapeControl, forTerminal, serverText } = await import('../../src/log.ts');
    t.equal(escapeControl('a\n\tb\x1b[0m\x07'), 'a\n\tb\\x1b[0m\\x07');
    t.equal(serverText('a\n\tb\r\x1b'), 'a\\n\\tb\\r\\x1b');
    t.equal(escapeControl('naïve ünïcode 日本 ✓'), 'naïve ünïcode 日本 ✓', 'printable text is untouched');
    t.equal(forTerminal('Bearer abcdefghijklmnop\x1b[2J'), 'Bearer [REDACTED]\\x1b[2J');
  },
);

t.test(
  'regression: a registered secret inside a longer one split it, leaving the rest of the longer one in the output',
  async (t) => {
    // A PEM line is registered before the whole key here, as a key file is read line by line elsewhere.
    addSecret('inner-part-0123');
    addSecret('outer-AAAA-inner-part-0123-ZZZZ');
    t.equal(redact('key: outer-AAAA-inner-part-0123-ZZZZ.'), 'key: [REDACTED].');
  },
);

t.test("a child logger tags each line (a fleet's member): text [id] first, JSON a field", async (t) => {
  const lines: string[] = [];
  const parent = new Logger({ level: 'debug', format: 'text', write: (l) => lines.push(l) });
  const child = parent.child({ key: 'cluster', value: 'c1' });
  child.info('bound');
  child.warn('slow');
  parent.info('fleet');
  const json = new Logger({ level: 'info', format: 'json', write: (l) => lines.push(l) });
  json.child({ key: 'cluster', value: 'c2' }).error('failed');
  t.same(lines.slice(0, 3), ['[c1] bound\n', '[c1] warn: slow\n', 'fleet\n']);
  t.match(JSON.parse(lines[3]!), { level: 'error', cluster: 'c2', msg: 'failed' });
});
