/**
 * `npm test`: starts one sandbox for the whole suite (test files attach to it
 * through HELPER_SANDBOX_DIR), runs tap, stops the sandbox (also on failure
 * and on SIGINT/SIGTERM), then the code checks (format and lint, the import
 * rules, the coverage floors per src/ folder, whose table it prints), and ends
 * with the line `N passed, N failed`.
 * Extra arguments are passed to tap (e.g. a test file); the coverage floors are
 * then not enforced (a part of the suite covers a part of src/), the table is printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUMMARY } from '../bin/coverage-floors.ts';
import { binariesEnv } from './sandbox/cluster.ts';
import { codeChecks } from './helpers/code-checks.ts';
import { failureSummary } from './helpers/tap-summary.ts';
import { scanForSecrets, secretsOf } from './helpers/secret-scan.ts';
import { sandboxInfo, startSandbox, writeSandboxInfo } from './sandbox/sandbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'helper-test-sandbox-'));
const captureFile = join(dir, 'cli-output.jsonl');

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

rmSync(SUMMARY, { force: true });
let out = '';
const code: number = await new Promise((resolve) => {
  tap = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'),
      '--no-disable-coverage',
      ...process.argv.slice(2),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, HELPER_SANDBOX_DIR: dir, ...binariesEnv(sb!.bin), HELPER_CLI_CAPTURE: captureFile },
    },
  );
  tap.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  tap.on('close', (c) => resolve(c ?? 1));
});
const m = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(out.slice(-2000));
const scan = scanForSecrets(captureFile, secretsOf(sb!.env.OIDC_CLIENT_SECRET, sb!.oidc.keyless?.keyFile));
process.stdout.write(
  `${scan.ok ? 'ok' : 'not ok'} - secret scan: ${scan.runs} CLI runs' stderr and non-artifact stdout hold no ` +
    `client secret, private key, token or assertion${scan.ok ? '' : `: ${scan.problem}`}\n`,
);
const checks = codeChecks(process.argv.length <= 2);
const failures = failureSummary(out);
if (failures.length) process.stdout.write(`# failed assertions:\n${failures.map((f) => `# ${f}`).join('\n')}\n`);
const failed = (m ? Number(m[3] ?? 0) : 1) + (scan.ok ? 0 : 1) + checks.failed;
const passed = (m ? Number(m[2]) : 0) + (scan.ok ? 1 : 0) + checks.passed;
process.stdout.write(`${passed} passed, ${failed} failed\n`);
await cleanup(failed > 0 || code !== 0 ? code || 1 : 0);
