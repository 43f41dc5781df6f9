/**
 * The sandbox's OIDC provider: npm oidc-provider over HTTPS on loopback,
 * client_credentials only, issuing RS256 JWT access tokens whose `aud` is the
 * bind backend's client id (what an "audience mapper" does in a real IdP).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';

/** A client with a secret (client_secret_basic/post), or with public keys (private_key_jwt, keyless). */
export type OidcClient =
  | { clientId: string; clientSecret: string; jwks?: never }
  | { clientId: string; jwks: { keys: object[] }; clientSecret?: never };

export interface OidcProviderOptions {
  tls: { cert: string; key: string };
  clients: OidcClient[];
  /** The backend's client id; becomes the access token's `aud`. */
  audience: string;
  scopes?: string[];
  tokenTtlSeconds?: number;
  /** Token endpoint accepts only client_secret_basic (anything else: 401 invalid_client). */
  strictBasicOnly?: boolean;
  /** Token endpoint accepts only client_secret_post (a Basic header: 401 invalid_client), to test the fallback. */
  strictPostOnly?: boolean;
}

export interface OidcProvider {
  issuer: string;
  tokenUrl: string;
  jwksUrl: string;
  /** Token requests seen (including rejected ones). */
  readonly tokenRequests: number;
  stop(): Promise<void>;
}

/** The parts of oidc-provider's API used here (the package ships no type declarations). */
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface OidcProviderModule {
  default: new (issuer: string, config: Record<string, unknown>) => ProviderInstance;
  errors: { InvalidTarget: new (description?: string) => Error };
}

// A non-literal specifier keeps tsc from demanding declarations for the untyped package.
const OIDC_PROVIDER_MODULE: string = 'oidc-provider';

/**
 * Minimal in-memory adapter: supplying any adapter silences oidc-provider's
 * "development-only in-memory adapter" warning. JWT access tokens are not
 * stored at all, so this only ever sees short-lived bookkeeping, if anything.
 */
function memoryAdapterFactory() {
  const store = new Map<string, { payload: Record<string, unknown>; expiresAt: number | undefined }>();
  return class MemoryAdapter {
    private readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    }
    async find(id: string) {
      const entry = store.get(this.key(id));
      if (!entry) return undefined;
      if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
        store.delete(this.key(id));
        return undefined;
      }
      return entry.payload;
    }
    async findByUserCode(userCode: string) {
      for (const [k, v] of store)
        if (k.startsWith(`${this.model}:`) && v.payload.userCode === userCode) return v.payload;
      return undefined;
    }
    async findByUid(uid: string) {
      for (const [k, v] of store) if (k.startsWith(`${this.model}:`) && v.payload.uid === uid) return v.payload;
      return undefined;
    }
    async consume(id: string) {
      const entry = store.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.payload.grantId === grantId) store.delete(k);
    }
  };
}

function invalidClient(res: ServerResponse, description: string, basicChallenge: boolean): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (basicChallenge)
    headers['www-authenticate'] = `Basic realm="sandbox", error="invalid_client", error_description="${description}"`;
  res.writeHead(401, headers);
  res.end(JSON.stringify({ error: 'invalid_client', error_description: description }));
}

export async function startOidcProvider(opts: OidcProviderOptions): Promise<OidcProvider> {
  if (opts.strictBasicOnly && opts.strictPostOnly)
    throw new Error('strictBasicOnly and strictPostOnly exclude each other');
  const { default: Provider, errors } = (await import(OIDC_PROVIDER_MODULE)) as OidcProviderModule;
  const ttl = opts.tokenTtlSeconds ?? 3600;
  const scopes = opts.scopes ?? [];
  // Resource indicators must be absolute URIs; a plain client id like 'klutch-bind' is not one.
  const resource = URL.canParse(opts.audience) ? opts.audience : `urn:helper-sandbox:audience:${opts.audience}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };

  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    adapter: memoryAdapterFactory(),
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      ...(c.jwks
        ? { jwks: c.jwks, token_endpoint_auth_method: 'private_key_jwt' }
        : { client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }),
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    })),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    scopes,
    jwks: { keys: [jwk] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== resource && indicator !== opts.audience)
            throw new errors.InvalidTarget('unknown resource indicator');
          return {
            scope: scopes.join(' '),
            audience: opts.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: { ClientCredentials: ttl, AccessToken: ttl },
    routes: { token: '/token', jwks: '/jwks' },
  });
  // Without a listener, Koa prints every server_error with its stack to stderr.
  provider.on('server_error', () => {});

  let tokenRequests = 0;
  const handler = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/token') {
      tokenRequests += 1;
      const auth = req.headers.authorization ?? '';
      const basic = /^basic\s/i.test(auth);
      if (opts.strictBasicOnly && !basic)
        return invalidClient(res, 'client authentication must use client_secret_basic', true);
      if (opts.strictPostOnly && basic)
        return invalidClient(res, 'client_secret_basic is not accepted, use client_secret_post', false);
    }
    handler(req, res);
  });

  let stopped: Promise<void> | undefined;
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    jwksUrl: `${issuer}/jwks`,
    get tokenRequests() {
      return tokenRequests;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
