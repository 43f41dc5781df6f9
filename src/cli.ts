/**
 * The yargs root: global flags, the commands, and the one place that turns
 * an outcome into an exit code and a stderr message (see errors.ts for the
 * table), printing the run's journal (what already changed outside this
 * machine) whatever ended it. Nothing else sets process.exitCode or writes to stdout.
 */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { readAsset } from './assets.ts';
import { applyCommand } from './commands/apply.ts';
import { bootstrapEnvCommand } from './commands/bootstrap-env.ts';
import { controlPlaneCommand } from './commands/control-plane.ts';
import { createNsCommand } from './commands/create-ns.ts';
import { statusCommand } from './commands/status.ts';
import { unbindCommand } from './commands/unbind.ts';
import { completionCommand } from './commands/completion.ts';
import { FILES, candidates } from './flows/completion.ts';
import {
  applyEnvFlags,
  checkUnknown,
  GLOBAL_GROUP,
  parseState,
  skipHelpCache,
  tidyHelp,
  type ParseState,
} from './options/argv.ts';
import { traceHttp } from './http-trace.ts';
import { ExitCode, HelperError, InterruptedError, PartialError, UsageError } from './errors.ts';
import { Journal } from './journal.ts';
import { forTerminal, log, type Level } from './log.ts';
import type { RunContext } from './run-context.ts';
import { cleanupTempFiles } from './write/files.ts';

export const version: string = (JSON.parse(readAsset('package.json')) as { version: string }).version;

export interface MainIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  signal: AbortSignal;
  /** The run's journal (default: a new one); a test passes its own to read what the run recorded. */
  journal?: Journal;
}

/** The commands, in help order. A command added here gets the unknown-flag check, the HELPER_ environment and
 * completion without more code. */
export function commandModules(ctx: RunContext): CommandModule[] {
  return [
    bootstrapEnvCommand(ctx),
    createNsCommand(ctx),
    applyCommand(ctx),
    controlPlaneCommand(ctx),
    statusCommand(ctx),
    unbindCommand(ctx),
    completionCommand(ctx),
  ];
}

/** Thrown by the middleware when the command line is parsed only to complete it. */
class Captured {
  readonly state: ParseState;
  constructor(state: ParseState) {
    this.state = state;
  }
}

interface ParserOptions {
  /** Parse only to learn the state (completion): nothing is checked or run. */
  capture?: boolean;
}

/**
 * yargs prints help and --version through its logger (console.log); this sends that text through tidyHelp to
 * the run's stdout instead. yargs' own bookkeeping (it runs no handler once help was printed) is kept.
 */
function helpThroughStdout(y: Argv, stdout: (text: string) => void): void {
  const logger = (y as unknown as { getInternalMethods(): { getLoggerInstance(): { log(...a: unknown[]): void } } })
    .getInternalMethods()
    .getLoggerInstance();
  const original = logger.log.bind(logger);
  logger.log = (...a: unknown[]) => {
    const consoleLog = console.log;
    console.log = () => {};
    try {
      original(...a);
    } finally {
      console.log = consoleLog;
    }
    stdout(`${tidyHelp(a.join(' '))}\n`);
  };
}

function buildParser(args: string[], ctx: RunContext, env: NodeJS.ProcessEnv, opts: ParserOptions = {}): Argv {
  const modules = commandModules(ctx);
  const names = modules.map((m) => String(m.command).split(' ')[0]!).filter((n) => n !== 'completion');
  let checked = false;
  let y = yargs(args)
    .scriptName('helper')
    .usage(
      '$0 <command> [options]\n\nBinds Kubernetes App Clusters to a Klutch Control Plane Cluster without a browser.',
    )
    .option('verbose', {
      alias: 'v',
      type: 'count',
      describe: 'more diagnostics on stderr: -v steps, files and contexts; -vv also every HTTP request',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'only errors on stderr' })
    .option('log-format', {
      choices: ['text', 'json'] as const,
      default: 'text' as const,
      describe: 'stderr format (env HELPER_LOG_FORMAT)',
    })
    .group(['verbose', 'quiet', 'log-format', 'help', 'version'], GLOBAL_GROUP)
    // yargs passes the parser of the matched command as the second argument (its typings omit it).
    // yargs calls global middleware again on the way out of a nested command
    // (control-plane init), after the handler; only the innermost call counts.
    .middleware(
      ((a: Record<string, unknown>, yy: Argv) => {
        if (checked) return;
        checked = true;
        const s = parseState(a, yy, args);
        if (opts.capture) throw new Captured(s);
        const v = Number(a.verbose ?? 0);
        log.level = (a.quiet ? 'error' : v >= 2 ? 'trace' : v >= 1 ? 'debug' : 'info') satisfies Level;
        checkUnknown(s);
        applyEnvFlags(s, env);
        log.format = a['log-format'] === 'json' ? 'json' : 'text';
        if (log.enabled('trace')) traceHttp((line) => log.trace(line));
      }) as never,
      true,
    );
  for (const m of modules) y = y.command(m);
  skipHelpCache(y);
  helpThroughStdout(y, ctx.stdout);
  return y
    .demandCommand(1, `name a command: ${names.join(', ')} (see --help)`)
    .strict()
    .help()
    .alias('help', 'h')
    .version(version)
    .wrap(Math.min(110, process.stderr.columns || 100))
    .exitProcess(false)
    .fail((msg, err, yy) => {
      // yargs reports its own validation failures as YError; anything else is ours.
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(missingWhy(msg, yy) ?? msg ?? err?.message ?? 'invalid command line');
    });
}

/**
 * yargs' "Missing required argument: kubeconfig" as `missing required flag --kubeconfig: <its help text>`,
 * so the message says what the flag is for and why it has to be named (issue 24 #13).
 */
function missingWhy(msg: string | undefined, usage: unknown): string | undefined {
  const m = /^Missing required arguments?: ([^\n]+)$/.exec(msg ?? '');
  if (!m) return undefined;
  // yargs passes its usage instance as the third argument of fail() (its typings say a yargs instance).
  const described = (usage as { getDescriptions?: () => Record<string, string | undefined> }).getDescriptions?.() ?? {};
  const flags = m[1]!.split(', ').map((k) => `--${k}${described[k] ? `: ${described[k]}` : ''}`);
  return flags.length === 1 ? `missing required flag ${flags[0]}` : `missing required flags:\n  ${flags.join('\n  ')}`;
}

/** Runs one command line; resolves to the exit code. */
export async function main(args: string[], io: MainIo): Promise<number> {
  const ctx: RunContext = { env: io.env, signal: io.signal, stdout: io.stdout, journal: io.journal ?? new Journal() };
  current = ctx;
  if (args[0] === '__complete') return complete(args.slice(1), ctx, io.env);
  // Scripts printed by earlier versions (yargs' own completion) call this; they fall back to file names themselves.
  if (args[0] === '--get-yargs-completions') return complete(args.slice(2), ctx, io.env, { legacy: true });
  const parser = buildParser(withStdinFiles(args), ctx, io.env);

  // yargs prints help/version itself (to stdout, as users expect of --help).
  try {
    await parser.parseAsync();
    return io.signal.aborted ? exitCodeOf(io.signal.reason) : ExitCode.ok;
  } catch (err) {
    const e = io.signal.aborted ? io.signal.reason : err;
    report(e, ctx);
    return exitCodeOf(e);
  }
}

/** `helper __complete WORD...` (called by the completion scripts): candidates for the last word, one per line. */
async function complete(
  words: string[],
  ctx: RunContext,
  env: NodeJS.ProcessEnv,
  opts: { legacy?: boolean } = {},
): Promise<number> {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1).filter((w) => !['--help', '-h', '--version'].includes(w));
  try {
    await buildParser(before, ctx, env, { capture: true }).parseAsync();
  } catch (err) {
    if (err instanceof Captured) {
      const out = candidates(err.state, before, cur).filter((c) => !(opts.legacy && c === FILES));
      if (out.length) ctx.stdout(`${out.join('\n')}\n`);
    }
  }
  return ExitCode.ok;
}

/** yargs-parser ends an array option at a lone "-"; `-f -` (stdin) is passed on as `--file=-`. */
export function withStdinFiles(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === '-f' || args[i] === '--file') && args[i + 1] === '-') {
      out.push('--file=-');
      i++;
    } else {
      out.push(args[i]!);
    }
  }
  return out;
}

function exitCodeOf(err: unknown): number {
  return err instanceof HelperError ? err.exitCode : ExitCode.internal;
}

function report(err: unknown, ctx: RunContext): void {
  const he = err instanceof HelperError ? err : undefined;
  const message = he
    ? he.message
    : `unexpected error: ${err instanceof Error ? err.message : String(err)} (this is a bug in helper; please ` +
      `report it with -v output)`;
  const fields: Record<string, unknown> = { code: he?.code ?? 'HELPER_INTERNAL', exitCode: exitCodeOf(err) };
  if (he?.hint) fields.hint = he.hint;
  if (log.format === 'json') {
    log.error(message, fields);
  } else {
    process.stderr.write(forTerminal(`error: ${message}\n${he?.hint ? `hint: ${he.hint}\n` : ''}`));
    if (he instanceof UsageError) process.stderr.write('(run with --help for usage)\n');
    if (!he && err instanceof Error && log.enabled('debug')) process.stderr.write(forTerminal(`${err.stack}\n`));
  }
  // Whatever the error, if something already exists because of this run, say so.
  const rerunHelps = he?.rerunHelps;
  for (const w of ctx.journal.warnings({ summarised: he instanceof PartialError, rerunHelps })) log.warn(w);
}

/** The run under way, so a crash outside its promise chain can still say what it had done. */
let current: RunContext | undefined;

/**
 * Ends the process on an unhandled rejection or uncaught exception (a bug:
 * something escaped every await): the error as an internal one, what the run
 * had already changed outside this machine, exit 1. Takes the process as an
 * argument so a test can hand it a stand-in.
 */
export function installFatalHandlers(proc: Pick<NodeJS.Process, 'on'>, exit: (code: number) => void): void {
  const fatal = (kind: string) => (err: unknown) => {
    cleanupTempFiles();
    const e =
      err instanceof HelperError
        ? err
        : new Error(`${kind}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    report(e, current ?? { env: {}, signal: new AbortController().signal, stdout: () => {}, journal: new Journal() });
    exit(ExitCode.internal);
  };
  proc.on('unhandledRejection', fatal('unhandled rejection'));
  proc.on('uncaughtException', fatal('uncaught exception'));
}

/** The code cache's training run (build:binary; src/warm-up.ts), loaded only when called. */
export async function warmUp(): Promise<string> {
  return (await import('./warm-up.ts')).warmUp();
}

/** The process entry: wires signals, stdout and exit code. */
export async function run(): Promise<void> {
  const ac = new AbortController();
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (ac.signal.aborted) {
      // A second signal: stop now.
      cleanupTempFiles();
      process.exit(sig === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
    }
    cleanupTempFiles();
    ac.abort(new InterruptedError(sig));
    // Every wait observes the signal; this is only a backstop.
    setTimeout(() => process.exit(sig === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm), 3000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  installFatalHandlers(process, (code) => process.exit(code));
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const code = await main(process.argv.slice(2), {
    env: process.env,
    signal: ac.signal,
    stdout: (text) => {
      process.stdout.write(text);
    },
  });
  cleanupTempFiles();
  process.exitCode = code;
  // A request abandoned at its timeout (a stalled server) can keep a socket
  // open; once stdout and stderr are drained nothing is left to do, so end now.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
