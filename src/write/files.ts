/**
 * Local side effects: files are written atomically (temp file in the same
 * directory, fsync, rename) with mode 0600, so a reader never sees half a
 * file and an interrupted run leaves no partial or temp file behind.
 */
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.ts';

/** Temp files of writes in progress, removed by cleanupTempFiles() on a signal. */
const pending = new Set<string>();

/** Writes data to path atomically with the given mode (default 0600). */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  // Unique enough with pid and time; the exclusive 'wx' open refuses any clash.
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  pending.add(tmp);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new InputError('HELPER_WRITE_FILE', `cannot write ${path}: ${code}`, [], { cause: err });
  } finally {
    pending.delete(tmp);
  }
}

/**
 * Checks, before any side effect elsewhere, that `path` can be written
 * later: its directory exists and is writable, and the path is not a
 * directory. InputError names the flag, the path and the problem.
 */
export function assertWritable(path: string, flag: string): void {
  const dir = dirname(path);
  const fail = (why: string) => new InputError('HELPER_WRITE_FILE', `${flag} ${path}: ${why}`);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    throw fail(`directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw fail(`${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw fail(`directory ${dir} is not writable`);
  }
  try {
    if (statSync(path).isDirectory()) throw fail('is a directory');
  } catch (err) {
    if (err instanceof InputError) throw err;
    // Does not exist yet: fine.
  }
}

/** Removes temp files of writes that were cut short (called on SIGINT/SIGTERM). */
export function cleanupTempFiles(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
}
