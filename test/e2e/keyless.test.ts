/**
 * Keyless authentication end to end, with no client secret anywhere in
 * helper's environment, on real parts:
 * - private_key_jwt against the sandbox's oidc-provider (a client registered
 *   with a public JWKS and token_endpoint_auth_method private_key_jwt);
 * - a ServiceAccount token of the sandbox's App Cluster (TokenRequest API,
 *   `kubectl create token`) exchanged with the JWT-bearer grant at Ory Hydra
 *   v2.3.0, which trusts the App Cluster's ServiceAccount issuer with the keys
 *   of its /openid/v1/jwks. A second reference backend accepts tokens of both
 *   issuers (several verifiers), with the same strict audience check.
 * Each binds, waits for Succeeded export requests and is applied with
 * `helper apply`. Fleets: five clusters with one key (one token); five with
 * an assertion file while Hydra's access tokens expire mid-fleet and the
 * platform replaces the file after every token request (a logging proxy in
 * front of Hydra sees every assertion: each the file's newest, none twice;
 * Hydra itself refuses a replayed jti). The errors a user can act on come
 * from the real providers: wrong key, expired and not-yet-valid assertions,
 * a wrong audience, a malformed key file, two methods at once.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { Agent, fetch } from 'undici';
import { jwtsIn, runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, useSandbox } from '../helpers/sandbox.ts';
import { startBindBackend } from '../sandbox/bind-backend.ts';
import { kubectl } from '../sandbox/cluster.ts';
import { startHydra } from '../sandbox/hydra.ts';
import { TEMPLATE_GROUP } from '../sandbox/sandbox.ts';

const sb = await useSandbox(t);
if (!sb.oidc.keyless)
  throw new Error('this sandbox predates the keyless client (SandboxInfo.oidc.keyless); restart it');
const caPem = readFileSync(sb.caFile, 'utf8');
const tls = { cert: readFileSync(sb.serverTls.certFile, 'utf8'), key: readFileSync(sb.serverTls.keyFile, 'utf8') };
const APIS = ['postgresqlinstances', 'servicebindings'];

const t0 = Date.now();
const hydraDir = mkdtempSync(join(tmpdir(), 'helper-hydra-'));
const hydra = await startHydra({ dir: hydraDir, tls: sb.serverTls, caPem });
t.teardown(async () => {
  await hydra.stop();
  rmSync(hydraDir, { recursive: true, force: true });
});
t.comment(`Hydra started in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

// What a platform team configures at Hydra: trust the App Cluster's ServiceAccount issuer (its keys from
// /openid/v1/jwks).
const app = async (args: string[]) => {
  const r = await kubectl(sb.bin, sb.app.kubeconfig, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const saIssuer = (JSON.parse(await app(['get', '--raw', '/.well-known/openid-configuration'])) as { issuer: string })
  .issuer;
await hydra.trustIssuer(saIssuer, JSON.parse(await app(['get', '--raw', '/openid/v1/jwks'])) as { keys: object[] });
const hydraClient = await hydra.createJwtBearerClient([sb.oidc.audience]);
const ciNs = `ci-${randomBytes(3).toString('hex')}`;
await app(['create', 'namespace', ciNs]);
await app(['create', 'serviceaccount', 'deployer', '-n', ciNs]);
/** A fresh TokenRequest token of the deployer ServiceAccount (what the kubelet projects into a pod). */
const saToken = async (audience = hydra.tokenUrl) =>
  (await app(['create', 'token', 'deployer', '-n', ciNs, '--audience', audience, '--duration', '10m'])).trim();

// The reference backend with two verifiers: the sandbox's oidc-provider and Hydra.
const backend = await startBindBackend({
  tls,
  caPem,
  audience: sb.oidc.audience,
  templateGroup: TEMPLATE_GROUP,
  issuer: sb.oidc.issuer,
  jwksUrl: sb.oidc.jwksUrl,
  moreIssuers: [{ issuer: hydra.issuer, jwksUrl: hydra.jwksUrl }],
  controlPlane: { server: sb.controlPlane.server, caPem, token: sb.controlPlane.token },
});
t.teardown(() => backend.stop());

/** private_key_jwt at the sandbox's oidc-provider: no secret in the environment. */
const keyEnv = {
  OIDC_CLIENT_ID: sb.oidc.keyless.clientId,
  OIDC_CLIENT_KEY_FILE: sb.oidc.keyless.keyFile,
  OIDC_TOKEN_URL: sb.oidc.tokenUrl,
};
/** The JWT-bearer grant at Hydra with an assertion file: no secret in the environment. */
const bearerEnv = (file: string, clientId = hydraClient, tokenUrl = hydra.tokenUrl) => ({
  OIDC_CLIENT_ID: clientId,
  OIDC_TOKEN_URL: tokenUrl,
  OIDC_CLIENT_ASSERTION_FILE: file,
  OIDC_GRANT_TYPE: 'jwt-bearer',
  OIDC_AUDIENCE: sb.oidc.audience,
});

function bindingFile(
  dir: string,
  name = 'binding.json',
  clusterID = `keyless-${randomBytes(4).toString('hex')}`,
): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ clusterID, apis: APIS.map((resource) => ({ group: 'anynines.com', resource })) }),
  );
  return file;
}

function bootstrap(args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<CliResult> {
  if (Object.keys(env).some((k) => /SECRET/.test(k)))
    throw new Error('a keyless run must have no client secret in its environment');
  return runCli(['bootstrap-env', '--ca-file', sb.caFile, ...args], { env, timeoutMs });
}

function assertClean(t: Test, r: CliResult, secrets: string[] = []): void {
  t.same(jwtsIn(r.stderr), [], 'no token or assertion on stderr');
  t.notMatch(r.stderr, /PRIVATE KEY|"d":/, 'no key material on stderr');
  for (const s of secrets) t.notOk(r.stderr.includes(s) || r.stdout.includes(s), 'the assertion is not printed');
}

async function phases(kfg: string): Promise<string> {
  const ns = /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))![1]!;
  const r = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
    'get',
    'apiserviceexportrequests.klutch.anynines.com',
    '-n',
    ns,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
  ]);
  return r.stdout.trim().split('\n').sort().join(' ');
}

const SUCCEEDED = 'postgresqlinstances.anynines.com=Succeeded servicebindings.anynines.com=Succeeded';

t.test(
  'binds with a private key (private_key_jwt at oidc-provider) and without any secret; helper apply applies it',
  async (t) => {
    const dir = t.testdir();
    const out = join(dir, 'all.yaml');
    const kfg = join(dir, 'provider.kfg.yaml');
    const r = await bootstrap(
      ['-f', bindingFile(dir), '-u', sb.bindUrl, '--output-file', out, '--write-kubeconfig', kfg, '-vv'],
      keyEnv,
    );
    t.equal(r.code, 0, r.stderr.slice(-2000));
    assertClean(t, r);
    t.match(r.stderr, new RegExp(`client authentication: private_key_jwt, RS256, key id "${sb.oidc.keyless.kid}"`));
    t.notMatch(r.stderr, /readable by/, 'a 0600 key file gets no warning');
    t.equal(await phases(kfg), SUCCEEDED, 'the export requests are Succeeded');
    const cluster = await extraCluster(t, sb, 'keyless-key');
    const a = await runCli(['apply', '-f', out, '--kubeconfig', cluster.kubeconfig]);
    t.equal(a.code, 0, a.stderr);
  },
);

t.test(
  'binds with a ServiceAccount token of the App Cluster exchanged at Hydra (JWT-bearer grant); helper apply applies it',
  async (t) => {
    const dir = t.testdir();
    const file = join(dir, 'token');
    const token = await saToken();
    writeFileSync(file, `${token}\n`);
    const out = join(dir, 'all.yaml');
    const kfg = join(dir, 'provider.kfg.yaml');
    const r = await bootstrap(
      ['-f', bindingFile(dir), '-u', backend.url, '--output-file', out, '--write-kubeconfig', kfg, '-vv'],
      bearerEnv(file),
    );
    t.equal(r.code, 0, r.stderr.slice(-2000));
    assertClean(t, r, [token]);
    t.equal(await phases(kfg), SUCCEEDED, 'the export requests are Succeeded');
    const cluster = await extraCluster(t, sb, 'keyless-sa');
    const a = await runCli(['apply', '-f', out, '--kubeconfig', cluster.kubeconfig]);
    t.equal(a.code, 0, a.stderr);

    const again = await bootstrap(
      ['-f', bindingFile(dir, 'again.json'), '-u', backend.url, '--no-wait', '--output-file', join(dir, 'again.yaml')],
      bearerEnv(file),
    );
    t.equal(again.code, 4, 'the same file again: Hydra refuses the replayed assertion');
    t.match(
      again.stderr,
      /refused client "[^"]+" \(the JWT-bearer grant with the assertion from \S+token\): HTTP 400 jti_known/,
    );
  },
);

t.test(
  'an assertion file as the client assertion (client-credentials grant) at oidc-provider; the same file ' +
    'again is a replay it refuses',
  async (t) => {
    // What a platform hands the workload, here signed with the keyless client's key (iss = sub = the client, aud = the
    // token endpoint).
    const key = await importPKCS8(readFileSync(sb.oidc.keyless.keyFile, 'utf8'), 'RS256');
    const jwt = await new SignJWT({ jti: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'RS256', kid: sb.oidc.keyless.kid })
      .setIssuer(sb.oidc.keyless.clientId)
      .setSubject(sb.oidc.keyless.clientId)
      .setAudience(sb.oidc.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    const dir = t.testdir();
    const file = join(dir, 'assertion');
    writeFileSync(file, jwt);
    const env = {
      OIDC_CLIENT_ID: sb.oidc.keyless.clientId,
      OIDC_TOKEN_URL: sb.oidc.tokenUrl,
      OIDC_CLIENT_ASSERTION_FILE: file,
    };
    const r = await bootstrap(
      ['-f', bindingFile(dir), '-u', sb.bindUrl, '--no-wait', '--output-file', join(dir, 'all.yaml')],
      env,
    );
    t.equal(r.code, 0, r.stderr.slice(-2000));
    assertClean(t, r, [jwt]);
    t.match(
      r.stderr,
      /requesting an access token from \S+ for client helper-keyless \(client assertion from \S+assertion\)/,
    );
    const again = await bootstrap(
      ['-f', bindingFile(dir, 'again.json'), '-u', sb.bindUrl, '--no-wait', '--output-file', join(dir, 'again.yaml')],
      env,
    );
    t.equal(again.code, 4, again.stderr);
    t.match(
      again.stderr,
      /refused client "helper-keyless" \(the client assertion from \S+assertion\): HTTP 401 invalid_client/,
    );
    assertClean(t, again, [jwt]);
  },
);

t.test('a fleet of five clusters binds with one key and one token', async (t) => {
  const dir = t.testdir({ bindings: {} });
  for (let i = 0; i < 5; i++) bindingFile(join(dir, 'bindings'), `c${i}.json`);
  const r = await bootstrap(
    ['-f', join(dir, 'bindings'), '-u', sb.bindUrl, '--out-dir', join(dir, 'out'), '--no-wait', '-o', 'json'],
    keyEnv,
  );
  t.equal(r.code, 0, r.stderr.slice(-2000));
  assertClean(t, r);
  const s = JSON.parse(r.stdout) as { succeeded: number; tokensFetched: number };
  t.equal(s.succeeded, 5);
  t.equal(s.tokensFetched, 1, 'one token for the fleet');
});

t.test(
  "a fleet with an assertion file while access tokens expire: each token request carries the file's newest " +
    'assertion, none twice',
  async (t) => {
    const dir = t.testdir({ bindings: {} });
    const file = join(dir, 'token');
    writeFileSync(file, await saToken());
    const shortLived = await hydra.createJwtBearerClient([sb.oidc.audience], '4s');
    // A logging proxy in front of Hydra's token endpoint; after each token request the platform replaces the file
    // (write + rename, as the kubelet swaps a projected token).
    const seen: Array<{ digest: string; newest: boolean; status: number }> = [];
    const agent = new Agent({ connect: { ca: caPem } });
    const proxy = createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString();
        const assertion = new URLSearchParams(body).get('assertion') ?? '';
        const newest = assertion === readFileSync(file, 'utf8').trim();
        const up = await fetch(`${hydra.issuer}${req.url}`, {
          method: 'POST',
          body,
          headers: { 'content-type': String(req.headers['content-type']) },
          dispatcher: agent,
        });
        const text = await up.text();
        seen.push({ digest: createHash('sha256').update(assertion).digest('hex'), newest, status: up.status });
        writeFileSync(`${file}.new`, await saToken());
        renameSync(`${file}.new`, file);
        res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    t.teardown(async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await agent.close();
    });
    const proxyUrl = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/oauth2/token`;
    // Eight clusters one at a time, each waiting for its export requests: longer than one 4 s token.
    for (let i = 0; i < 8; i++) bindingFile(join(dir, 'bindings'), `c${i}.json`);
    const r = await bootstrap(
      [
        '-f',
        join(dir, 'bindings'),
        '-u',
        backend.url,
        '--out-dir',
        join(dir, 'out'),
        '--concurrency',
        '1',
        '-o',
        'json',
        '-v',
      ],
      bearerEnv(file, shortLived, proxyUrl),
    );
    t.equal(r.code, 0, r.stderr.slice(-2000));
    assertClean(t, r);
    const s = JSON.parse(r.stdout) as { succeeded: number; tokensFetched: number };
    t.equal(s.succeeded, 8);
    t.ok(s.tokensFetched >= 2, `access tokens expired mid-fleet: ${s.tokensFetched} token requests`);
    t.match(r.stderr, /access token expires soon; fetching a new one/);
    t.equal(seen.length, s.tokensFetched, 'the provider saw every token request');
    t.ok(
      seen.every((x) => x.newest),
      "each token request carried the file's content at that moment",
    );
    t.equal(new Set(seen.map((x) => x.digest)).size, seen.length, 'no assertion was sent twice');
    t.ok(
      seen.every((x) => x.status === 200),
      'Hydra accepted every one',
    );
  },
);

t.test('errors from the real providers: what was used, and what to check', async (t) => {
  const dir = t.testdir();

  t.test(
    'a key the provider does not know: exit 4 naming private_key_jwt and the key id; a group-readable key ' +
      'file is warned about',
    async (t) => {
      const wrong = join(dir, 'wrong.pem');
      writeFileSync(
        wrong,
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          format: 'pem',
          type: 'pkcs8',
        }) as string,
      );
      chmodSync(wrong, 0o640);
      const r = await bootstrap(['-f', bindingFile(dir), '-u', sb.bindUrl, '--no-wait'], {
        ...keyEnv,
        OIDC_CLIENT_KEY_FILE: wrong,
      });
      t.equal(r.code, 4, r.stderr);
      t.match(
        r.stderr,
        new RegExp(
          `^error: token endpoint 127\\.0\\.0\\.1:\\d+ refused client "${sb.oidc.keyless.clientId}" ` +
            `\\(private_key_jwt, key id "[A-Za-z0-9_-]{43}" \\(ES256\\) from ${wrong}\\): HTTP 401 ` +
            `invalid_client`,
          'm',
        ),
      );
      t.match(r.stderr, /hint: .*public key of .*wrong\.pem registered for the client/);
      t.match(
        r.stderr,
        new RegExp(
          `warn: client key file ${wrong} is readable by its group \\(mode 0640\\): it holds a private key; ` +
            `chmod 600 it`,
        ),
      );
      t.equal(r.stdout, '');
    },
  );

  t.test('a malformed key file: exit 3 naming the file, nothing sent', async (t) => {
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    const r = await bootstrap(['-f', bindingFile(dir), '-u', sb.bindUrl, '--no-wait'], {
      ...keyEnv,
      OIDC_CLIENT_KEY_FILE: bad,
    });
    t.equal(r.code, 3, r.stderr);
    t.match(r.stderr, new RegExp(`^error: client key file ${bad}: the PEM private key cannot be parsed`, 'm'));
    const missing = await bootstrap(['-f', bindingFile(dir), '-u', sb.bindUrl, '--no-wait'], {
      ...keyEnv,
      OIDC_CLIENT_KEY_FILE: join(dir, 'nope.pem'),
    });
    t.equal(missing.code, 3);
    t.match(missing.stderr, /cannot read client key file \S+nope\.pem: no such file/);
  });

  t.test('two ways of authenticating at once: exit 3 naming both variables', async (t) => {
    const r = await runCli(['bootstrap-env', '-f', bindingFile(dir), '-u', sb.bindUrl, '--no-wait'], {
      env: { ...keyEnv, OIDC_CLIENT_SECRET: 'a-secret-value-here' },
    });
    t.equal(r.code, 3, r.stderr);
    t.match(
      r.stderr,
      /more than one way of authenticating is set: OIDC_CLIENT_SECRET, OIDC_CLIENT_KEY_FILE \(--client-key-file\); set exactly one of/,
    );
    t.notOk(r.stderr.includes('a-secret-value-here'));
  });

  t.test("an assertion whose aud is not Hydra's token endpoint: exit 4 naming both", async (t) => {
    const file = join(dir, 'wrong-aud');
    writeFileSync(file, await saToken('https://wrong.example.test/token'));
    const r = await bootstrap(['-f', bindingFile(dir), '-u', backend.url, '--no-wait'], bearerEnv(file));
    t.equal(r.code, 4, r.stderr);
    t.match(
      r.stderr,
      /HTTP 400 invalid_grant .*the assertion's aud \["https:\/\/wrong\.example\.test\/token"\] does not name the token endpoint "https:\/\/127\.0\.0\.1:\d+\/oauth2\/token"/,
    );
    assertClean(t, r);
  });

  t.test(
    'expired and not yet valid assertions of a trusted issuer: exit 4 naming exp / nbf against the clock',
    async (t) => {
      // A second trusted issuer whose key the test holds, to make assertions a platform would not hand out.
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const iss = 'https://ci.example.test';
      await hydra.trustIssuer(iss, {
        keys: [{ ...(await exportJWK(publicKey)), kid: 'ci-1', alg: 'ES256', use: 'sig' }],
      });
      const now = Math.floor(Date.now() / 1000);
      const sign = (c: { iat: number; exp: number; nbf?: number }) =>
        new SignJWT({ jti: randomBytes(8).toString('hex'), ...(c.nbf ? { nbf: c.nbf } : {}) })
          .setProtectedHeader({ alg: 'ES256', kid: 'ci-1' })
          .setIssuer(iss)
          .setSubject('pipeline')
          .setAudience(hydra.tokenUrl)
          .setIssuedAt(c.iat)
          .setExpirationTime(c.exp)
          .sign(privateKey);
      const expired = join(dir, 'expired');
      writeFileSync(expired, await sign({ iat: now - 900, exp: now - 300 }));
      const r = await bootstrap(['-f', bindingFile(dir), '-u', backend.url, '--no-wait'], bearerEnv(expired));
      t.equal(r.code, 4, r.stderr);
      t.match(
        r.stderr,
        /HTTP 400 invalid_grant .*; the assertion expired: exp \S+Z is [56]m before this machine's clock \(\S+Z\)/,
      );
      const early = join(dir, 'early');
      writeFileSync(early, await sign({ iat: now, nbf: now + 3600, exp: now + 7200 }));
      const e = await bootstrap(['-f', bindingFile(dir), '-u', backend.url, '--no-wait'], bearerEnv(early));
      t.equal(e.code, 4, e.stderr);
      t.match(
        e.stderr,
        /HTTP 400 invalid_grant .*; the assertion is not valid yet: nbf \S+Z is (60m|1h) after this machine's clock \(\S+Z\)/,
      );
    },
  );
});
