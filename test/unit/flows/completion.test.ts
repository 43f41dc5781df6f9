/**
 * `helper __complete WORDS` (what the completion scripts call) offers what
 * the yargs definitions hold: commands, real long flags (no `--f`, `--q`),
 * the choices of a flag, and files after a path flag.
 */
import t from 'tap';
import { main } from '../../../src/cli.ts';
import { completionScript, FILES } from '../../../src/flows/completion.ts';

async function complete(...words: string[]): Promise<string[]> {
  let out = '';
  const code = await main(['__complete', ...words], {
    env: {},
    signal: new AbortController().signal,
    stdout: (s) => {
      out += s;
    },
  });
  t.equal(code, 0);
  return out.split('\n').filter(Boolean);
}

t.test('commands at the root and under control-plane', async (t) => {
  t.same(await complete(''), [
    'bootstrap-env',
    'create-ns',
    'apply',
    'control-plane',
    'status',
    'unbind',
    'completion',
  ]);
  t.same(await complete('c'), ['create-ns', 'control-plane', 'completion']);
  t.same(await complete('control-plane', ''), ['init', 'render', 'apply', 'check', 'adopt']);
  t.same(await complete('completion', ''), ['bash', 'zsh', 'fish']);
});

t.test('only real flags: long names, no one-letter aliases spelt with two dashes', async (t) => {
  const flags = await complete('bootstrap-env', '--');
  for (const f of [
    '--file',
    '--url',
    '--output',
    '--output-file',
    '--write-kubeconfig',
    '--ca-file',
    '--context',
    '--no-wait'.replace('no-', ''),
  ])
    t.ok(flags.includes(f), `${f} offered`);
  for (const fake of ['--f', '--u', '--o', '--q', '--v', '--h', '--outputFile', '--dryRun'])
    t.notOk(flags.includes(fake), `${fake} not offered`);
  t.same(await complete('apply', '--dry'), ['--dry-run']);
});

t.test('after a path flag: files; after a flag with choices: the choices; after other flags: nothing', async (t) => {
  t.same(await complete('apply', '-f', ''), [FILES]);
  t.same(await complete('apply', '--kubeconfig', ''), [FILES]);
  t.same(await complete('bootstrap-env', '-f', 'b.json', '--ca-file', ''), [FILES]);
  t.same(await complete('control-plane', 'render', '--output-file', ''), [FILES]);
  t.same(await complete('apply', '--dry-run', ''), ['none', 'server']);
  t.same(await complete('create-ns', '-o', ''), ['text', 'json']);
  t.same(await complete('create-ns', '-n', ''), []);
});

t.test('the scripts call __complete and complete files on the marker', async (t) => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const s = completionScript(shell);
    t.match(s, /helper __complete/, shell);
    t.match(s, new RegExp(FILES), `${shell} knows the file marker`);
  }
});

t.test(
  'scripts of earlier versions (yargs --get-yargs-completions) still complete; they fall back to files themselves',
  async (t) => {
    const legacy = async (...words: string[]) => {
      let out = '';
      await main(['--get-yargs-completions', 'helper', ...words], {
        env: {},
        signal: new AbortController().signal,
        stdout: (s) => {
          out += s;
        },
      });
      return out.split('\n').filter(Boolean);
    };
    t.same(await legacy('apply', '--dry'), ['--dry-run']);
    t.same(await legacy('apply', '-f', ''), [], 'no marker: the old script completes files on an empty answer');
    t.same(await legacy('control-plane', ''), ['init', 'render', 'apply', 'check', 'adopt']);
  },
);
