/**
 * Runs the helper CLI as a user would: a child process with a clean
 * environment (only what the test passes, plus PATH/HOME), capturing stdout,
 * stderr and the exit code. HELPER_BIN selects another executable (e.g. the
 * single-file build); by default it is bin/helper under the Node that runs the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const defaultBin = fileURLToPath(new URL('../../bin/helper', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** Called once the child runs (e.g. to send it a signal later). */
  onSpawn?: (child: ChildProcess) => void;
  /** A file descriptor for the child's stdout (as `> file` gives it); result.stdout is then empty. */
  stdoutFd?: number;
  /** Called for every stderr chunk (e.g. to act when a phase is reached). */
  onStderr?: (text: string, child: ChildProcess) => void;
  /** Run this executable (e.g. the single executable) instead of HELPER_BIN / bin/helper. */
  exe?: string | undefined;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const bin = opts.exe ?? process.env.HELPER_BIN;
  const [exe, argv] = bin ? [bin, args] : [process.execPath, [defaultBin, ...args]];
  // tap injects its process hooks into children through NODE_OPTIONS; the CLI
  // must run exactly as a user runs it, so `env -u` drops them.
  const [cmd, cmdArgs] = ['env', ['-u', 'NODE_OPTIONS', exe, ...argv]];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, {
      env,
      cwd: opts.cwd ?? repoRoot,
      stdio: ['pipe', opts.stdoutFd ?? 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString();
      stderr += s;
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      capture(args, stdout, stderr);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
    });
    opts.onSpawn?.(child);
    child.stdin!.end(opts.input ?? '');
  });
}

/**
 * Records what a user saw, for the suite-wide secret scan in test/run.ts.
 * stdout is left out where it is the artifact (bootstrap-env's all.yaml
 * carries the provider kubeconfig by design).
 */
function capture(args: string[], stdout: string, stderr: string): void {
  const file = process.env.HELPER_CLI_CAPTURE;
  if (!file) return;
  // With -o FILE / --output-file stdout is empty; -o yaml (or --output-file -) prints the artifact.
  const artifact =
    (args[0] === 'bootstrap-env' && !args.includes('--out-dir')) ||
    (args[0] === 'control-plane' && args[1] === 'render');
  appendFileSync(file, JSON.stringify({ args: args.slice(0, 2), stderr, stdout: artifact ? '' : stdout }) + '\n', {
    mode: 0o600,
  });
}

/** Every JWT-shaped string (access tokens, ServiceAccount tokens) in a text. */
export function jwtsIn(text: string): string[] {
  return text.match(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g) ?? [];
}

/**
 * Samples the child's peak resident memory (VmHWM in /proc, Linux) until it
 * exits: pass `onSpawn` to runCli, read `kib()` afterwards (0 if never sampled).
 */
export function peakRss(): { onSpawn: (child: ChildProcess) => void; kib: () => number } {
  let kib = 0;
  return {
    kib: () => kib,
    onSpawn: (child) => {
      const timer = setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) kib = Math.max(kib, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 50);
      child.on('exit', () => clearInterval(timer));
    },
  };
}
