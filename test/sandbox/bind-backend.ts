/**
 * The project's reference `/bind-noninteractive` backend (the real anynines
 * backend is closed source). It behaves as docs protocol.md §2, §3, §6
 * describe: verify the bearer JWT against the issuer's JWKS, derive the
 * identity `<sub>#<clusterID>`, create or reuse the cluster namespace with its
 * ServiceAccount token, RoleBinding, kubeconfig Secret and ClusterBinding on
 * the control plane (like KIO's example-backend), and answer with a
 * BindingResponse carrying one APIServiceExportRequest per requested API.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors as joseErrors,
  jwtVerify,
  type FetchImplementation,
} from 'jose';
import { Agent, fetch } from 'undici';
import { stringify } from 'yaml';

export interface BindBackendOptions {
  tls: { cert: string; key: string };
  issuer: string;
  jwksUrl: string;
  /** Trust for the issuer's JWKS endpoint. */
  caPem: string;
  /** The backend's client id; a token's `aud` must contain it. */
  audience: string;
  /**
   * More token issuers to accept, each with its own JWKS (as the anynines
   * backend runs several verifiers): e.g. Ory Hydra beside oidc-provider.
   * A token is verified against the one its `iss` names; the audience check
   * is the same for all.
   */
  moreIssuers?: Array<{ issuer: string; jwksUrl: string }>;
  controlPlane: { server: string; caPem: string; token: string };
  /** Server URL written into returned kubeconfigs; defaults to controlPlane.server. */
  externalAddress?: string;
  namespacePrefix?: string;
  templateGroup?: string;
}

export interface BindBackend {
  url: string;
  baseUrl: string;
  /** HTTP requests received so far (any path, any outcome). */
  readonly requests: number;
  stop(): Promise<void>;
}

const BIND_PATH = '/bind-noninteractive';
const BODY_LIMIT = 1 << 20;
const KLUTCH_GROUP = 'klutch.anynines.com';
const KLUTCH_VERSION = `${KLUTCH_GROUP}/v1alpha1`;
const IDENTITY_ANNOTATION = 'example-backend.klutch.anynines.com/identity';
// Annotations cannot be selected on; the hash makes the identity usable as a label value (<= 63 chars).
const IDENTITY_HASH_LABEL = 'klutch.anynines.com/identity-hash';
const BINDER = 'klutch-binder';
const TOKEN_WAIT_MS = 30_000;

/** An HTTP answer the handler decided on; the message is shown to the client verbatim. */
class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

interface KubeResponse {
  status: number;
  body: unknown;
}

type KubeObject = {
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
};

interface ApiRef {
  group: string;
  resource: string;
}

interface BindRequest {
  clusterID: string;
  apis: ApiRef[];
}

const unauthorized = (msg: string) =>
  new HttpError(401, `unauthorized: ${msg}`, { 'www-authenticate': 'Bearer realm="bind-noninteractive"' });

function kubeFailure(method: string, path: string, res: KubeResponse): HttpError {
  const status = res.body as { message?: unknown; reason?: unknown } | undefined;
  const detail = typeof status?.message === 'string' ? status.message : `HTTP ${res.status}`;
  return new HttpError(502, `control plane API error: ${method} ${path}: ${res.status} ${detail}`);
}

function parseBindRequest(raw: Buffer): BindRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad request: body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'bad request: body must be a JSON object');
  const { clusterID, apis } = body as { clusterID?: unknown; apis?: unknown };
  if (typeof clusterID !== 'string' || clusterID.trim() === '')
    throw new HttpError(400, 'bad request: clusterID must be a non-blank string');
  if (!Array.isArray(apis) || apis.length === 0)
    throw new HttpError(400, 'bad request: apis must be a non-empty array');
  const out: ApiRef[] = [];
  for (const [i, a] of apis.entries()) {
    const { group, resource } = (typeof a === 'object' && a !== null ? a : {}) as {
      group?: unknown;
      resource?: unknown;
    };
    if (group !== undefined && typeof group !== 'string')
      throw new HttpError(400, `bad request: apis[${i}].group must be a string`);
    if (typeof resource !== 'string' || resource.trim() === '')
      throw new HttpError(400, `bad request: apis[${i}].resource must be a non-blank string`);
    if (!out.some((o) => o.group === (group ?? '') && o.resource === resource))
      out.push({ group: group ?? '', resource });
  }
  return { clusterID, apis: out };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > BODY_LIMIT)
    return Promise.reject(new HttpError(413, 'request body too large (limit 1 MiB)', { connection: 'close' }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > BODY_LIMIT) {
        done = true;
        reject(new HttpError(413, 'request body too large (limit 1 MiB)', { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

const apiName = (a: ApiRef) => (a.group ? `${a.resource}.${a.group}` : a.resource);

export async function startBindBackend(opts: BindBackendOptions): Promise<BindBackend> {
  const prefix = opts.namespacePrefix ?? 'cluster';
  const generateName = prefix.endsWith('-') ? prefix : `${prefix}-`;
  const templateGroup = opts.templateGroup ?? 'example-backend.klutch.anynines.com';
  const externalAddress = opts.externalAddress ?? opts.controlPlane.server;
  const cpServer = opts.controlPlane.server.replace(/\/+$/, '');

  const jwksAgent = new Agent({ connect: { ca: opts.caPem } });
  const kubeAgent = new Agent({ connect: { ca: opts.controlPlane.caPem } });
  // undici's fetch and the global fetch have nominally different Request/Response types.
  const jwksFetch: FetchImplementation = async (url, init) =>
    (await fetch(url, {
      method: init.method,
      headers: Object.fromEntries(init.headers),
      redirect: init.redirect,
      signal: init.signal,
      dispatcher: jwksAgent,
    })) as unknown as Response;
  const verifiers = [{ issuer: opts.issuer, jwksUrl: opts.jwksUrl }, ...(opts.moreIssuers ?? [])].map((v) => ({
    issuer: v.issuer,
    jwks: createRemoteJWKSet(new URL(v.jwksUrl), { [customFetch]: jwksFetch }),
  }));
  /** The verifier for a token: the one its (unverified) `iss` names; with one issuer, that one (its check names the
   * mismatch). */
  const verifierFor = (token: string) => {
    if (verifiers.length === 1) return verifiers[0]!;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthorized('malformed token');
    }
    const v = verifiers.find((x) => x.issuer === iss);
    if (!v)
      throw unauthorized(
        `token issuer mismatch: expected one of ${JSON.stringify(verifiers.map((x) => x.issuer))}, got ` +
          `${JSON.stringify(iss ?? '')}`,
      );
    return v;
  };

  async function kubeRequest(method: string, path: string, body?: unknown): Promise<KubeResponse> {
    let res: Response;
    try {
      res = await fetch(`${cpServer}${path}`, {
        method,
        dispatcher: kubeAgent,
        headers: {
          authorization: `Bearer ${opts.controlPlane.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HttpError(
        502,
        `control plane API unreachable: ${method} ${path}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  }

  /** Request that must succeed (2xx) or, with allow409, may find the object already there. */
  async function kube(method: string, path: string, body?: unknown, allow409 = false): Promise<KubeResponse> {
    const res = await kubeRequest(method, path, body);
    if (res.status >= 200 && res.status < 300) return res;
    if (allow409 && res.status === 409) return res;
    throw kubeFailure(method, path, res);
  }

  async function authenticate(req: IncomingMessage): Promise<string> {
    const header = req.headers.authorization;
    if (!header) throw unauthorized('missing bearer token');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) throw unauthorized('authorization header is not a bearer token');
    const verifier = verifierFor(m[1]);
    try {
      const { payload } = await jwtVerify(m[1], verifier.jwks, {
        issuer: verifier.issuer,
        audience: opts.audience,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'],
        requiredClaims: ['exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('token has no subject');
      return payload.sub;
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('token expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        if (err.claim === 'aud')
          throw unauthorized(
            `token audience mismatch: expected ${JSON.stringify(opts.audience)}, got ` +
              `${JSON.stringify(err.payload.aud ?? [])}`,
          );
        if (err.claim === 'iss')
          throw unauthorized(
            `token issuer mismatch: expected ${JSON.stringify(verifier.issuer)}, got ` +
              `${JSON.stringify(err.payload.iss ?? '')}`,
          );
        throw unauthorized(`token claim ${JSON.stringify(err.claim)} invalid: ${err.reason}`);
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey)
        throw unauthorized('token signature verification failed');
      if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid)
        throw unauthorized('malformed token');
      if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported)
        throw unauthorized('token signing algorithm not accepted');
      // go-oidc fails verification when the issuer's keys cannot be fetched; the backend then answers 401.
      throw unauthorized(`failed to verify token: cannot fetch the issuer's signing keys (${(err as Error).message})`);
    }
  }

  async function findTemplates(apis: ApiRef[]): Promise<Map<string, unknown[] | undefined>> {
    const path = `/apis/${templateGroup}/v1alpha1/apiserviceexporttemplates`;
    const res = await kube('GET', path);
    const items = ((res.body as { items?: unknown[] } | undefined)?.items ?? []) as Array<{
      metadata?: { namespace?: string; name?: string };
      spec?: { APIServiceSelector?: { group?: string; resource?: string }; permissionClaims?: unknown[] };
    }>;
    // Deterministic choice when several templates match: first by namespace/name.
    items.sort((a, b) =>
      `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`),
    );
    const out = new Map<string, unknown[] | undefined>();
    const missing: string[] = [];
    for (const api of apis) {
      const t = items.find(
        (i) =>
          (i.spec?.APIServiceSelector?.group ?? '') === api.group &&
          i.spec?.APIServiceSelector?.resource === api.resource,
      );
      if (!t) missing.push(apiName(api));
      else out.set(apiName(api), t.spec?.permissionClaims);
    }
    if (missing.length > 0)
      throw new HttpError(
        400,
        `bad request: no APIServiceExportTemplate for ${missing.map((m) => JSON.stringify(m)).join(', ')}; ` +
          `this backend does not offer ${missing.length === 1 ? 'that API' : 'those APIs'}`,
      );
    return out;
  }

  async function ensureNamespace(identity: string): Promise<string> {
    const hash = createHash('sha256').update(identity).digest('hex').slice(0, 40);
    const list = await kube(
      'GET',
      `/api/v1/namespaces?labelSelector=${encodeURIComponent(`${IDENTITY_HASH_LABEL}=${hash}`)}`,
    );
    const found = ((list.body as { items?: KubeObject[] } | undefined)?.items ?? [])
      .filter((n) => n.metadata?.annotations?.[IDENTITY_ANNOTATION] === identity)
      .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
    const existing = found[0]?.metadata?.name;
    if (existing) return existing;
    const created = await kube('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        generateName,
        labels: { [IDENTITY_HASH_LABEL]: hash },
        annotations: { [IDENTITY_ANNOTATION]: identity },
      },
    });
    const name = (created.body as KubeObject).metadata?.name;
    if (!name) throw new HttpError(502, 'control plane API error: created namespace has no name');
    return name;
  }

  async function ensureToken(ns: string): Promise<string> {
    const base = `/api/v1/namespaces/${ns}`;
    await kube(
      'POST',
      `${base}/serviceaccounts`,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BINDER, namespace: ns } },
      true,
    );
    await kube(
      'POST',
      `${base}/secrets`,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: { name: BINDER, namespace: ns, annotations: { 'kubernetes.io/service-account.name': BINDER } },
      },
      true,
    );
    const deadline = Date.now() + TOKEN_WAIT_MS;
    for (;;) {
      const res = await kube('GET', `${base}/secrets/${BINDER}`);
      const token = (res.body as KubeObject).data?.token;
      if (token) return Buffer.from(token, 'base64').toString('utf8');
      if (Date.now() >= deadline)
        throw new HttpError(
          500,
          `timed out after ${TOKEN_WAIT_MS / 1000}s waiting for the ServiceAccount token of ${ns}/${BINDER} ` +
            `(is kube-controller-manager running?)`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  function kubeconfigFor(ns: string, token: string): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'default',
          cluster: {
            server: externalAddress,
            'certificate-authority-data': Buffer.from(opts.controlPlane.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'default', user: { token } }],
      contexts: [{ name: 'default', context: { cluster: 'default', user: 'default', namespace: ns } }],
      'current-context': 'default',
    });
  }

  async function ensureBinding(identity: string): Promise<{ ns: string; kubeconfig: string }> {
    const ns = await ensureNamespace(identity);
    const token = await ensureToken(ns);
    await kube(
      'POST',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: BINDER, namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: BINDER },
        subjects: [{ kind: 'ServiceAccount', name: BINDER, namespace: ns }],
      },
      true,
    );
    const kubeconfig = kubeconfigFor(ns, token);
    const secretPath = `/api/v1/namespaces/${ns}/secrets`;
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kubeconfig', namespace: ns },
      data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
    };
    const created = await kube('POST', secretPath, secret, true);
    if (created.status === 409) {
      const current = (await kube('GET', `${secretPath}/kubeconfig`)).body as KubeObject;
      if (current.data?.kubeconfig !== secret.data.kubeconfig) {
        await kube('PUT', `${secretPath}/kubeconfig`, {
          ...secret,
          metadata: { ...secret.metadata, resourceVersion: current.metadata?.resourceVersion },
        });
      }
    }
    await kube(
      'POST',
      `/apis/${KLUTCH_GROUP}/v1alpha1/namespaces/${ns}/clusterbindings`,
      {
        apiVersion: KLUTCH_VERSION,
        kind: 'ClusterBinding',
        metadata: { name: 'cluster', namespace: ns },
        spec: { kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' }, providerPrettyName: 'sandbox' },
      },
      true,
    );
    return { ns, kubeconfig };
  }

  // Concurrent binds of one identity must share one namespace: run them one after another.
  const perIdentity = new Map<string, Promise<unknown>>();
  function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = perIdentity.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    perIdentity.set(key, tail);
    void tail.then(() => {
      if (perIdentity.get(key) === tail) perIdentity.delete(key);
    });
    return run;
  }

  async function handleBind(req: IncomingMessage): Promise<unknown> {
    const sub = await authenticate(req);
    const bind = parseBindRequest(await readBody(req));
    const claims = await findTemplates(bind.apis);
    const identity = `${sub}#${bind.clusterID}`;
    const { kubeconfig } = await serialized(identity, () => ensureBinding(identity));
    return {
      apiVersion: KLUTCH_VERSION,
      kind: 'BindingResponse',
      authentication: {},
      kubeconfig: Buffer.from(kubeconfig).toString('base64'),
      requests: bind.apis.map((api) => {
        const pc = claims.get(apiName(api));
        return {
          apiVersion: KLUTCH_VERSION,
          kind: 'APIServiceExportRequest',
          metadata: { name: apiName(api) },
          spec: {
            resources: [
              { group: api.group, resource: api.resource, ...(pc && pc.length > 0 ? { permissionClaims: pc } : {}) },
            ],
          },
          status: {},
        };
      }),
    };
  }

  let requests = 0;
  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    const sendText = (status: number, msg: string, headers: Record<string, string> = {}) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        ...headers,
      });
      res.end(`${msg}\n`);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== BIND_PATH) return sendText(404, '404 page not found');
    if (req.method !== 'POST') return sendText(405, 'method not allowed', { allow: 'POST' });
    handleBind(req).then(
      (body) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      },
      (err: unknown) => {
        if (err instanceof HttpError) return sendText(err.status, err.message, err.headers);
        sendText(500, 'internal server error');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let stopped: Promise<void> | undefined;
  return {
    url: `${baseUrl}${BIND_PATH}`,
    baseUrl,
    get requests() {
      return requests;
    },
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.all([jwksAgent.close(), kubeAgent.close()]);
      })();
      return stopped;
    },
  };
}
