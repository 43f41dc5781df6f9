/**
 * The suite's secret scan (test/run.ts): every CLI run's captured stderr and
 * non-artifact stdout (test/helpers/run-cli.ts) is checked for what must never
 * be shown to a user.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/**
 * What must never be in a CLI run's output: the client secret, the keyless
 * client's private key (its PEM body lines and its JWK private members, `d`
 * among them), and, by shape, any private key or JWT (access tokens,
 * ServiceAccount tokens, client assertions).
 */
export function secretsOf(
  clientSecret: string,
  keyFile: string | undefined,
): { literals: string[]; shapes: Array<[string, RegExp]> } {
  const literals = [clientSecret];
  if (keyFile && existsSync(keyFile)) {
    const pem = readFileSync(keyFile, 'utf8');
    literals.push(
      ...pem
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)),
    );
    const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as Record<string, unknown>;
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) if (typeof jwk[m] === 'string') literals.push(jwk[m] as string);
  }
  return {
    literals,
    shapes: [
      ['a token or assertion (JWT)', /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./],
      ['a PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['a JWK private member', /"(d|p|q|dp|dq|qi)"\s*:\s*"[A-Za-z0-9_-]{20,}"/],
    ],
  };
}

/** Scans every CLI run's captured output for the secrets above. */
export function scanForSecrets(
  file: string,
  secrets: ReturnType<typeof secretsOf>,
): { ok: boolean; runs: number; problem?: string } {
  if (!existsSync(file)) return { ok: false, runs: 0, problem: 'no CLI run was captured' };
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    const r = JSON.parse(line) as { args: string[]; stdout: string; stderr: string };
    const text = r.stdout + r.stderr;
    // Only say which run leaked, never the leaked value.
    if (secrets.literals.some((l) => text.includes(l)))
      return {
        ok: false,
        runs: lines.length,
        problem: `the client secret or the keyless client's private key in the output of helper ${r.args.join(' ')}`,
      };
    for (const [what, re] of secrets.shapes)
      if (re.test(text))
        return { ok: false, runs: lines.length, problem: `${what} in the output of helper ${r.args.join(' ')}` };
  }
  return { ok: lines.length > 0, runs: lines.length, problem: lines.length ? undefined : 'no CLI run was captured' };
}
