/**
 * One access token shared by every binding of a run: fetched on first use,
 * refreshed when it nears expiry (within `refreshMarginMs`, at most a quarter
 * of its lifetime), and fetched once even when many bindings ask at the
 * same moment.
 *
 * With a federated assertion file every token request reads the file again
 * (a projected ServiceAccount token rotates) and no assertion is sent twice
 * (providers refuse a replayed `jti`): when the file still holds the
 * assertion already sent, the current token is kept while it is valid, and
 * after that the run stops with an error naming the file.
 */
import { InputError } from '../errors.ts';
import { addSecret, log } from '../log.ts';
import { assertionOf, digestOf } from './assertion.ts';
import {
  fetchToken,
  type AccessToken,
  type AssertionGrant,
  type ClientCredentials,
  type TokenOptions,
} from './client-credentials.ts';

/** What each fetch is given (the backoff stays fetchToken's default), and when to refresh. */
export interface TokenSourceOptions
  extends Pick<TokenOptions, 'dispatcher' | 'timeoutMs' | 'attempts' | 'insecure' | 'signal'> {
  refreshMarginMs?: number;
  /** Injected for tests. */
  now?: () => number;
  fetch?: typeof fetchToken;
}

/** A federated assertion that lives in a file, read again for every token request. */
export interface AssertionFile {
  file: string;
  grant: AssertionGrant;
  /** The file's bytes (throws the fs error). */
  read: () => Buffer;
}

/** The client of a run: a secret or a key as they are, or an assertion file. */
export type TokenClient =
  | ClientCredentials
  | (Pick<ClientCredentials, 'clientId' | 'tokenUrl' | 'scope' | 'audience' | 'resource'> & {
      assertionFile: AssertionFile;
    });

export class TokenSource {
  private current: (AccessToken & { fetchedAt: number }) | undefined;
  private inflight: Promise<AccessToken> | undefined;
  /** Digests of the assertions sent (never the assertions). */
  private readonly sent = new Set<string>();
  /** How many tokens were fetched (for the summary and tests). */
  fetched = 0;
  private readonly client: TokenClient;
  private readonly opts: TokenSourceOptions;

  constructor(client: TokenClient, opts: TokenSourceOptions) {
    this.client = client;
    this.opts = opts;
  }

  async get(): Promise<string> {
    const now = (this.opts.now ?? Date.now)();
    const cur = this.current;
    if (cur && (cur.expiresAt === undefined || cur.expiresAt - this.margin(cur) > now)) return cur.accessToken;
    if (!this.inflight) {
      const creds = this.credentials(cur, now);
      if (!creds) return cur!.accessToken;
      if (cur) log.info('access token expires soon; fetching a new one');
      this.inflight = (this.opts.fetch ?? fetchToken)(creds, {
        dispatcher: this.opts.dispatcher,
        timeoutMs: this.opts.timeoutMs,
        attempts: this.opts.attempts,
        insecure: this.opts.insecure,
        signal: this.opts.signal,
      })
        .then((t) => {
          addSecret(t.accessToken);
          this.current = { ...t, fetchedAt: (this.opts.now ?? Date.now)() };
          this.fetched++;
          return t;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return (await this.inflight).accessToken;
  }

  /** The refresh margin: the configured one (default 1 min), at most a quarter of the token's lifetime. */
  private margin(t: AccessToken & { fetchedAt: number }): number {
    const m = this.opts.refreshMarginMs ?? 60_000;
    return t.expiresAt === undefined ? m : Math.min(m, Math.max(0, (t.expiresAt - t.fetchedAt) / 4));
  }

  /**
   * The credentials of the next request; for an assertion file its current
   * content. Undefined: the file still holds the assertion already sent and
   * the current token is still valid, so it is kept.
   */
  private credentials(
    cur: (AccessToken & { fetchedAt: number }) | undefined,
    now: number,
  ): ClientCredentials | undefined {
    const c = this.client;
    if (!('assertionFile' in c)) return c;
    const { file, grant, read } = c.assertionFile;
    let bytes: Buffer;
    try {
      bytes = read();
    } catch (err) {
      throw new InputError(
        'HELPER_CLIENT_ASSERTION',
        `cannot read client assertion file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    const jwt = assertionOf(bytes, file);
    addSecret(jwt);
    const digest = digestOf(jwt);
    if (this.sent.has(digest)) {
      if (cur && (cur.expiresAt === undefined || cur.expiresAt > now)) {
        log.debug(
          `client assertion file ${file} still holds the assertion already sent; keeping the current access ` +
            `token until it expires`,
        );
        return undefined;
      }
      throw new InputError(
        'HELPER_CLIENT_ASSERTION',
        `the access token expired and client assertion file ${file} still holds the assertion helper already ` +
          `sent once; it is never sent twice (providers refuse a replayed assertion)`,
        [],
        {
          hint:
            'the platform must replace the file before the access token expires (a projected ServiceAccount ' +
            'token is rotated at 80% of its lifetime: give it a shorter expirationSeconds), or let the ' +
            'provider issue longer-lived access tokens',
        },
      );
    }
    this.sent.add(digest);
    const { assertionFile: _, ...base } = c;
    return { ...base, assertion: { jwt, file, grant } };
  }
}
