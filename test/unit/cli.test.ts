/**
 * The one exit path for what escaped every await: an unhandled rejection or
 * an uncaught exception ends the run with exit 1 as an internal error, on
 * stderr, never on stdout.
 */
import { EventEmitter } from 'node:events';
import t from 'tap';
import { installFatalHandlers } from '../../src/cli.ts';

for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
  t.test(`${event}: exit 1, an internal error naming what happened`, async (t) => {
    const proc = new EventEmitter();
    const codes: number[] = [];
    let stderr = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
    try {
      installFatalHandlers(proc as unknown as NodeJS.Process, (c) => codes.push(c));
      proc.emit(event, new Error('socket hang up in a stray callback'));
    } finally {
      process.stderr.write = write;
    }
    t.same(codes, [1], 'exit 1');
    t.match(stderr, new RegExp(`error: unexpected error: ${event === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'}: socket hang up in a stray callback \\(this is a bug in helper`));
  });
}
