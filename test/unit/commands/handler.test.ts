/** The one handler shape: options(argv, env) → flow(options, {signal, journal}) → stdout, then the outcome's error. */
import t from 'tap';
import { handler } from '../../../src/commands/handler.ts';
import { PartialError } from '../../../src/errors.ts';
import { Journal } from '../../../src/journal.ts';

t.test(
  "argv and env reach the options, the options and the run's signal and journal reach the flow, stdout is " +
    'printed before the error',
  async (t) => {
    const printed: string[] = [];
    const run = {
      env: { X: '1' },
      signal: new AbortController().signal,
      stdout: (s: string) => {
        printed.push(s);
      },
      journal: new Journal(),
    };
    const seen: unknown[] = [];
    const h = handler(
      run,
      (argv, env) => ({ n: argv.n, x: env.X }),
      async () => async (o, deps) => {
        seen.push(o, deps.signal === run.signal, deps.journal === run.journal);
        return { stdout: 'summary\n', error: new PartialError('1 of 2 failed') };
      },
    );
    await t.rejects(h({ n: 3 }), { exitCode: 9, message: '1 of 2 failed' });
    t.same(seen, [{ n: 3, x: '1' }, true, true]);
    t.same(printed, ['summary\n']);
  },
);

t.test('an options error ends the run before the flow is loaded', async (t) => {
  let loaded = false;
  const run = { env: {}, signal: new AbortController().signal, stdout: () => {}, journal: new Journal() };
  const h = handler(
    run,
    () => {
      throw new Error('bad flag');
    },
    async () => {
      loaded = true;
      return async () => ({});
    },
  );
  await t.rejects(h({}), { message: 'bad flag' });
  t.equal(loaded, false);
});
