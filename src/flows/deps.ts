/**
 * What every flow gets injected (deps), with the real defaults: the run's
 * signal, the journal, the files it reads and writes, and the clock. Each
 * flow adds its own transport (an undici dispatcher) and Kubernetes client
 * factory (flows/kube.ts holds the real ones). Tests pass in-memory stand-ins.
 */
import { fchmodSync, fstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import { type HelperError, InputError } from '../errors.ts';
import { Journal } from '../journal.ts';
import { log } from '../log.ts';
import { assertWritable, writeFileAtomic } from '../write/files.ts';

/** The local files a flow reads and writes. */
export interface Files {
  /** The bytes of a file, or of stdin for '-'. Throws the fs error (with its code). */
  read(path: string): Buffer;
  isDirectory(path: string): boolean;
  /** The permission bits of a file (undefined when unknown), to warn about a credential file others may read. */
  mode?(path: string): number | undefined;
  /** The names in a directory. */
  list(dir: string): string[];
  /** InputError (naming the flag) unless the file can be written. */
  assertWritable(path: string, flag: string): void;
  /** Atomic write (temp file + rename), mode 0600 unless given. */
  write(path: string, text: string, mode?: number): void;
  /** mkdir -p with mode 0700. */
  mkdir(path: string): void;
  /**
   * When stdout is a regular file (`> all.yaml`), make it 0600 before anything is written to it, and say so;
   * when it is a terminal, InputError (exit 3): credentials are not shown on a screen (issue 24 #11).
   */
  secureStdout(what: string): void;
}

export interface FlowDeps {
  signal: AbortSignal;
  journal: Journal;
  files: Files;
  /** Epoch ms. */
  clock: () => number;
}

export const realFiles: Files = {
  read: (path) => readFileSync(path === '-' ? 0 : path),
  isDirectory: (path) => {
    try {
      return path !== '-' && statSync(path).isDirectory();
    } catch {
      return false;
    }
  },
  mode: (path) => {
    try {
      return statSync(path).mode & 0o777;
    } catch {
      return undefined;
    }
  },
  list: (dir) => readdirSync(dir),
  assertWritable: (path, flag) => assertWritable(path, flag),
  write: (path, text, mode) => writeFileAtomic(path, text, mode),
  mkdir: (path) => {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  },
  secureStdout: (what) => tightenStdoutFile(what),
};

/** The real defaults, overridden by what is given. */
export function flowDeps(given: Partial<FlowDeps> = {}): FlowDeps {
  return {
    signal: given.signal ?? new AbortController().signal,
    journal: given.journal ?? new Journal(),
    files: given.files ?? realFiles,
    clock: given.clock ?? Date.now,
  };
}

/**
 * `helper ... > all.yaml` leaves a file the shell created with the umask
 * (often 0644) holding credentials. When stdout is a regular file, make it
 * 0600 before anything is written to it, and say so on stderr.
 */
function tightenStdoutFile(what: string, fd = 1): void {
  // Like curl's refusal to print binary output on a terminal, but for credentials: a scrollback, a screen share or
  // a recorded session keeps them. Redirecting (> FILE, | cat) is the deliberate way to see them.
  if (isatty(fd))
    throw new InputError(
      'HELPER_STDOUT_TERMINAL',
      `stdout is a terminal and would show ${what}: write it with --output-file FILE (mode 0600) ` +
        'or redirect stdout (> FILE, | kubectl apply -f -); nothing was done',
    );
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(fd);
  } catch {
    return;
  }
  if (!st.isFile()) return;
  let path = 'stdout';
  try {
    path = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    /* not Linux: the message says "stdout" */
  }
  if ((st.mode & 0o077) === 0) return;
  try {
    fchmodSync(fd, 0o600);
    log.warn(
      `stdout is the file ${path}, which holds ${what}: changed its mode from ` +
        `${(st.mode & 0o777).toString(8).padStart(4, '0')} to 0600; --output-file writes it 0600 from the start`,
    );
  } catch (err) {
    log.warn(
      `stdout is the file ${path}, which holds ${what}, and its mode ` +
        `${(st.mode & 0o777).toString(8).padStart(4, '0')} lets others read it; cannot change it (` +
        `${(err as NodeJS.ErrnoException).code ?? err}); use --output-file`,
    );
  }
}

/** What a flow hands back to its command: the artifact for stdout, and the error to end with after printing it (a
 * report that fails its gate). */
export interface FlowOutcome {
  stdout?: string | undefined;
  /** Lines for stderr after the artifact (what to do next: `hint: ...`), before the error. */
  notes?: string[] | undefined;
  error?: HelperError | undefined;
}
