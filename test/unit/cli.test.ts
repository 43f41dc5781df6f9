/**
 * The one exit path for what escaped every await: an unhandled rejection or
 * an uncaught exception ends the run with exit 1 as an internal error, on
 * stderr, never on stdout.
 */
import { EventEmitter } from 'node:events';
import t from 'tap';
import { installFatalHandlers, main } from '../../src/cli.ts';
import { Journal } from '../../src/journal.ts';
import { captureStderr } from '../helpers/stderr.ts';

for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
  t.test(`${event}: exit 1, an internal error naming what happened`, async (t) => {
    const proc = new EventEmitter();
    const codes: number[] = [];
    let stderr = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      installFatalHandlers(proc as unknown as NodeJS.Process, (c) => codes.push(c));
      proc.emit(event, new Error('socket hang up in a stray callback'));
    } finally {
      process.stderr.write = write;
    }
    t.same(codes, [1], 'exit 1');
    t.match(
      stderr,
      new RegExp(
        `error: unexpected error: ` +
          `${event === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'}: socket hang up in ` +
          `a stray callback \\(this is a bug in helper`,
      ),
    );
  });
}

const bound = () => {
  const j = new Journal();
  j.recordBound({ clusterID: 'c1', clusterNamespace: 'cluster-a', host: 'backend:443' });
  j.recordExportRequest('cluster-a/pg.anynines.com');
  j.startApply('cluster 127.0.0.1:6443', 3)('Namespace klutch-bind');
  return j;
};

t.test("the exit path prints the run's journal after the error, whatever the error", async (t) => {
  const journal = bound();
  let code = -1;
  const stderr = await captureStderr(async () => {
    code = await main(['create-ns', '-n', 'x', '--retries', '99'], {
      env: {},
      signal: new AbortController().signal,
      stdout: () => {},
      journal,
    });
  });
  t.equal(code, 2);
  t.match(stderr, /^error: --retries must be a whole number from 0 to 20\n\(run with --help for usage\)\n/);
  t.match(
    stderr,
    /already done on the control plane: bound "c1" → namespace cluster-a \(backend backend:443\); APIServiceExportRequest\(s\) cluster-a\/pg\.anynines\.com; re-running the same command is safe and finishes the binding\n/,
  );
  t.match(
    stderr,
    /already applied to cluster 127\.0\.0\.1:6443: 1 of 3 object\(s\) \(Namespace klutch-bind\); the other 2 were not; re-running the same command is safe and applies the rest\n$/,
  );
});

t.test('a run that succeeds prints nothing of its journal', async (t) => {
  let out = '';
  const stderr = await captureStderr(async () => {
    t.equal(
      await main(['control-plane', 'init', '--data-services', 'search'], {
        env: {},
        signal: new AbortController().signal,
        stdout: (s) => {
          out += s;
        },
        journal: bound(),
      }),
      0,
    );
  });
  t.match(out, /search:/);
  t.equal(stderr, '');
});

t.test("an unhandled rejection during a run prints that run's journal too", async (t) => {
  const journal = bound();
  await main(['completion', 'bash'], { env: {}, signal: new AbortController().signal, stdout: () => {}, journal });
  const proc = new EventEmitter();
  const codes: number[] = [];
  const stderr = await captureStderr(() => {
    installFatalHandlers(proc as unknown as NodeJS.Process, (c) => codes.push(c));
    proc.emit('unhandledRejection', new Error('late socket error'));
  });
  t.same(codes, [1]);
  t.match(stderr, /error: unexpected error: unhandled rejection: late socket error/);
  t.match(stderr, /already done on the control plane: bound "c1"/);
});
