/** http.ts: the https-only rule, --ca-file reading, host names for messages, and the dispatcher. */
import { writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import t from 'tap';
import { hostOf, makeDispatcher, readCaFile, requireHttps, tlsDetail, tlsHint, withExtraCa } from '../../src/http.ts';
import { createCa } from '../sandbox/tls.ts';

t.test('requireHttps: https always, http only with --insecure-skip-tls-verify', async (t) => {
  const o = { code: 'HELPER_X', name: '-u', sends: 'the access token' };
  t.doesNotThrow(() => requireHttps(new URL('https://b.test/x'), o));
  t.doesNotThrow(() => requireHttps(new URL('http://b.test/x'), { ...o, insecure: true }));
  t.throws(() => requireHttps(new URL('http://b.test/x?token=abc'), o), {
    code: 'HELPER_X', exitCode: 3, message: '-u must be an https:// URL (got http://b.test); plain http would send the access token in clear (allowed only with --insecure-skip-tls-verify)',
  });
  t.throws(() => requireHttps(new URL('ftp://b.test/'), { ...o, insecure: true }), { code: 'HELPER_X' });
});

t.test('hostOf: host and port, never the path or query', async (t) => {
  t.equal(hostOf('https://u:p@api.test:6443/apis?x=1'), 'api.test:6443');
  t.equal(hostOf('not a url'), 'not a url');
});

t.test('readCaFile: a PEM file is read; missing or not PEM is an InputError naming it; TLS hints then name it', async (t) => {
  t.equal(readCaFile(undefined), undefined);
  const dir = t.testdir({});
  const pem = join(dir, 'ca.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'junk'), 'hello');
  t.throws(() => readCaFile(join(dir, 'missing')), { code: 'HELPER_CA_FILE', exitCode: 3, message: `cannot read --ca-file ${join(dir, 'missing')}: ENOENT` });
  t.throws(() => readCaFile(join(dir, 'junk')), { code: 'HELPER_CA_FILE', message: /holds no PEM certificate/ });
  t.match(readCaFile(pem), /BEGIN CERTIFICATE/);
  t.match(tlsHint('default'), new RegExp(`--ca-file ${pem} was trusted too`));
  t.equal(tlsDetail('unable to verify; if the root CA is installed locally, try running Node.js with --use-system-ca'), 'unable to verify');
});

t.test('makeDispatcher: one dispatcher, closable', async (t) => {
  const d = makeDispatcher({ insecure: true });
  t.type(d.dispatch, 'function');
  await d.close();
});

t.test('withExtraCa: a server signed by the extra CA is verified; without it the same server is refused', async (t) => {
  const dir = t.testdir({});
  const ca = await createCa(dir);
  const leaf = await ca.issue('server', { sans: ['IP:127.0.0.1'] });
  const server = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const connect = (secureContext: SecureContext) => new Promise<string>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, secureContext, rejectUnauthorized: false }, () => {
      resolve(s.authorized ? 'authorized' : String(s.authorizationError));
      s.destroy();
    });
    s.on('error', (e) => resolve(`error: ${e.message}`));
  });
  t.equal(await connect(withExtraCa(ca.caCert)), 'authorized');
  t.match(await connect(createSecureContext()), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
});
