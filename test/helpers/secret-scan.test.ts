/** The secret scan finds each kind of secret it is meant to find (and names the run, never the value), and passes clean
 * output. */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scanForSecrets, secretsOf } from './secret-scan.ts';

t.test(
  'the client secret, the keyless key (PEM line, JWK d), any JWT, PEM private key or JWK private member are found',
  async (t) => {
    const dir = t.testdir();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const keyFile = join(dir, 'k.pem');
    writeFileSync(keyFile, pem);
    const secrets = secretsOf('the-client-secret-1', keyFile);
    const d = (privateKey.export({ format: 'jwk' }) as { d: string }).d;
    const scan = (stderr: string) => {
      const file = join(dir, 'capture.jsonl');
      writeFileSync(
        file,
        `${JSON.stringify({ args: ['bootstrap-env', '-f'], stdout: '', stderr: 'ok\n' })}\n` +
          `${JSON.stringify({ args: ['apply', '-f'], stdout: '', stderr })}\n`,
      );
      return scanForSecrets(file, secrets);
    };
    t.match(scan('all good'), { ok: true, runs: 2 });
    const leaks: Array<[string, RegExp]> = [
      [
        'error: the-client-secret-1',
        /client secret or the keyless client's private key in the output of helper apply -f/,
      ],
      [`x ${pem.split('\n')[3]} y`, /private key in the output of helper apply/],
      [`x ${d} y`, /private key in the output of helper apply/],
      ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', /a token or assertion \(JWT\) in the output of helper apply/],
      ['-----BEGIN EC PRIVATE KEY-----', /a PEM private key/],
      ['{"kty":"OKP","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}', /a JWK private member/],
    ];
    for (const [stderr, problem] of leaks) {
      const r = scan(stderr);
      t.equal(r.ok, false, stderr.slice(0, 30));
      t.match(r.problem, problem);
      t.notOk(r.problem?.includes(stderr.slice(2, 20)), 'the leaked value is not repeated');
    }
  },
);
