/**
 * One access token shared by every binding of a run: fetched on first use,
 * refreshed when it is within `refreshMarginMs` of expiry, and fetched once
 * even when many bindings ask at the same moment.
 */
import { addSecret, log } from '../log.ts';
import { fetchToken, type AccessToken, type ClientCredentials, type TokenOptions } from './client-credentials.ts';

/** What each fetch is given (the backoff stays fetchToken's default), and when to refresh. */
export interface TokenSourceOptions extends Pick<TokenOptions, 'dispatcher' | 'timeoutMs' | 'attempts' | 'insecure' | 'signal'> {
  refreshMarginMs?: number;
  /** Injected for tests. */
  now?: () => number;
  fetch?: typeof fetchToken;
}

export class TokenSource {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  /** How many tokens were fetched (for the summary and tests). */
  fetched = 0;
  private readonly creds: ClientCredentials;
  private readonly opts: TokenSourceOptions;

  constructor(creds: ClientCredentials, opts: TokenSourceOptions) {
    this.creds = creds;
    this.opts = opts;
  }

  async get(): Promise<string> {
    const now = (this.opts.now ?? Date.now)();
    const margin = this.opts.refreshMarginMs ?? 60_000;
    const cur = this.current;
    if (cur && (cur.expiresAt === undefined || cur.expiresAt - margin > now)) return cur.accessToken;
    if (!this.inflight) {
      if (cur) log.info('access token expires soon; fetching a new one');
      this.inflight = (this.opts.fetch ?? fetchToken)(this.creds, {
        dispatcher: this.opts.dispatcher,
        timeoutMs: this.opts.timeoutMs,
        attempts: this.opts.attempts,
        insecure: this.opts.insecure,
        signal: this.opts.signal,
      }).then((t) => {
        addSecret(t.accessToken);
        this.current = t;
        this.fetched++;
        return t;
      }).finally(() => {
        this.inflight = undefined;
      });
    }
    return (await this.inflight).accessToken;
  }
}
