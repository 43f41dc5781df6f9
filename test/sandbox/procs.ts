/**
 * Child processes of the sandbox, tracked by PID. Every child's output goes
 * to a log file in the sandbox directory; stopAll() sends SIGTERM, waits,
 * then SIGKILLs what is left. PIDs are also appended to a pid file so that
 * `sandbox down` (or .ci/run's trap) can end them if this process died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export class Procs {
  readonly dir: string;
  readonly pidFile: string;
  private readonly procs: Proc[] = [];

  constructor(dir: string) {
    this.dir = dir;
    this.pidFile = join(dir, 'pids');
  }

  start(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a', 0o600);
    const child = spawn(cmd, args, {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? this.dir,
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`cannot start ${name} (${cmd})`);
    appendFileSync(this.pidFile, `${child.pid} ${name}\n`, { mode: 0o600 });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))),
    );
    const p: Proc = { name, pid: child.pid, child, logFile, exited };
    this.procs.push(p);
    return p;
  }

  /** Last lines of a child's log, for error messages. */
  tail(p: Proc, lines = 15): string {
    try {
      return readFileSync(p.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  alive(p: Proc): boolean {
    return p.child.exitCode === null && p.child.signalCode === null;
  }

  /** Stops children in reverse start order; resolves when all are gone. */
  async stopAll(graceMs = 5000): Promise<void> {
    const list = [...this.procs].reverse();
    this.procs.length = 0;
    await Promise.all(
      list.map(async (p) => {
        if (!this.alive(p)) return;
        p.child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (this.alive(p)) p.child.kill('SIGKILL');
        }, graceMs);
        await p.exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** Ends, by PID, the processes listed in a pid file that are still ours (their cmdline matches). */
export function killFromPidFile(pidFile: string): number {
  if (!existsSync(pidFile)) return 0;
  let n = 0;
  for (const line of readFileSync(pidFile, 'utf8').split('\n')) {
    const [pidText, name] = line.trim().split(/\s+/);
    const pid = Number(pidText);
    if (!pid || !name) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // Only signal what is plausibly the process we started (PIDs are reused).
      if (!/kube|node|sandbox/.test(cmdline)) continue;
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
