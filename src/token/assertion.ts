/**
 * A federated assertion (OIDC_CLIENT_ASSERTION_FILE): a JWT that a platform
 * issued to the workload (a projected ServiceAccount token, a CI job's
 * id_token). helper never verifies it (the provider does); it reads its
 * claims only to explain a refusal: an `exp`/`nbf` against this machine's
 * clock, an `aud` that does not name the token endpoint. The JWT itself is
 * a secret: it never appears in a message, only a digest of it is kept to
 * recognise an assertion already sent.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { InputError } from '../errors.ts';

export interface AssertionClaims {
  exp?: number | undefined;
  nbf?: number | undefined;
  aud: string[];
  iss?: string | undefined;
  sub?: string | undefined;
}

/** The file's text as one JWT (surrounding whitespace dropped), or an InputError naming the file. */
export function assertionOf(bytes: Buffer, file: string): string {
  const jwt = bytes.toString('utf8').trim();
  if (!jwt) throw new InputError('HELPER_CLIENT_ASSERTION', `client assertion file ${file} is empty`);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(jwt) || !claimsOf(jwt)) {
    throw new InputError(
      'HELPER_CLIENT_ASSERTION',
      `client assertion file ${file} does not hold a JWT (three base64url parts with a JSON claims set)`,
      [],
      {
        hint:
          'OIDC_CLIENT_ASSERTION_FILE is the token the platform issued to this workload, e.g. a projected ' +
          "ServiceAccount token or a CI job's OIDC token",
      },
    );
  }
  return jwt;
}

/** The claims helper explains refusals with; undefined when the JWT cannot be decoded. */
export function claimsOf(jwt: string): AssertionClaims | undefined {
  try {
    const p = decodeJwt(jwt);
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      exp: num(p.exp),
      nbf: num(p.nbf),
      aud: typeof p.aud === 'string' ? [p.aud] : Array.isArray(p.aud) ? p.aud.filter((a) => typeof a === 'string') : [],
      iss: str(p.iss),
      sub: str(p.sub),
    };
  } catch {
    return undefined;
  }
}

/** A digest to recognise an assertion already sent (the JWT itself is never kept). */
export function digestOf(jwt: string): string {
  return createHash('sha256').update(jwt).digest('hex');
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');

function ago(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

/**
 * What about an assertion a provider may have refused it for: expired, not
 * yet valid, an audience that does not name the token endpoint (for the
 * JWT-bearer grant; as a client assertion, which audience a provider wants
 * varies). Empty when none applies. `nowMs` is this machine's clock.
 */
export function assertionProblems(
  c: AssertionClaims,
  nowMs: number,
  tokenUrl: string,
  grant: 'client_credentials' | 'jwt_bearer' = 'jwt_bearer',
): string[] {
  const now = Math.floor(nowMs / 1000);
  const out: string[] = [];
  if (c.exp !== undefined && c.exp <= now)
    out.push(
      `the assertion expired: exp ${iso(c.exp)} is ${ago(now - c.exp)} before this machine's clock (${iso(now)})`,
    );
  if (c.nbf !== undefined && c.nbf > now)
    out.push(
      `the assertion is not valid yet: nbf ${iso(c.nbf)} is ${ago(c.nbf - now)} after this machine's clock (` +
        `${iso(now)})`,
    );
  if (c.exp === undefined) out.push('the assertion has no exp claim');
  if (!c.aud.includes(tokenUrl)) {
    // The JWT-bearer grant (RFC 7523 §3) wants the token endpoint; as a client assertion some providers
    // want another audience (Keycloak its realm URL, Entra ID api://AzureADTokenExchange).
    out.push(
      grant === 'jwt_bearer'
        ? `the assertion's aud ${JSON.stringify(c.aud)} does not name the token endpoint ${JSON.stringify(tokenUrl)}`
        : `the assertion's aud is ${JSON.stringify(c.aud)}, not the token endpoint ${JSON.stringify(tokenUrl)}` +
            `: is it the audience this provider expects?`,
    );
  }
  return out;
}
