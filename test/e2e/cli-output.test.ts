/**
 * The one rule for -o (the output format everywhere; files via
 * --output-file, `-` is stdout; today's `-o FILE` and `--summary` still work
 * with a deprecation warning), stdout redirected to a file tightened to 0600,
 * the HELPER_ environment (the sandbox's env file is enough; flags win), and
 * the fleet summary and -f DIR hints.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ENV_VARIABLES } from '../../src/options/argv.ts';
import { writeSandboxInfo } from '../sandbox/sandbox.ts';
import { cpEnv, valuesFile } from '../helpers/control-plane.ts';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);

/** script(1) of util-linux: runs a command on a pseudo-terminal. */
const script = ['/usr/bin/script', '/bin/script'].find((f) => existsSync(f));
/** A shell word (script -c takes one command line). */
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

function bindingFile(dir: string, name = 'binding.json'): string {
  const f = join(dir, name);
  writeFileSync(
    f,
    JSON.stringify({
      clusterID: `out-${randomBytes(4).toString('hex')}`,
      apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
    }),
  );
  return f;
}

const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
const bind = (dir: string, args: string[], env: Record<string, string | undefined> = sb.env) =>
  runCli(['bootstrap-env', '-f', bindingFile(dir), '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait', ...args], {
    env,
    cwd: dir,
  });

t.test('the sandbox env file exports the names helper reads, and is all bootstrap-env needs', async (t) => {
  const dir = t.testdir({});
  const envFile = join(dir, 'sandbox.env');
  writeSandboxInfo(sb, envFile);
  const exported = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => /^export ([A-Z_]+)=(.*)$/.exec(l)!.slice(1, 3) as [string, string]),
  );
  const forHelper = Object.keys(exported).filter((k) => !k.endsWith('_KUBECONFIG'));
  t.same(
    forHelper.filter((k) => !ENV_VARIABLES.includes(k)),
    [],
    'every exported name (but the two admin kubeconfig paths for --kubeconfig) is one helper reads',
  );
  t.ok(forHelper.includes('HELPER_BIND_URL') && forHelper.includes('HELPER_CA_FILE'));

  const r = await runCli(
    ['bootstrap-env', '-f', bindingFile(dir), '--no-wait', '--output-file', join(dir, 'all.yaml')],
    { env: exported, cwd: dir },
  );
  t.equal(r.code, 0, `no -u, no --ca-file: both from the env file\n${r.stderr}`);
  t.equal(mode(join(dir, 'all.yaml')), '600');
  t.equal(r.stdout, '');
});

t.test('flags win over HELPER_ variables; a bad value names the variable', async (t) => {
  const dir = t.testdir({});
  const wrong = {
    ...sb.env,
    HELPER_BIND_URL: 'https://127.0.0.1:1/nowhere',
    HELPER_CA_FILE: join(dir, 'no-such-ca.pem'),
    HELPER_RETRIES: '0',
  };
  const r = await bind(dir, ['--output-file', join(dir, 'all.yaml')], wrong);
  t.equal(r.code, 0, `-u and --ca-file given: the variables are ignored\n${r.stderr}`);
  const missingUrl = await runCli(['bootstrap-env', '-f', bindingFile(dir)], { env: sb.env });
  t.equal(missingUrl.code, 2);
  t.match(missingUrl.stderr, /^error: -u\/--url is required: the backend URL \(or set HELPER_BIND_URL\)\n/);
  const badTimeout = await runCli(['apply', '-f', 'x.yaml'], { env: { HELPER_REQUEST_TIMEOUT: 'soon' } });
  t.equal(badTimeout.code, 2);
  t.match(badTimeout.stderr, /^error: HELPER_REQUEST_TIMEOUT "soon" is not a duration \(use e\.g\. 90s, 5m, 1h30m\)\n/);
  const badFormat = await runCli(['apply', '-f', 'x.yaml'], { env: { HELPER_LOG_FORMAT: 'xml' } });
  t.equal(badFormat.code, 2);
  t.match(badFormat.stderr, /HELPER_LOG_FORMAT="xml": choose from text, json \(it sets --log-format\)/);
  const json = await runCli(['apply', '-f', join(dir, 'none.yaml'), '--kubeconfig', sb.app.kubeconfig], {
    env: { HELPER_LOG_FORMAT: 'json' },
  });
  t.equal(json.code, 3);
  t.match(
    JSON.parse(json.stderr.trim().split('\n').at(-1)!),
    { level: 'error', code: 'HELPER_MANIFEST' },
    'HELPER_LOG_FORMAT=json gives JSON lines',
  );
});

t.test(
  '-o: FILE still works (deprecated), - and --output-file - are stdout, a format name is never a file',
  async (t) => {
    const dir = t.testdir({});
    const old = await bind(dir, ['-o', join(dir, 'old.yaml')]);
    t.equal(old.code, 0, old.stderr);
    t.match(
      old.stderr,
      `warn: -o FILE is deprecated: -o is the output format everywhere (yaml), as in kubectl; write ` +
        `--output-file ${join(dir, 'old.yaml')}`,
    );
    t.equal(mode(join(dir, 'old.yaml')), '600');
    t.match(readFileSync(join(dir, 'old.yaml'), 'utf8'), /kind: APIServiceBinding/);
    t.equal(old.stdout, '');

    for (const args of [
      ['-o', '-'],
      ['--output-file', '-'],
      ['-o', 'yaml'],
    ]) {
      const r = await bind(dir, args);
      t.equal(r.code, 0, r.stderr);
      t.match(r.stdout, /kind: APIServiceBinding/, `${args.join(' ')}: all.yaml on stdout`);
    }
    t.notOk(existsSync(join(dir, '-')), 'no file named "-"');
    const json = await bind(dir, ['-o', 'json']);
    t.equal(json.code, 2);
    t.match(json.stderr, /^error: -o json: here the output format is yaml\n/);
    t.same(readdirSync(dir).sort(), ['binding.json', 'old.yaml']);
  },
);

t.test(
  'issue 24 #11: stdout on a terminal (a pseudo-terminal from script(1)): bootstrap-env refuses to print the ' +
    'token there, before any call (exit 3, like a bad output file); --output-file on the same terminal works',
  { skip: script ? false : 'script(1) from util-linux is not installed' },
  async (t) => {
    const dir = t.testdir({});
    const onTerminal = (args: string[]) =>
      runCli(['-qec', [process.execPath, join(repoRoot, 'bin', 'helper'), ...args].map(quote).join(' '), '/dev/null'], {
        env: sb.env,
        exe: script!,
      });
    const binding = bindingFile(dir);
    const r = await onTerminal(['bootstrap-env', '-f', binding, '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait']);
    t.equal(r.code, 3, r.stdout.slice(0, 300));
    t.match(
      r.stdout,
      "error: stdout is a terminal and would show all.yaml with the provider kubeconfig's token: " +
        'write it with --output-file FILE (mode 0600) or redirect stdout (> FILE, | kubectl apply -f -); ' +
        'nothing was done',
    );
    t.notMatch(r.stdout, /kind: Secret|apiVersion:|bound to cluster namespace/, 'nothing printed, nothing bound');
    t.notMatch(r.stdout, /run with --help/, 'not a usage mistake of the command line');
    const out = join(dir, 'all.yaml');
    const ok = await onTerminal([
      'bootstrap-env',
      '-f',
      binding,
      '-u',
      sb.bindUrl,
      '--ca-file',
      sb.caFile,
      '--no-wait',
      '--output-file',
      out,
    ]);
    t.equal(ok.code, 0, ok.stdout.slice(0, 300));
    t.match(readFileSync(out, 'utf8'), /kind: Secret/);
  },
);

t.test('stdout redirected to a file: tightened to 0600 before anything is written, said on stderr', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'all.yaml');
  writeFileSync(out, '', { mode: 0o644 });
  const fd = openSync(out, 'w');
  const r = await runCli(
    ['bootstrap-env', '-f', bindingFile(dir), '-u', sb.bindUrl, '--ca-file', sb.caFile, '--no-wait'],
    { env: sb.env, stdoutFd: fd },
  );
  closeSync(fd);
  t.equal(r.code, 0, r.stderr);
  t.equal(mode(out), '600', 'the file is 0600');
  t.match(
    r.stderr,
    `warn: stdout is the file ${out}, which holds all.yaml with the provider kubeconfig's token: changed its ` +
      `mode from 0644 to 0600; --output-file writes it 0600 from the start`,
  );
  t.match(readFileSync(out, 'utf8'), /kind: Secret/);

  const piped = await bind(dir, []);
  t.notMatch(piped.stderr, /stdout is the file/, 'a pipe is left alone');

  const values = await valuesFile(dir);
  const cpOut = join(dir, 'control-plane.yaml');
  writeFileSync(cpOut, '', { mode: 0o644 });
  const fd2 = openSync(cpOut, 'w');
  const render = await runCli(
    ['control-plane', 'render', '-f', values.file, '--kubeconfig', sb.controlPlane.kubeconfig, '--seed', 'env:CP_SEED'],
    { env: cpEnv, stdoutFd: fd2 },
  );
  closeSync(fd2);
  t.equal(render.code, 0, render.stderr);
  t.equal(mode(cpOut), '600');
  t.match(
    render.stderr,
    `stdout is the file ${cpOut}, which holds the control plane's credentials (Secrets): changed its mode ` +
      `from 0644 to 0600`,
  );
  const renderOld = await runCli(
    [
      'control-plane',
      'render',
      '-f',
      values.file,
      '--kubeconfig',
      sb.controlPlane.kubeconfig,
      '--seed',
      'env:CP_SEED',
      '-o',
      join(dir, 'cp-old.yaml'),
    ],
    { env: cpEnv },
  );
  t.equal(renderOld.code, 0, renderOld.stderr);
  t.match(renderOld.stderr, /-o FILE is deprecated: .*write --output-file \S+cp-old\.yaml/);
  t.equal(mode(join(dir, 'cp-old.yaml')), '600');
  t.equal(readFileSync(join(dir, 'cp-old.yaml'), 'utf8'), readFileSync(cpOut, 'utf8'), 'the same manifests');
});

t.test(
  'fleet: -o json, --summary deprecated, the text summary keeps every problem with its JSON path; -f DIR ' +
    'without --out-dir',
  async (t) => {
    const dir = t.testdir({ bindings: {} });
    bindingFile(join(dir, 'bindings'), 'a.json');
    writeFileSync(
      join(dir, 'bindings', 'bad.json'),
      JSON.stringify({ clusterID: 'bad', apis: [{ group: 'AnyNines.com', resource: 'x' }] }),
    );
    const text = await runCli(
      [
        'bootstrap-env',
        '-f',
        join(dir, 'bindings'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--no-wait',
        '--out-dir',
        join(dir, 'out'),
      ],
      { env: sb.env },
    );
    t.equal(text.code, 9, text.stderr);
    t.match(
      text.stdout,
      /^ok {6}out-\w+ {2}\S+ {2}\S+out\/out-\w+ {2}\(\S+a\.json\)$/m,
      'ok line with the binding file',
    );
    t.match(
      text.stdout,
      /^FAILED {2}- {2}\S+bad\.json: .*\n {8} {2}- \/apis\/0\/group: /m,
      'the problem with its JSON path, as -o json has it',
    );
    const json = await runCli(
      [
        'bootstrap-env',
        '-f',
        join(dir, 'bindings'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--no-wait',
        '--out-dir',
        join(dir, 'out'),
        '-o',
        'json',
      ],
      { env: sb.env },
    );
    t.equal(json.code, 9);
    t.equal(JSON.parse(json.stdout).total, 2);
    t.notMatch(json.stderr, /is deprecated/);
    const summary = await runCli(
      [
        'bootstrap-env',
        '-f',
        join(dir, 'bindings'),
        '-u',
        sb.bindUrl,
        '--ca-file',
        sb.caFile,
        '--no-wait',
        '--out-dir',
        join(dir, 'out'),
        '--summary',
        'json',
      ],
      { env: sb.env },
    );
    t.equal(summary.code, 9);
    t.equal(JSON.parse(summary.stdout).total, 2, '--summary json still gives JSON');
    t.match(summary.stderr, 'warn: --summary is deprecated: write -o json');
    const noOut = await runCli(['bootstrap-env', '-f', join(dir, 'bindings'), '-u', sb.bindUrl], { env: sb.env });
    t.equal(noOut.code, 2);
    t.match(
      noOut.stderr,
      /^error: -f \S+bindings is a directory: a directory of binding files binds a fleet; pass --out-dir DIR for the per-cluster files\n/,
    );
  },
);
