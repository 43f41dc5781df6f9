/**
 * `npm run build:binary`: the single executable, as pkg.config.json describes it.
 *
 * 1. esbuild bundles the entry (and everything it imports) into one CommonJS file: the SEA main
 *    script of Node 24 must be CommonJS, and its `require` loads built-in modules only.
 * 2. `node --experimental-sea-config` turns it, with the assets, into a preparation blob.
 * 3. postject injects the blob into a copy of the Node binary that runs this script (under npm
 *    scripts that is the pinned node devDependency), flipping the SEA fuse.
 *
 * Linux x64 only: the executable is a copy of the local Node binary; nothing is downloaded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, globSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

interface PkgConfig {
  name: string;
  /** Module (from the package root) whose `entryExport` function starts the CLI. */
  entry: string;
  entryExport: string;
  output: string;
  workDir: string;
  platform: string;
  /** Files or globs from the package root; each is an SEA asset keyed by that path (see src/assets.ts). */
  assets: string[];
  nodeFlags: string[];
  useCodeCache: boolean;
  /** Optional dependencies that are not installed: in the bundle, requiring them fails as it does from sources. */
  stubModules: string[];
}

/** The sentinel Node's binary carries; postject flips it so Node looks for the blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();

function fail(message: string): never {
  process.stderr.write(`build:binary: ${message}\n`);
  process.exit(1);
}

function step(message: string): void {
  process.stderr.write(`build:binary: ${message} (${((performance.now() - started) / 1000).toFixed(1)}s)\n`);
}

function readConfig(): PkgConfig {
  const file = join(root, 'pkg.config.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<PkgConfig>;
  const strings = ['name', 'entry', 'entryExport', 'output', 'workDir', 'platform'] as const;
  for (const k of strings) if (typeof raw[k] !== 'string' || !raw[k]) fail(`pkg.config.json: "${k}" must be a non-empty string`);
  for (const k of ['assets', 'nodeFlags', 'stubModules'] as const) {
    if (!Array.isArray(raw[k]) || !raw[k].every((v) => typeof v === 'string')) fail(`pkg.config.json: "${k}" must be an array of strings`);
  }
  if (typeof raw.useCodeCache !== 'boolean') fail('pkg.config.json: "useCodeCache" must be true or false');
  return raw as PkgConfig;
}

function checkHost(cfg: PkgConfig): void {
  const host = `${process.platform}-${process.arch}`;
  if (host !== cfg.platform) fail(`pkg.config.json builds for ${cfg.platform}, but this is ${host}; the executable is a copy of the local Node binary`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const pinned = pkg.devDependencies?.node;
  if (pinned && pinned.split('.')[0] !== process.versions.node.split('.')[0]) {
    fail(`running on Node ${process.versions.node}, but package.json pins node ${pinned}; run it as "npm run build:binary" so the pinned Node is used`);
  }
  const fuse = execFileSync('grep', ['-c', SEA_FUSE, process.execPath], { encoding: 'utf8' }).trim();
  if (fuse === '0') fail(`${process.execPath} has no SEA fuse; it cannot become a single executable`);
}

/** Optional requires resolve to a module that throws MODULE_NOT_FOUND, exactly what callers see when the package is absent. */
function stubPlugin(names: string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
  return {
    name: 'stub-optional',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub-optional' }));
      b.onLoad({ filter: /.*/, namespace: 'stub-optional' }, (args) => ({
        contents: `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}); e.code = 'MODULE_NOT_FOUND'; throw e;`,
        loader: 'js',
      }));
    },
  };
}

async function bundle(cfg: PkgConfig, outfile: string): Promise<void> {
  const result = await build({
    stdin: {
      contents: [
        `import { ${cfg.entryExport} } from ${JSON.stringify(`./${cfg.entry}`)};`,
        // bin/helper awaits run() at top level; a rejection there prints the stack and exits 1 too.
        `${cfg.entryExport}().catch((err) => { process.stderr.write(String(err && err.stack || err) + '\\n'); process.exitCode = 1; });`,
      ].join('\n'),
      resolveDir: root,
      sourcefile: 'sea-main.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    outfile,
    // yargs and our own modules use import.meta.url, which CommonJS lacks; in the SEA __filename is the executable.
    banner: { js: 'const __sea_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__sea_import_meta_url' },
    // Node refuses import() in a SEA main script compiled with a code cache; as require() it also works without one.
    supported: { 'dynamic-import': false },
    minifyWhitespace: true, minifySyntax: true,
    plugins: [stubPlugin(cfg.stubModules)],
    logLevel: 'warning',
  });
  if (result.errors.length) fail('esbuild failed');
}

/** Runs a build tool, showing its output only when it fails (postject's LIEF warns about every ELF note section of Node). */
function quiet(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    fail(`${relative(root, cmd) || cmd} ${args.map((a) => relative(root, a) || a).join(' ')} failed (exit ${r.status ?? r.signal})`);
  }
}

function assetMap(cfg: PkgConfig): Record<string, string> {
  const assets: Record<string, string> = {};
  for (const pattern of cfg.assets) {
    const matches = globSync(pattern, { cwd: root });
    if (!matches.length) fail(`pkg.config.json: asset "${pattern}" matches no file`);
    for (const m of matches) assets[m.split('\\').join('/')] = join(root, m);
  }
  return assets;
}

async function main(): Promise<void> {
  const cfg = readConfig();
  checkHost(cfg);
  const work = resolve(root, cfg.workDir);
  const output = resolve(root, cfg.output);
  mkdirSync(work, { recursive: true });
  mkdirSync(dirname(output), { recursive: true });

  const mainFile = join(work, `${cfg.name}.cjs`);
  await bundle(cfg, mainFile);
  step(`bundled ${relative(root, mainFile)} (${(statSync(mainFile).size / 1e6).toFixed(1)} MB)`);

  const blob = join(work, `${cfg.name}.blob`);
  const seaConfig = join(work, 'sea-config.json');
  const assets = assetMap(cfg);
  writeFileSync(seaConfig, JSON.stringify({
    main: mainFile,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: cfg.useCodeCache,
    execArgv: cfg.nodeFlags,
    assets,
  }, null, 2));
  quiet(process.execPath, ['--experimental-sea-config', seaConfig]);
  step(`SEA blob ${relative(root, blob)} with ${Object.keys(assets).length} assets`);

  // Injected into a temporary copy, renamed at the end: a failed build never leaves a broken executable at the output path.
  const tmp = `${output}.tmp`;
  rmSync(tmp, { force: true });
  copyFileSync(process.execPath, tmp);
  chmodSync(tmp, 0o755);
  const postjectCli = join(dirname(createRequire(import.meta.url).resolve('postject')), 'cli.js');
  quiet(process.execPath, [postjectCli, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  renameSync(tmp, output);

  const version = execFileSync(output, ['--version'], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } }).trim();
  const expected = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== expected) fail(`${relative(root, output)} --version printed ${JSON.stringify(version)}, expected ${expected}`);
  step(`wrote ${relative(root, output)} (${(statSync(output).size / 1e6).toFixed(1)} MB, Node ${process.versions.node}, --version ${version})`);
}

await main();
