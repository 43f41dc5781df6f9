/**
 * Counts the work a synchronous function does, without a clock: while it
 * runs, the scanning and copying built-ins (Array, String and Object methods,
 * and RegExp exec, through which test/match/replace/split go) add the number
 * of elements or characters they touch. The count does not depend on the
 * machine's speed or load, so a test can assert on it: a de-duplication by
 * Array#includes, an error list grown by Array#concat or a line looked up by
 * scanning the text from the start shows up as work growing with the square
 * of the input, where the fixed code's grows with the input.
 *
 * Hand-written loops that call none of these are not counted; the figure is a
 * lower bound of the real work, good for comparing the same code at two sizes
 * (linearity below), not for comparing two implementations.
 */
import type { Test } from 'tap';

type Fn = (...args: any[]) => any;
interface Patch {
  target: any;
  name: string;
  weigh: (self: any, args: any[], result: any, from?: number) => number;
}

const len = (v: unknown): number => (typeof v === 'string' || Array.isArray(v) ? v.length : 0);

/** What each method costs: the elements or characters it reads or writes. */
const patches: Patch[] = [
  ...[
    'includes',
    'indexOf',
    'lastIndexOf',
    'some',
    'every',
    'find',
    'findIndex',
    'findLast',
    'findLastIndex',
    'filter',
    'map',
    'forEach',
    'reduce',
    'reduceRight',
    'join',
    'sort',
    'reverse',
    'fill',
    'flat',
    'flatMap',
    'toSorted',
    'toReversed',
  ].map((name) => ({ target: Array.prototype, name, weigh: (self: any) => len(self) })),
  ...['slice', 'concat', 'toSpliced', 'with'].map((name) => ({
    target: Array.prototype,
    name,
    weigh: (_s: any, _a: any[], r: any) => len(r),
  })),
  { target: Array.prototype, name: 'splice', weigh: (self: any) => len(self) },
  ...['push', 'unshift'].map((name) => ({ target: Array.prototype, name, weigh: (_s: any, a: any[]) => a.length })),
  // indexOf/includes scan from their start position to the match (or the end).
  ...['indexOf', 'includes'].map((name) => ({
    target: String.prototype,
    name,
    weigh: (self: any, a: any[]) => {
      const text = String(self);
      const needle = String(a[0]);
      const from = Math.max(0, Math.min(text.length, Number(a[1]) || 0));
      const at = text.indexOf(needle, from);
      return Math.max(1, at < 0 ? text.length - from : at - from + needle.length);
    },
  })),
  {
    target: String.prototype,
    name: 'lastIndexOf',
    weigh: (self: any, a: any[], r: number) => {
      const text = String(self);
      const from =
        a.length > 1 && !Number.isNaN(Number(a[1])) ? Math.max(0, Math.min(text.length, Number(a[1]))) : text.length;
      return Math.max(1, r < 0 ? from : from - r + String(a[0]).length);
    },
  },
  ...[
    'split',
    'repeat',
    'padStart',
    'padEnd',
    'trim',
    'trimStart',
    'trimEnd',
    'toLowerCase',
    'toUpperCase',
    'normalize',
    'concat',
    'replace',
    'replaceAll',
  ].map((name) => ({
    target: String.prototype,
    name,
    weigh: (self: any, _a: any[], r: any) => Math.max(len(String(self)), len(r)),
  })),
  // V8 slices long strings without copying them.
  ...['slice', 'substring', 'substr'].map((name) => ({ target: String.prototype, name, weigh: () => 1 })),
  ...['add', 'has', 'delete'].map((name) => ({ target: Set.prototype, name, weigh: () => 1 })),
  ...['get', 'set', 'has', 'delete'].map((name) => ({ target: Map.prototype, name, weigh: () => 1 })),
  { target: JSON, name: 'parse', weigh: (_s: any, a: any[]) => len(String(a[0])) },
  { target: JSON, name: 'stringify', weigh: (_s: any, _a: any[], r: any) => len(r) },
  ...['keys', 'values', 'entries', 'assign', 'fromEntries'].map((name) => ({
    target: Object,
    name,
    weigh: (_s: any, _a: any[], r: any) => (Array.isArray(r) ? r.length : 1),
  })),
  {
    target: RegExp.prototype,
    name: 'exec',
    // The characters tried: from where the search started to the end of the match (or of the text);
    // a sticky expression tries one position (String#split runs one at each position).
    weigh: (self: RegExp, args: any[], r: RegExpExecArray | null, from = 0) => {
      if (self.sticky) return Math.max(1, r ? r[0].length : 1);
      const end = r ? r.index + r[0].length : String(args[0]).length;
      return Math.max(1, end - (self.global ? from : 0));
    },
  },
];

let active = false;

export interface Measured<T> {
  /** Elements and characters the counted built-ins touched. */
  work: number;
  /** The longest string a regular expression was run on. */
  longestRegexInput: number;
  result: { ok: true; value: T } | { ok: false; error: unknown };
}

/** Runs `f` once, counting its work (see above). Not reentrant. */
export function measure<T>(f: () => T): Measured<T> {
  if (active) throw new Error('measure() is not reentrant');
  let work = 0;
  let longestRegexInput = 0;
  const saved: Array<[any, string, Fn]> = [];
  let counting = true;
  for (const p of patches) {
    const orig = p.target[p.name] as Fn | undefined;
    if (typeof orig !== 'function') continue;
    saved.push([p.target, p.name, orig]);
    const isExec = p.target === RegExp.prototype;
    const wrapped = function (this: any, ...args: any[]) {
      if (!counting) return orig.apply(this, args);
      counting = false;
      let from = 0;
      if (isExec) {
        from = (this as RegExp).lastIndex;
        longestRegexInput = Math.max(longestRegexInput, String(args[0]).length);
      }
      counting = true;
      const r = orig.apply(this, args);
      counting = false;
      work += p.weigh(this, args, r, from);
      counting = true;
      return r;
    };
    Object.defineProperty(p.target, p.name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
  active = true;
  try {
    try {
      const value = f();
      return { work, longestRegexInput, result: { ok: true, value } };
    } catch (error) {
      return { work, longestRegexInput, result: { ok: false, error } };
    }
  } finally {
    for (const [target, name, orig] of saved)
      Object.defineProperty(target, name, { value: orig, writable: true, configurable: true, enumerable: false });
    active = false;
  }
}

/**
 * Asserts that the work of `run(input(n))` grows at most `maxRatio` times
 * (default 2.5) when n doubles: linear, where a quadratic algorithm grows 4
 * times. The work at n must be real (at least n), so a run that skipped the
 * input cannot pass. A first run at n/10 is not measured (one-time setup such
 * as compiling a regular expression would count for the small size only).
 * Returns both measurements for assertions on their results.
 */
export function assertLinear<I, T>(
  t: Test,
  what: string,
  n: number,
  input: (n: number) => I,
  run: (input: I) => T,
  maxRatio = 2.5,
): [Measured<T>, Measured<T>] {
  measure(() => run(input(Math.max(1, Math.round(n / 10)))));
  const a = input(n);
  const b = input(2 * n);
  const small = measure(() => run(a));
  const large = measure(() => run(b));
  const ratio = large.work / small.work;
  t.ok(small.work >= n, `${what}: work at n=${n} is ${small.work}, at least n`);
  t.ok(
    ratio <= maxRatio,
    `${what}: work grows ${ratio.toFixed(2)}× from n=${n} (${small.work}) to n=${2 * n} (${large.work}), at ` +
      `most ${maxRatio}× (linear)`,
  );
  return [small, large];
}

/**
 * The work an input of `size` characters may take: linear in its size, plus
 * room for what every call does once (e.g. formatting 25 problems). A
 * quadratic step on a large input exceeds it many times over; a small input
 * cannot exceed it by being slow on a slow machine.
 */
export function workBudget(size: number, perChar = 64, fixed = 200_000): number {
  return perChar * size + fixed;
}

/** The fuzz loops' check: each case's work within the budget for its size, and which case came closest. */
export class WorkTally {
  private heaviest = { share: 0, what: 'none' };

  /** Records one case; adds a failure line to `failures` when its work is over the budget for `size` characters. */
  check(work: number, size: number, what: string, failures: string[]): void {
    const budget = workBudget(size);
    if (work / budget > this.heaviest.share) this.heaviest = { share: work / budget, what };
    if (work > budget) failures.push(`work ${work} over the linear budget ${budget} for ${size} characters: ${what}`);
  }

  summary(): string {
    return `heaviest case: ${(this.heaviest.share * 100).toFixed(1)}% of its work budget: ${this.heaviest.what}`;
  }
}

/** Asserts that `work` is within the linear budget for an input of `size` characters. */
export function assertWithinBudget(t: Test, what: string, work: number, size: number): void {
  t.ok(
    work <= workBudget(size),
    `${what}: work ${work}, within the linear budget ${workBudget(size)} for ${size} characters`,
  );
}
