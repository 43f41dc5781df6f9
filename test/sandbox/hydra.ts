/**
 * Ory Hydra v2.3.0 (test/sandbox/hydra, built by build.sh) as the sandbox's
 * second, federated token endpoint: in-memory storage, HTTPS on loopback
 * with the sandbox's serving certificate, JWT access tokens, the JWT-bearer
 * grant (RFC 7523 §2.1) with trusted issuers registered through its admin
 * API. Started lazily by the tests that use it (startup ~1 s); stopped by PID.
 *
 * What the keyless tests configure here is what a platform team configures
 * at their Hydra: a client allowed the JWT-bearer grant with the backend's
 * audience, and a trust relationship for the App Cluster's ServiceAccount
 * issuer with its keys from the apiserver's /openid/v1/jwks.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { poll } from './poll.ts';
import { freePort, Procs, type Proc } from './procs.ts';

const run = promisify(execFile);

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface Hydra {
  issuer: string;
  tokenUrl: string;
  jwksUrl: string;
  adminUrl: string;
  proc: Proc;
  /** A client with the JWT-bearer grant and these audiences; no secret (token_endpoint_auth_method none). Returns its
   * client_id. */
  createJwtBearerClient(audience: string[], accessTokenLifespan?: string): Promise<string>;
  /** Trusts `issuer` for the JWT-bearer grant with every key of its JWKS: for assertions of `subject` only, or of any
   * subject. */
  trustIssuer(issuer: string, jwks: { keys: object[] }, subject?: string): Promise<void>;
  stop(): Promise<void>;
}

/** The hydra binary: $HELPER_SANDBOX_HYDRA_BIN/hydra, else build.sh's cached module (a no-op when built). */
export async function hydraBinary(): Promise<string> {
  const dir = process.env.HELPER_SANDBOX_HYDRA_BIN;
  if (dir) return join(dir, 'hydra');
  const script = new URL('./build.sh', import.meta.url).pathname;
  const { stdout } = await run('bash', [script, 'hydra'], { maxBuffer: 1 << 20, timeout: 30 * 60_000 });
  const line = /^hydra=(.+)$/m.exec(stdout)?.[1];
  if (!line) throw new Error(`build.sh hydra printed no hydra=DIR line: ${stdout}`);
  return join(line, 'hydra');
}

export async function startHydra(opts: {
  dir: string;
  tls: { certFile: string; keyFile: string };
  caPem: string;
  accessTokenTtl?: string;
}): Promise<Hydra> {
  const bin = await hydraBinary();
  const [pub, admin] = [await freePort(), await freePort()];
  const issuer = `https://127.0.0.1:${pub}`;
  const adminUrl = `https://127.0.0.1:${admin}`;
  const config = join(opts.dir, `hydra-${pub}.yaml`);
  writeFileSync(
    config,
    [
      'dsn: memory',
      'serve:',
      `  public: { host: 127.0.0.1, port: ${pub} }`,
      `  admin: { host: 127.0.0.1, port: ${admin} }`,
      `  tls: { enabled: true, cert: { path: ${JSON.stringify(opts.tls.certFile)} }, key: { path: ` +
        `${JSON.stringify(opts.tls.keyFile)} } }`,
      // No telemetry from a test run.
      'sqa: { opt_out: true }',
      `urls: { self: { issuer: ${JSON.stringify(issuer)}, public: ${JSON.stringify(issuer)} } }`,
      `secrets: { system: [${JSON.stringify(randomBytes(24).toString('hex'))}] }`,
      'strategies: { access_token: jwt }',
      `ttl: { access_token: ${opts.accessTokenTtl ?? '1h'} }`,
      // Assertions must carry jti and iat (the defaults, said here); replays are refused.
      'oauth2: { grant: { jwt: { jti_optional: false, iat_optional: false, max_ttl: 24h } } }',
      'log: { level: info, leak_sensitive_values: false }',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const procs = new Procs(opts.dir);
  const proc = procs.start(`hydra-${pub}`, bin, ['serve', 'all', '--config', config]);
  const agent = new Agent({ connect: { ca: opts.caPem } });
  const stop = async () => {
    await procs.stopAll();
    await agent.close();
  };
  try {
    await poll(
      {
        what: 'Hydra ready',
        timeoutMs: 60_000,
        intervalMs: 200,
        stop: () => (procs.alive(proc) ? undefined : 'hydra exited'),
        detail: () => procs.tail(proc),
      },
      async () => {
        try {
          const r = await fetch(`${adminUrl}/health/ready`, { dispatcher: agent });
          await r.body?.cancel();
          return r.status === 200 ? { value: true, seen: '200' } : { seen: `HTTP ${r.status}` };
        } catch (err) {
          return { seen: String((err as { cause?: { code?: string } }).cause?.code ?? err) };
        }
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  // Hydra creates its signing keys (RSA 4096) on first use: do it now, not in a test's token request.
  const warm = await fetch(`${issuer}/.well-known/jwks.json`, {
    dispatcher: agent,
    signal: AbortSignal.timeout(120_000),
  });
  await warm.body?.cancel();
  const adminCall = async (method: string, path: string, body: unknown) => {
    const r = await fetch(`${adminUrl}${path}`, {
      method,
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`hydra admin ${method} ${path}: HTTP ${r.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  return {
    issuer,
    tokenUrl: `${issuer}/oauth2/token`,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    adminUrl,
    proc,
    async createJwtBearerClient(audience, lifespan) {
      const c = await adminCall('POST', '/admin/clients', {
        grant_types: [JWT_BEARER],
        token_endpoint_auth_method: 'none',
        audience,
        response_types: [],
        access_token_strategy: 'jwt',
      });
      const id = String(c.client_id);
      if (lifespan)
        await adminCall('PUT', `/admin/clients/${id}/lifespans`, { jwt_bearer_grant_access_token_lifespan: lifespan });
      return id;
    },
    async trustIssuer(iss, jwks, subject) {
      const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
      const who = subject === undefined ? { allow_any_subject: true } : { subject };
      for (const jwk of jwks.keys)
        await adminCall('POST', '/admin/trust/grants/jwt-bearer/issuers', {
          issuer: iss,
          ...who,
          jwk,
          scope: [],
          expires_at: expires,
        });
    },
    stop,
  };
}
