/**
 * What a user sees of the command line itself, before any network call:
 * unknown commands and flags come first (before "missing argument"), with a
 * did-you-mean, exit 2; --help lists the flags the README documents; the
 * completion scripts complete in a real bash.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot, runCli } from '../helpers/run-cli.ts';

t.test('unknown commands: named as unknown, with a did-you-mean, exit 2', async (t) => {
  for (const [args, want] of [
    [
      ['bootstrap'],
      /^error: unknown command "bootstrap" \(did you mean bootstrap-env\?\); helper has: bootstrap-env, create-ns, apply, control-plane, status, unbind, completion\n/,
    ],
    [
      ['boostrap-env', '-f', 'b.json'],
      /^error: unknown command "boostrap-env" \(did you mean bootstrap-env\?\); helper has: [a-z, -]+\n\(run/,
    ],
    [
      ['control-plane', 'aply'],
      /^error: unknown command "control-plane aply" \(did you mean apply\?\); helper control-plane has: init, render, apply, check, adopt\n/,
    ],
    [['apply', 'all.yaml'], /^error: unexpected argument "all\.yaml": helper apply takes only flags\n/],
  ] as const) {
    const r = await runCli([...args]);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, want, args.join(' '));
    t.match(r.stderr, /\(run with --help for usage\)/);
    t.equal(r.stdout, '');
  }
});

t.test('unknown flags come before missing arguments, each with a did-you-mean', async (t) => {
  const r = await runCli(['bootstrap-env', '--urll', 'x', '-f', 'b.json']);
  t.equal(r.code, 2);
  t.equal(
    r.stderr,
    'error: unknown flag --urll (did you mean --url?)\n(run with --help for usage)\n',
    'not "Missing required argument: url"',
  );
  const two = await runCli(['apply', '--kubeconfg', 'k', '--dryrun', '-x']);
  t.equal(two.code, 2);
  t.match(
    two.stderr,
    /^error: the command line has 3 problems:\n {2}- unknown flag --kubeconfg \(did you mean --kubeconfig\?\)\n {2}- unknown flag --dryrun \(did you mean --dry-run\?\)\n {2}- unknown flag -x\n/,
  );
  const nothing = await runCli(['create-ns', '--no-such-thing']);
  t.match(nothing.stderr, /^error: unknown flag --no-such-thing\n/);
  t.equal(nothing.code, 2);
});

t.test(
  'issue 24 #13: did-you-mean for --namespace and a data service; a missing flag says what it is for',
  async (t) => {
    const ns = await runCli(['create-ns', '--namespace', 'team-a']);
    t.equal(ns.code, 2);
    t.match(ns.stderr, /^error: unknown flag --namespace \(did you mean --name\?\)\n/);
    const ds = await runCli(['control-plane', 'init', '--data-services', 'postgres']);
    t.equal(ds.code, 2);
    t.match(ds.stderr, /^error: --data-services: unknown postgres \(did you mean postgresql\?\); choose from /);
    t.equal(ds.stdout, '');
    const unbind = await runCli(['unbind']);
    t.equal(unbind.code, 2);
    t.match(
      unbind.stderr,
      /^error: missing required flag --kubeconfig: provider kubeconfig from bootstrap-env --write-kubeconfig \(always named: never taken from \$KUBECONFIG, since it picks what is deleted\)\n/,
    );
  },
);

t.test('issue 24 #13: --help of every command: own flags first, no [type] glued to a word, exit codes', async (t) => {
  const commands = [
    [],
    ['bootstrap-env'],
    ['create-ns'],
    ['apply'],
    ['status'],
    ['unbind'],
    ['completion'],
    ['control-plane'],
    ...['init', 'render', 'apply', 'check', 'adopt'].map((c) => ['control-plane', c]),
  ];
  for (const c of commands) {
    const r = await runCli([...c, '--help']);
    const name = ['helper', ...c].join(' ');
    t.equal(r.code, 0, name);
    t.notMatch(
      r.stdout,
      /\S\[(string|boolean|number|count|array|required|choices:|default:)/,
      `${name}: nothing glued`,
    );
    const own = r.stdout.indexOf('\nOptions:\n');
    if (own >= 0) t.ok(own < r.stdout.indexOf('\nGlobal options:\n'), `${name}: its own options first`);
    if (c.length && c[0] !== 'completion' && !(c.length === 1 && c[0] === 'control-plane'))
      t.match(r.stdout, /\nExit codes: 0 ok\b/, `${name}: lists its exit codes`);
  }
  const unbind = await runCli(['unbind', '--help']);
  t.notMatch(unbind.stdout, /none \(default\): apply/, "unbind's --dry-run does not say apply");
});

/** The words of a help line, whatever the wrapping. */
function helpLine(words: string): RegExp {
  return new RegExp(
    words
      .split(' ')
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\s+'),
  );
}

t.test('--help matches the flags: -o is a format, files go to --output-file, kubeconfigs take --context', async (t) => {
  const be = await runCli(['bootstrap-env', '--help']);
  t.equal(be.code, 0);
  for (const p of [
    '--output-file write all.yaml to this file (atomically, mode 0600) instead of stdout; - is stdout',
    '-o, --output output format: yaml (all.yaml); for a fleet the summary: text or json. (Deprecated: -o ' +
      'FILE, use --output-file)',
    '[deprecated: use -o text|json]',
    '(env HELPER_BIND_URL)',
    '--context context of the --apply-to kubeconfig',
  ])
    t.match(be.stdout, helpLine(p));
  const apply = await runCli(['apply', '--help']);
  t.match(
    apply.stdout,
    helpLine('--kubeconfig kubeconfig of the App Cluster (default: $KUBECONFIG, else ~/.kube/config)'),
  );
  t.match(apply.stdout, helpLine('--context kubeconfig context to use'));
  t.match(apply.stdout, helpLine('stdout: per object whether it was created, configured or unchanged'));
  const render = await runCli(['control-plane', 'render', '--help']);
  t.match(render.stdout, helpLine('-o, --output output format: yaml. (Deprecated: -o FILE, use --output-file)'));
  const root = await runCli(['--help']);
  t.match(root.stdout, helpLine('completion [shell] Print a shell completion script (bash, zsh or fish)'));
  t.match(
    root.stdout,
    helpLine('-v, --verbose more diagnostics on stderr: -v steps, files and contexts; -vv also every HTTP request'),
  );
});

t.test('completion: the shell as an argument; a real bash completes files after -f and only real flags', async (t) => {
  const zsh = await runCli(['completion', 'zsh']);
  t.equal(zsh.code, 0, zsh.stderr);
  t.match(zsh.stdout, /^#compdef helper\n/);
  t.equal(zsh.stderr, '');
  const fish = await runCli(['completion', 'fish']);
  t.match(fish.stdout, /complete -c helper -f -a '\(__helper_complete\)'/);
  const bad = await runCli(['completion', 'tcsh']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /Invalid values:\n\s+Argument: shell, Given: "tcsh", Choices: "bash", "zsh", "fish"/);
  const bash = await runCli(['completion', 'bash']);
  t.equal(bash.code, 0);

  // A `helper` on PATH, as an installed one would be, and a directory to complete in.
  const dir = t.testdir({ work: { 'binding.json': '{}', 'bindings.yaml': '' }, bin: {} });
  const shim = join(dir, 'bin', 'helper');
  writeFileSync(
    shim,
    `#!/bin/sh\nexec env -u NODE_OPTIONS "${process.execPath}" "${join(repoRoot, 'bin', 'helper')}" "$@"\n`,
  );
  chmodSync(shim, 0o755);
  writeFileSync(join(dir, 'completion.bash'), bash.stdout);
  mkdirSync(join(dir, 'work', 'sub'));
  const complete = (line: string) =>
    new Promise<string[]>((resolve, reject) => {
      const words = line.split(' ');
      const script =
        `source ${join(dir, 'completion.bash')}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}` +
        `)\nCOMP_CWORD=${words.length - 1}\n_helper_complete\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
      const c = spawn('bash', ['-c', script], {
        cwd: join(dir, 'work'),
        env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: dir },
      });
      let out = '';
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      c.on('error', reject);
      c.on('close', () => resolve(out.split('\n').filter(Boolean).sort()));
    });
  t.same(await complete('helper bootstrap-env -f bi'), ['binding.json', 'bindings.yaml'], '-f <TAB> offers files');
  t.same(await complete('helper apply --kubeconfig s'), ['sub'], '--kubeconfig <TAB> offers files and directories');
  const flags = await complete('helper bootstrap-env --');
  t.ok(flags.includes('--output-file') && flags.includes('--url') && flags.includes('--context'), 'real flags offered');
  t.same(
    flags.filter((f) => /^--.$/.test(f)),
    [],
    'no fake one-letter --f --u --o --q',
  );
  t.same(await complete('helper apply --dry-run '), ['none', 'server']);
  t.same(await complete('helper control-plane '), ['adopt', 'apply', 'check', 'init', 'render']);
  t.same(await complete('helper completion '), ['bash', 'fish', 'zsh']);
});
