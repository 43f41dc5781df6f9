/** The shared command-line rules: unknown flags found in the raw arguments, did-you-mean, and the -o rule. */
import t from 'tap';
import yargs from 'yargs';
import { didYouMean, skipHelpCache, unknownFlags, type Options } from '../../../src/options/argv.ts';
import { resolveOutput } from '../../../src/options/flags.ts';
import { UsageError } from '../../../src/errors.ts';

const options: Options = {
  key: { file: true, f: true, url: true, u: true, wait: true, verbose: true, v: true, 'dry-run': true, retries: true },
  alias: { file: ['f'], url: ['u'], verbose: ['v'] },
  boolean: ['wait'],
};

t.test('unknownFlags: as typed, after the known ones are taken out', async (t) => {
  t.same(unknownFlags(['bootstrap-env', '--urll', 'x', '-f', 'b.json'], options), ['--urll']);
  t.same(
    unknownFlags(['-f=-', '--file=a', '--no-wait', '-vv', '--dry-run', '--retries', '-1'], options),
    [],
    'values, negations, counts and negative numbers are not flags',
  );
  t.same(unknownFlags(['-x', '--q', '--', '--after'], options), ['-x', '--q'], 'nothing after --');
});

t.test('didYouMean: typos, swapped letters and prefixes; nothing far off', async (t) => {
  const commands = ['bootstrap-env', 'create-ns', 'apply', 'control-plane', 'completion'];
  t.equal(didYouMean('bootstrap', commands), 'bootstrap-env');
  t.equal(didYouMean('boostrap-env', commands), 'bootstrap-env');
  t.equal(didYouMean('aply', commands), 'apply');
  t.equal(didYouMean('zzz', commands), undefined);
  t.equal(didYouMean('--urll', ['--url', '--file']), '--url');
  t.equal(didYouMean('--kubeconfg', ['--kubeconfig', '--context']), '--kubeconfig');
  // Issue 24 #13: a longer spelling of a flag (create-ns's -n is --name), a value's prefix.
  t.equal(didYouMean('--namespace', ['--name', '--kubeconfig', '-n']), '--name');
  t.equal(didYouMean('postgres', ['postgresql', 'mariadb']), 'postgresql');
  t.equal(didYouMean('--dry', ['--dry-run', '-v']), '--dry-run');
  t.equal(didYouMean('--vv', ['-v', '--quiet']), undefined, 'a short flag is no prefix guess');
});

t.test('resolveOutput: -o is the format; --output-file the file; deprecated spellings still work', async (t) => {
  t.same(resolveOutput({}, ['yaml'], 'yaml'), { format: 'yaml', file: undefined, deprecations: [] });
  t.same(resolveOutput({ 'output-file': 'all.yaml' }, ['yaml'], 'yaml'), {
    format: 'yaml',
    file: 'all.yaml',
    deprecations: [],
  });
  t.same(resolveOutput({ 'output-file': '-' }, ['yaml'], 'yaml').file, undefined, '- is stdout');
  const old = resolveOutput({ output: 'all.yaml' }, ['yaml'], 'yaml');
  t.equal(old.file, 'all.yaml', '-o FILE still writes the file');
  t.match(old.deprecations[0], /-o FILE is deprecated.*--output-file all\.yaml/);
  t.equal(resolveOutput({ output: '-' }, ['yaml'], 'yaml').file, undefined, '-o - is stdout too');
  const fleet = resolveOutput({ summary: 'json' }, ['text', 'json'], 'text', { flag: '--summary', value: 'json' });
  t.equal(fleet.format, 'json');
  t.match(fleet.deprecations[0], /--summary is deprecated: write -o json/);
  t.throws(
    () => resolveOutput({ output: 'json' }, ['yaml'], 'yaml'),
    UsageError,
    'a format name is never taken for a file',
  );
  t.throws(() => resolveOutput({ output: 'a.yaml', 'output-file': 'b.yaml' }, ['yaml'], 'yaml'), /name the file once/);
  t.throws(
    () => resolveOutput({ output: 'text' }, ['text', 'json'], 'text', { flag: '--summary', value: 'json' }),
    /disagree/,
  );
});

t.test('skipHelpCache: a command runs without yargs rendering its help; --help still shows it', async (t) => {
  const build = (args: string[]) => {
    const y = yargs(args)
      .command(
        'go',
        'go somewhere',
        (b) => b.option('far', { type: 'boolean', describe: 'far away' }),
        () => {},
      )
      .exitProcess(false);
    skipHelpCache(y);
    return y.help().showHelpOnFail(false);
  };
  const y = build(['go']);
  await y.parseAsync();
  const usage = (y as unknown as { getInternalMethods(): { getUsageInstance(): { hasCachedHelpMessage(): boolean } } })
    .getInternalMethods()
    .getUsageInstance();
  t.equal(usage.hasCachedHelpMessage(), false, 'no help text rendered for a run');
  let help = '';
  await build([]).parseAsync(['go', '--help'], {}, (_e: unknown, _a: unknown, output: string) => {
    help = output;
  });
  t.match(help, /--far\s+far away/);
});
