/** lib/run.ts: a call's scope (its own, or the CLI's process scope) and the plain inputs → the flows' settings. */
import t from 'tap';
import { Journal } from '../../../src/journal.ts';
import { callsOf, depsOf, envOf, inScope } from '../../../src/lib/run.ts';
import { addSecret, currentScope, log } from '../../../src/log.ts';

t.test('a call without a logger has a silent scope of its own; a CLI call runs in the current scope', async (t) => {
  const outer = currentScope();
  const lines: string[] = [];
  await inScope({ logger: (l) => lines.push(l), env: { A: '1' } }, undefined, async () => {
    t.not(currentScope(), outer, 'a scope of its own');
    t.same(currentScope().env, { A: '1' }, "the caller's environment, not process.env");
    addSecret('s3cr3t-value-1234');
    log.info('token s3cr3t-value-1234');
  });
  t.same(lines, ['token [REDACTED]\n']);
  await inScope({}, undefined, async () => t.same(currentScope().env, {}, 'no environment unless given'));
  await inScope({}, { journal: new Journal() }, async () => t.equal(currentScope(), outer, "the CLI's scope"));
});

t.test("the flows' settings: defaults per verb, the environment copied, the journal only for the CLI", async (t) => {
  t.same(callsOf({}, 3), { caFile: undefined, insecure: false, requestTimeoutMs: 30_000, attempts: 4 });
  t.same(callsOf({ retries: 0, requestTimeoutMs: 5, insecure: true, caFile: 'ca' }, 4), {
    caFile: 'ca',
    insecure: true,
    requestTimeoutMs: 5,
    attempts: 1,
  });
  const env = { KUBECONFIG: 'k' };
  t.not(envOf({ env }), env, 'a copy');
  t.same(envOf({ env }), env);
  t.same(envOf({}), {});
  const journal = new Journal();
  t.same(depsOf({}), {});
  t.equal(depsOf({}, { journal }).journal, journal);
});
