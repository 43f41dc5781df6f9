/**
 * `npm run sandbox -- up [--dir DIR]` starts the sandbox in the background
 * and prints the environment a user of helper needs (also written to
 * DIR/sandbox.env); `npm run sandbox -- down [--dir DIR]` stops everything it
 * started, by PID. Progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killFromPidFile } from './procs.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: 'string' }, timeout: { type: 'string', default: '5400' } },
});
const dir = values.dir ?? join(tmpdir(), `helper-sandbox-${process.getuid?.() ?? 'user'}`);
const cmd = positionals[0];

if (cmd === 'up') await up();
else if (cmd === 'down') await down();
else {
  process.stderr.write('usage: npm run sandbox -- up|down [--dir DIR]\n');
  process.exitCode = 2;
}

async function up(): Promise<void> {
  if (existsSync(join(dir, 'ready')) && alive(Number(readFileSync(join(dir, 'daemon.pid'), 'utf8')))) {
    process.stderr.write(`sandbox: already running in ${dir}\n`);
    process.stdout.write(readFileSync(join(dir, 'sandbox.env'), 'utf8'));
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFd = openSync(join(dir, 'daemon.log'), 'a', 0o600);
  const daemon = spawn(process.execPath, [new URL('./daemon.ts', import.meta.url).pathname, '--dir', dir], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  daemon.unref();
  writeFileSync(join(dir, 'daemon.pid'), `${daemon.pid}\n`);
  process.stderr.write(`sandbox: starting in ${dir} (daemon pid ${daemon.pid}; log ${join(dir, 'daemon.log')})\n`);
  const start = Date.now();
  const limit = Number(values.timeout) * 1000;
  let shown = 0;
  for (;;) {
    if (existsSync(join(dir, 'ready'))) break;
    const log = readFileSync(join(dir, 'daemon.log'), 'utf8');
    if (log.length > shown) {
      process.stderr.write(log.slice(shown));
      shown = log.length;
    }
    if (existsSync(join(dir, 'failed'))) {
      process.stderr.write(`sandbox: failed to start:\n${readFileSync(join(dir, 'failed'), 'utf8')}`);
      process.exitCode = 1;
      return;
    }
    if (!alive(daemon.pid!) || Date.now() - start > limit) {
      process.stderr.write(
        `sandbox: daemon ${alive(daemon.pid!) ? 'not ready in time' : 'died'}; see ${join(dir, 'daemon.log')}\n`,
      );
      await down();
      process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const log = readFileSync(join(dir, 'daemon.log'), 'utf8');
  if (log.length > shown) process.stderr.write(log.slice(shown));
  process.stderr.write(
    `sandbox: up in ${((Date.now() - start) / 1000).toFixed(1)}s; environment in ${join(dir, 'sandbox.env')} ` +
      `(source it)\n`,
  );
  process.stdout.write(readFileSync(join(dir, 'sandbox.env'), 'utf8'));
}

async function down(): Promise<void> {
  const pidFile = join(dir, 'daemon.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (alive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  const n = killFromPidFile(join(dir, 'pids'));
  if (n) process.stderr.write(`sandbox: killed ${n} leftover process(es)\n`);
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`sandbox: down (${dir} removed)\n`);
}

function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
