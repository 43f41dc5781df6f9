/**
 * `npm test`: starts one sandbox for the whole suite (test files attach to it
 * through HELPER_SANDBOX_DIR), runs tap, stops the sandbox (also on failure
 * and on SIGINT/SIGTERM), and ends with the line `N passed, N failed`.
 * Extra arguments are passed to tap (e.g. a test file).
 */
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binariesEnv } from './sandbox/cluster.ts';
import { failureSummary } from './helpers/tap-summary.ts';
import { sandboxInfo, startSandbox, writeSandboxInfo } from './sandbox/sandbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'helper-test-sandbox-'));
const captureFile = join(dir, 'cli-output.jsonl');

/**
 * What must never be in a CLI run's output: the client secret, the keyless
 * client's private key (its PEM body lines and its JWK private members, `d`
 * among them), and, by shape, any private key or JWT (access tokens,
 * ServiceAccount tokens, client assertions).
 */
function secretsOf(clientSecret: string, keyFile: string | undefined): { literals: string[]; shapes: Array<[string, RegExp]> } {
  const literals = [clientSecret];
  if (keyFile && existsSync(keyFile)) {
    const pem = readFileSync(keyFile, 'utf8');
    literals.push(...pem.split('\n').map((l) => l.trim()).filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)));
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
function scanForSecrets(file: string, secrets: ReturnType<typeof secretsOf>): { ok: boolean; runs: number; problem?: string } {
  if (!existsSync(file)) return { ok: false, runs: 0, problem: 'no CLI run was captured' };
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    const r = JSON.parse(line) as { args: string[]; stdout: string; stderr: string };
    const text = r.stdout + r.stderr;
    // Only say which run leaked, never the leaked value.
    if (secrets.literals.some((l) => text.includes(l))) return { ok: false, runs: lines.length, problem: `the client secret or the keyless client's private key in the output of helper ${r.args.join(' ')}` };
    for (const [what, re] of secrets.shapes) if (re.test(text)) return { ok: false, runs: lines.length, problem: `${what} in the output of helper ${r.args.join(' ')}` };
  }
  return { ok: lines.length > 0, runs: lines.length, problem: lines.length ? undefined : 'no CLI run was captured' };
}
let sb: Awaited<ReturnType<typeof startSandbox>> | undefined;
let tap: ReturnType<typeof spawn> | undefined;
let stopping = false;

async function cleanup(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    tap?.kill('SIGTERM');
    await sb?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.on('SIGINT', () => void cleanup(130));
process.on('SIGTERM', () => void cleanup(143));

const t0 = Date.now();
try {
  sb = await startSandbox({ dir });
} catch (err) {
  process.stderr.write(`test: the sandbox did not start: ${err instanceof Error ? err.stack : err}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  await cleanup(1);
}
writeSandboxInfo(sandboxInfo(sb!), join(dir, 'sandbox.env'));
process.stderr.write(`test: sandbox up in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);

let out = '';
const code: number = await new Promise((resolve) => {
  tap = spawn(process.execPath, [join(import.meta.dirname, '..', 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HELPER_SANDBOX_DIR: dir, ...binariesEnv(sb!.bin), HELPER_CLI_CAPTURE: captureFile },
  });
  tap.stdout!.on('data', (d: Buffer) => { out += d.toString(); process.stdout.write(d); });
  tap.on('close', (c) => resolve(c ?? 1));
});
const m = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(out.slice(-2000));
const scan = scanForSecrets(captureFile, secretsOf(sb!.env.OIDC_CLIENT_SECRET, sb!.oidc.keyless?.keyFile));
process.stdout.write(`${scan.ok ? 'ok' : 'not ok'} - secret scan: ${scan.runs} CLI runs' stderr and non-artifact stdout hold no client secret, private key, token or assertion${scan.ok ? '' : `: ${scan.problem}`}\n`);
const failures = failureSummary(out);
if (failures.length) process.stdout.write(`# failed assertions:\n${failures.map((f) => `# ${f}`).join('\n')}\n`);
const failed = (m ? Number(m[3] ?? 0) : 1) + (scan.ok ? 0 : 1);
const passed = (m ? Number(m[2]) : 0) + (scan.ok ? 1 : 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
await cleanup(code !== 0 && failed === 0 ? 1 : code);
