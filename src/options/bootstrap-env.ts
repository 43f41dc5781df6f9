/**
 * bootstrap-env's options, pure: (argv, env) → frozen options. Flags win over
 * their HELPER_ variable (applied before, by options/argv.ts) and over the
 * defaults. The OIDC client is read from the environment; the secret, key
 * and assertion files are only named here: the flow reads them
 * (oidcCredentials below judges the whole client, before any network call).
 */
import { parseSecretRef, type SecretRef } from '../kube/binding-secret.ts';
import { DEFAULT_KONNECTOR_IMAGE } from '../render/konnector.ts';
import { InputError, UsageError } from '../errors.ts';
import { JWT_BEARER_GRANT, type AssertionGrant } from '../token/client-credentials.ts';
import {
  callPolicyOf,
  checkRetries,
  durationOf,
  resolveOutput,
  tlsOf,
  waitBindingsMs,
  type CallFlags,
  type TlsFlags,
} from './flags.ts';

/** -o for one binding (all.yaml) and for a fleet (the summary). */
export const SINGLE_FORMATS = ['yaml'] as const;
export const FLEET_FORMATS = ['text', 'json'] as const;

export interface OidcOptions {
  clientId: string;
  /** $OIDC_CLIENT_SECRET ('' when unset). */
  clientSecret: string;
  /** --client-secret-file: read by the flow, wins over $OIDC_CLIENT_SECRET. */
  clientSecretFile: string | undefined;
  /** --client-key-file / $OIDC_CLIENT_KEY_FILE: private_key_jwt. */
  clientKeyFile: string | undefined;
  /** $OIDC_CLIENT_KEY_ID: the kid sent with a PEM key (a JWK's own kid wins). */
  clientKeyId: string | undefined;
  /** --client-assertion-file / $OIDC_CLIENT_ASSERTION_FILE: a federated assertion. */
  clientAssertionFile: string | undefined;
  /** --grant-type / $OIDC_GRANT_TYPE: how the assertion is used. */
  grant: AssertionGrant;
  tokenUrl: string;
  scope: string | undefined;
  /** --oidc-audience / $OIDC_AUDIENCE: the token request's `audience` parameter. */
  audience: string | undefined;
  /** --oidc-resource / $OIDC_RESOURCE: the token request's `resource` parameter (RFC 8707). */
  resource: string | undefined;
}

/** --grant-type values; the URN of the JWT-bearer grant is accepted too. */
export const GRANT_TYPES = ['client_credentials', 'jwt-bearer'] as const;

function grantOf(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): AssertionGrant {
  const flag = argv['grant-type'] as string | undefined;
  const value = (flag ?? env.OIDC_GRANT_TYPE?.trim()) || 'client_credentials';
  if (value === 'client_credentials' || value === 'client-credentials') return 'client_credentials';
  if (value === 'jwt-bearer' || value === 'jwt_bearer' || value === JWT_BEARER_GRANT) return 'jwt_bearer';
  throw new UsageError(
    `${flag !== undefined ? '--grant-type' : 'OIDC_GRANT_TYPE'} ${JSON.stringify(value.slice(0, 100))} is ` +
      `not a grant type helper uses: client_credentials or jwt-bearer (${JWT_BEARER_GRANT})`,
  );
}

export interface BootstrapEnvOptions extends CallFlags, TlsFlags {
  files: readonly string[];
  url: string;
  /** Several -f files or --out-dir: a fleet (flows/fleet.ts). */
  fleet: boolean;
  /** -o: yaml for one binding; text or json for a fleet's summary. */
  format: string;
  /** Deprecated spellings used (-o FILE, --summary), to warn about. */
  deprecations: readonly string[];
  /** --output-file (or the deprecated -o FILE); undefined: stdout. */
  output: string | undefined;
  writeKubeconfig: string | undefined;
  outDir: string | undefined;
  concurrency: number;
  /** fleet: after the first cluster that fails, start no other (those under way finish). */
  failFast?: boolean | undefined;
  konnectorImage: string;
  oidc: OidcOptions;
  timeoutMs: number;
  wait: boolean;
  /** Kubeconfig of the App Cluster to apply all.yaml to (one pass, server-side apply). */
  applyTo: string | undefined;
  /** --context: the context of the applyTo kubeconfig. */
  applyToContext: string | undefined;
  /** --wait-bindings: after --apply-to, wait this long for every APIServiceBinding to be Ready. */
  waitBindingsMs: number | undefined;
  /** --write-secret NAMESPACE/NAME: the provider kubeconfig and all.yaml as a Secret. */
  writeSecret: Readonly<SecretRef> | undefined;
  /** --secret-kubeconfig: the cluster of that Secret (default: the kubeconfig as kubectl finds it). */
  secretKubeconfig: string | undefined;
  /** The environment, for --write-secret's kubeconfig as kubectl finds it. */
  env: NodeJS.ProcessEnv;
}

/** UsageError for a command line that cannot work; otherwise the frozen options. */
export function bootstrapEnvOptions(
  argv: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Readonly<BootstrapEnvOptions> {
  const files = ([] as unknown[]).concat(argv.file ?? []);
  if (!files.length || files.some((f) => typeof f !== 'string' || f === ''))
    throw new UsageError('-f needs a binding file (or - for stdin)');
  if (typeof argv.url !== 'string' || argv.url === '')
    throw new UsageError('-u/--url is required: the backend URL (or set HELPER_BIND_URL)');
  const fleet = argv['out-dir'] !== undefined || files.length > 1;
  const out = fleet
    ? resolveOutput(argv, FLEET_FORMATS, 'text', { flag: '--summary', value: argv.summary })
    : resolveOutput(argv, SINGLE_FORMATS, 'yaml');
  if (fleet && !argv['out-dir'])
    throw new UsageError('several binding files make a fleet: pass --out-dir DIR for the per-cluster files');
  if (fleet && (out.file || argv['write-kubeconfig'] || argv['apply-to']))
    throw new UsageError(
      '--output-file, --write-kubeconfig and --apply-to are for one binding; a fleet writes its files under --out-dir',
    );
  if (!fleet && argv['fail-fast'] === true)
    throw new UsageError(
      '--fail-fast is for a fleet (several -f files or --out-dir); one binding always stops at its error',
    );
  if (fleet && argv['write-secret'] !== undefined)
    throw new UsageError('--write-secret is for one binding; a fleet writes its files under --out-dir');
  if (argv['secret-kubeconfig'] !== undefined && argv['write-secret'] === undefined)
    throw new UsageError('--secret-kubeconfig names the cluster of --write-secret; pass --write-secret too');
  const writeSecret =
    argv['write-secret'] === undefined ? undefined : Object.freeze(parseSecretRef(String(argv['write-secret'])));
  if (argv['wait-bindings'] !== undefined && !argv['apply-to'])
    throw new UsageError('--wait-bindings waits on the App Cluster of --apply-to; pass --apply-to too');
  if (argv.context !== undefined && !argv['apply-to'])
    throw new UsageError('--context picks the context of the --apply-to kubeconfig; pass --apply-to too');
  const concurrency = argv.concurrency as number | undefined;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256))
    throw new UsageError('--concurrency must be a whole number from 1 to 256');
  checkRetries(argv.retries);
  const timeoutMs = durationOf(argv, 'timeout');
  const calls = callPolicyOf(argv);
  return Object.freeze({
    files: Object.freeze(files as string[]),
    url: argv.url,
    fleet,
    format: out.format,
    deprecations: Object.freeze(out.deprecations),
    output: out.file,
    writeKubeconfig: argv['write-kubeconfig'] as string | undefined,
    outDir: argv['out-dir'] as string | undefined,
    concurrency: concurrency ?? 4,
    failFast: argv['fail-fast'] === true,
    konnectorImage: (argv['konnector-image'] as string | undefined) ?? DEFAULT_KONNECTOR_IMAGE,
    oidc: Object.freeze({
      clientId: env.OIDC_CLIENT_ID?.trim() ?? '',
      clientSecret: env.OIDC_CLIENT_SECRET ?? '',
      clientSecretFile: (argv['client-secret-file'] as string | undefined) || undefined,
      clientKeyFile: (argv['client-key-file'] as string | undefined) || env.OIDC_CLIENT_KEY_FILE || undefined,
      clientKeyId: env.OIDC_CLIENT_KEY_ID?.trim() || undefined,
      clientAssertionFile:
        (argv['client-assertion-file'] as string | undefined) || env.OIDC_CLIENT_ASSERTION_FILE || undefined,
      grant: grantOf(argv, env),
      tokenUrl: env.OIDC_TOKEN_URL?.trim() ?? '',
      scope: (argv['oidc-scope'] as string | undefined) ?? (env.OIDC_SCOPE || undefined),
      audience: (argv['oidc-audience'] as string | undefined) ?? (env.OIDC_AUDIENCE?.trim() || undefined),
      resource: (argv['oidc-resource'] as string | undefined) ?? (env.OIDC_RESOURCE?.trim() || undefined),
    }),
    ...tlsOf(argv),
    timeoutMs,
    ...calls,
    wait: argv.wait !== false,
    applyTo: argv['apply-to'] as string | undefined,
    applyToContext: argv.context as string | undefined,
    waitBindingsMs: waitBindingsMs(argv),
    writeSecret,
    secretKubeconfig: (argv['secret-kubeconfig'] as string | undefined) || undefined,
    env,
  });
}

/** What the --client-secret-file read gave: its text, or the fs error code. */
export type SecretFileRead = { text: string } | { error: string } | undefined;

interface OidcBase {
  clientId: string;
  tokenUrl: string;
  scope: string | undefined;
  audience: string | undefined;
  resource: string | undefined;
}

/** The judged OIDC client: exactly one way of authenticating (the key and assertion files are read by the flow). */
export type OidcCredentials = OidcBase &
  (
    | { method: 'secret'; clientSecret: string }
    | { method: 'key'; keyFile: string; keyId: string | undefined }
    | { method: 'assertion'; assertionFile: string; grant: AssertionGrant }
  );

/** How each way of authenticating is named in messages. */
const SECRET_NAMES = 'OIDC_CLIENT_SECRET (or --client-secret-file / HELPER_CLIENT_SECRET_FILE)';
const KEY_NAMES = 'OIDC_CLIENT_KEY_FILE (--client-key-file)';
const ASSERTION_NAMES = 'OIDC_CLIENT_ASSERTION_FILE (--client-assertion-file)';

/**
 * The OIDC client the token request needs, or one InputError listing every
 * problem (unset variables, two ways of authenticating or none, an
 * unreadable or empty secret file, a token URL that is no URL). `secretFile`
 * is what the flow read from --client-secret-file.
 */
export function oidcCredentials(o: OidcOptions, secretFile: SecretFileRead): OidcCredentials {
  const problems: string[] = [];
  const given: string[] = [];
  if (o.clientSecret) given.push('OIDC_CLIENT_SECRET');
  if (o.clientSecretFile) given.push('--client-secret-file (HELPER_CLIENT_SECRET_FILE)');
  if (o.clientKeyFile) given.push(KEY_NAMES);
  if (o.clientAssertionFile) given.push(ASSERTION_NAMES);
  const secretGiven = Boolean(o.clientSecret || o.clientSecretFile);
  const ways = Number(secretGiven) + Number(Boolean(o.clientKeyFile)) + Number(Boolean(o.clientAssertionFile));
  if (!o.clientId) problems.push('OIDC_CLIENT_ID is not set (the client ID of the OIDC client)');
  if (ways > 1)
    problems.push(
      `more than one way of authenticating is set: ${given.join(', ')}; set exactly one of ${SECRET_NAMES}, ` +
        `${KEY_NAMES}, ${ASSERTION_NAMES}`,
    );
  if (ways === 0)
    problems.push(
      `no way of authenticating is set: set one of ${SECRET_NAMES}, ${KEY_NAMES} (private_key_jwt), ` +
        `${ASSERTION_NAMES} (a federated token)`,
    );
  if (o.grant === 'jwt_bearer' && !o.clientAssertionFile)
    problems.push(`the JWT-bearer grant (--grant-type / OIDC_GRANT_TYPE) sends an assertion: set ${ASSERTION_NAMES}`);
  let clientSecret = o.clientSecret;
  if (ways === 1 && secretGiven) {
    if (o.clientSecretFile && secretFile) {
      if ('error' in secretFile)
        problems.push(`--client-secret-file ${o.clientSecretFile}: cannot read (${secretFile.error})`);
      else clientSecret = secretFile.text.replace(/\r?\n$/, '');
    }
    if (!clientSecret && !problems.length) problems.push(`--client-secret-file ${o.clientSecretFile} is empty`);
  }
  const tokenUrl = o.tokenUrl;
  if (!tokenUrl) problems.push('OIDC_TOKEN_URL is not set (the token endpoint of your OIDC provider)');
  else if (!URL.canParse(tokenUrl)) {
    const schemeless = /^[A-Za-z0-9.-]+(:\d+)?(\/|$)/.test(tokenUrl);
    problems.push(
      `OIDC_TOKEN_URL ${JSON.stringify(tokenUrl.slice(0, 200))} is not a URL` +
        (schemeless
          ? `: the scheme is missing (did you mean https://${tokenUrl.slice(0, 200)}?)`
          : ' (expected e.g. https://idp.example.com/realms/x/protocol/openid-connect/token)'),
    );
  } else if (new URL(tokenUrl).protocol !== 'https:') {
    // --insecure-skip-tls-verify skips certificate checks; it never lets a credential travel in clear.
    const u = new URL(tokenUrl);
    problems.push(
      `OIDC_TOKEN_URL must be an https:// URL (got ${u.protocol}//${u.host}): plain http would send the ` +
        `client's credential in clear (--insecure-skip-tls-verify does not allow it)`,
    );
  }
  if (problems.length)
    throw new InputError(
      'HELPER_ENV',
      `cannot request an access token (OIDC ${o.grant === 'jwt_bearer' ? 'JWT-bearer' : 'client-credentials'} grant):`,
      problems,
    );
  const base = { clientId: o.clientId, tokenUrl, scope: o.scope, audience: o.audience, resource: o.resource };
  if (o.clientKeyFile) return { ...base, method: 'key', keyFile: o.clientKeyFile, keyId: o.clientKeyId };
  if (o.clientAssertionFile)
    return { ...base, method: 'assertion', assertionFile: o.clientAssertionFile, grant: o.grant };
  return { ...base, method: 'secret', clientSecret };
}
