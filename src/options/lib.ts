/** The call flags as the library takes them (lib/run.ts ConnectOptions): --retries, not attempts. */
import type { ConnectOptions } from '../lib/run.ts';
import type { CallFlags, TlsFlags } from './flags.ts';

export function libCalls(calls: CallFlags, tls: TlsFlags): ConnectOptions {
  return {
    requestTimeoutMs: calls.requestTimeoutMs,
    retries: calls.attempts - 1,
    insecure: tls.insecure,
    ...(tls.caFile !== undefined ? { caFile: tls.caFile } : {}),
  };
}
