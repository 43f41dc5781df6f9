/**
 * Command-line conventions every command shares, applied by one middleware in
 * cli.ts before yargs validates anything:
 *
 * - unknown commands and flags are reported first (before "missing required
 *   argument"), each with a did-you-mean, as a usage error (exit 2);
 * - flags a pipeline sets once have an environment variable under one prefix,
 *   HELPER_ (flags win over the environment, the environment over defaults).
 */
import type { Argv } from 'yargs';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';
import { log } from '../log.ts';

/** Flag → environment variable. Only flags a pipeline sets once; never --insecure-skip-tls-verify (a forgotten variable
 * must not turn TLS off). */
export const ENV_FLAGS = {
  url: 'HELPER_BIND_URL',
  'ca-file': 'HELPER_CA_FILE',
  'konnector-image': 'HELPER_KONNECTOR_IMAGE',
  'client-secret-file': 'HELPER_CLIENT_SECRET_FILE',
  'request-timeout': 'HELPER_REQUEST_TIMEOUT',
  retries: 'HELPER_RETRIES',
  'log-format': 'HELPER_LOG_FORMAT',
} as const satisfies Record<string, `HELPER_${string}`>;

/** Every environment variable helper reads (for the README, the sandbox and tests). */
export const ENV_VARIABLES: readonly string[] = [
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_TOKEN_URL',
  'OIDC_SCOPE',
  ...Object.values(ENV_FLAGS),
  'KUBECONFIG',
  'HOME',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
];

/** The part of yargs' getOptions() this module reads. */
export interface Options {
  key?: Record<string, unknown>;
  alias?: Record<string, string[]>;
  boolean?: string[];
  choices?: Record<string, unknown[]>;
  normalize?: string[];
  array?: string[];
  count?: string[];
  hiddenOptions?: string[];
}

/** What the middleware sees of the command line being parsed. */
export interface ParseState {
  argv: Record<string, unknown>;
  /** The raw arguments (after cli.ts's rewriting of `-f -`). */
  args: string[];
  /** The command path matched so far, e.g. ['control-plane', 'apply']. */
  commands: string[];
  /** Subcommands of the matched command (or the root's commands). */
  subcommands: string[];
  options: Options;
  /** Keys yargs filled from a default. */
  defaulted: Record<string, boolean>;
}

/** The state of the parse inside a yargs middleware. */
export function parseState(argv: Record<string, unknown>, y: Argv, args: string[]): ParseState {
  const im = (
    y as unknown as {
      getInternalMethods(): { getContext(): { commands: string[] }; getCommandInstance(): { getCommands(): string[] } };
    }
  ).getInternalMethods();
  const parsed = (y as unknown as { parsed?: { defaulted?: Record<string, boolean> } | false }).parsed;
  return {
    argv,
    args,
    commands: [...im.getContext().commands],
    subcommands: im
      .getCommandInstance()
      .getCommands()
      .filter((c) => !c.startsWith('$0') && !c.startsWith('__')),
    options: (y as unknown as { getOptions(): Options }).getOptions(),
    defaulted: (parsed ? parsed.defaulted : undefined) || {},
  };
}

/**
 * yargs renders the whole help text right after starting a command's handler,
 * so that the handler could still show it (about 11 ms a run, on the way to
 * the first request). helper's handlers never show help: turned off.
 */
export function skipHelpCache(y: Argv): void {
  const usage = (y as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
    .getInternalMethods()
    .getUsageInstance();
  usage.cacheHelpMessage = () => {};
}

/** The heading of the flags every command takes (cli.ts groups them under it). */
export const GLOBAL_GROUP = 'Global options:';

/** What yargs appends to an option's description: its type, then [required], [choices: ...], [default: ...]. */
const EXTRAS =
  /^(.*\S)(\[(?:boolean\]|count\]|string\]|array\]|number\]|required\]|deprecated|choices: |default: ).*)$/;

/**
 * The help text as a new user reads it best (issue 24 #13): the command's own options before the global ones
 * (yargs prints groups in the order they were made, and the global group is made first), and an option's
 * [type] never glued onto the last word of its description (cliui renders it inline when the words fill the
 * line exactly): then it goes on a line of its own, right-aligned as yargs aligns it.
 */
export function tidyHelp(text: string): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const m = EXTRAS.exec(line);
    if (m) lines.push(m[1]!, ' '.repeat(Math.max(0, line.length - m[2]!.length)) + m[2]!);
    else lines.push(line);
  }
  const block = (heading: string) => {
    const start = lines.indexOf(heading);
    if (start < 0) return undefined;
    const blank = lines.indexOf('', start);
    return { start, end: blank < 0 ? lines.length : blank };
  };
  const global = block(GLOBAL_GROUP);
  const own = block('Options:');
  if (global && own && own.start === global.end + 1) {
    const g = lines.slice(global.start, global.end);
    const o = lines.slice(own.start, own.end);
    lines.splice(global.start, own.end - global.start, ...o, '', ...g);
  }
  return lines.join('\n');
}

/** Known long flag names and one-letter aliases of the command being parsed. */
export function knownFlags(options: Options): { long: Set<string>; short: Set<string>; booleans: Set<string> } {
  const long = new Set<string>();
  const short = new Set<string>();
  const add = (k: string) => (k.length === 1 ? short : long).add(k);
  for (const k of options.key ? Object.keys(options.key) : []) add(k);
  for (const [k, as] of Object.entries(options.alias ?? {})) {
    add(k);
    for (const a of as) add(a);
  }
  const booleans = new Set<string>([...(options.boolean ?? [])]);
  return { long, short, booleans };
}

/** The flags of the raw arguments that the command does not know, as typed (`--urll`, `-x`). */
export function unknownFlags(args: string[], options: Options): string[] {
  const { long, short, booleans } = knownFlags(options);
  const out: string[] = [];
  for (const a of args) {
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) continue;
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0]!;
      const known =
        long.has(name) ||
        short.has(name) ||
        (name.startsWith('no-') && (booleans.has(name.slice(3)) || long.has(name.slice(3))));
      if (!known) out.push(`--${name}`);
    } else {
      const letters = a.slice(1).split('=')[0]!;
      // -vv counts; -f=x and -fvalue are one flag with a value.
      if (!short.has(letters[0]!)) out.push(`-${letters[0]}`);
      else if (/^v+$/.test(letters)) continue;
    }
  }
  return [...new Set(out)];
}

/**
 * The closest candidate within a small edit distance, a candidate the word is a prefix of (postgres →
 * postgresql), or one that is a prefix of the word (--namespace → --name).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  // One letter is too little to guess from (-x is not a typo of -q).
  if (word.replace(/^-+/, '').length < 2) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d =
      c.startsWith(word) && word.length >= 3
        ? 0.5
        : word.startsWith(c) && c.replace(/^-+/, '').length >= 4
          ? 0.75
          : editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(3, Math.floor(word.length / 3))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      // A swap of two neighbours counts once (boostrap, urll).
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/**
 * Throws a UsageError listing every unknown command and flag of the command
 * line, each with a did-you-mean; nothing when all are known.
 */
export function checkUnknown(s: ParseState): void {
  const problems: string[] = [];
  const extra = (s.argv._ as unknown[]).slice(s.commands.length).map(String);
  if (extra.length) {
    const where = s.commands.length ? `helper ${s.commands.join(' ')}` : 'helper';
    const w = extra[0]!;
    if (s.subcommands.length) {
      const guess = didYouMean(w, s.subcommands);
      problems.push(
        `unknown command ${JSON.stringify(s.commands.length ? `${s.commands.join(' ')} ${w}` : w)}` +
          `${guess ? ` (did you mean ${guess}?)` : ''}; ${where} has: ${s.subcommands.join(', ')}`,
      );
    } else {
      problems.push(
        `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((e) => JSON.stringify(e)).join(' ')}: ` +
          `${where} takes only flags`,
      );
    }
  }
  // The flags of an unknown command are not known here: the command is the problem.
  if (extra.length && s.subcommands.length) throw new UsageError(problems[0]!);
  const { long, short } = knownFlags(s.options);
  const candidates = [
    ...[...long].filter((k) => !/[A-Z]/.test(k)).map((k) => `--${k}`),
    ...[...short].map((k) => `-${k}`),
  ];
  for (const f of unknownFlags(s.args, s.options)) {
    const guess = didYouMean(f, candidates);
    problems.push(`unknown flag ${f}${guess ? ` (did you mean ${guess}?)` : ''}`);
  }
  if (problems.length === 1) throw new UsageError(problems[0]!);
  if (problems.length)
    throw new UsageError(
      `the command line has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
}

/**
 * Fills flags the command line does not give from their HELPER_ variable
 * (a flag given, even with its default value, wins); checks each value taken
 * from the environment and names the variable when it is wrong.
 */
export function applyEnvFlags(s: ParseState, env: NodeJS.ProcessEnv): void {
  const keys = s.options.key ?? {};
  for (const [flag, name] of Object.entries(ENV_FLAGS)) {
    if (!(flag in keys)) continue;
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    if (s.argv[flag] !== undefined && !s.defaulted[flag]) {
      log.debug(`--${flag} given on the command line; ${name} is ignored`);
      continue;
    }
    const value = envValue(flag, name, raw.trim(), s.options);
    for (const k of [flag, camel(flag), ...(s.options.alias?.[flag] ?? [])]) s.argv[k] = value;
    log.debug(`--${flag} from ${name}`);
  }
}

function envValue(flag: string, name: string, raw: string, options: Options): unknown {
  if (flag === 'retries') {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n > 20)
      throw new UsageError(`${name}=${JSON.stringify(raw)}: must be a whole number from 0 to 20 (it sets --retries)`);
    return n;
  }
  if (flag === 'request-timeout') {
    parseDuration(name, raw);
    return raw;
  }
  const choices = options.choices?.[flag] as unknown[] | undefined;
  if (choices && !choices.includes(raw))
    throw new UsageError(`${name}=${JSON.stringify(raw)}: choose from ${choices.join(', ')} (it sets --${flag})`);
  return raw;
}

function camel(k: string): string {
  return k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
