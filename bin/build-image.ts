/**
 * `npm run build:image`: the container image, as an OCI image archive (dist/image/helper.oci.tar).
 * Nothing is pushed; README "Install" says how to load or push the archive.
 *
 * The image is based on nothing (scratch) and holds exactly what the linux-x64 single executable
 * (pkg.config.json's targets["linux-x64"], from `npm run build:binary`) needs to run:
 *   /helper                        the executable (checked against SHA256SUMS first)
 *   /lib/..., /lib64/...           the shared libraries `ldd` names for it, from this machine
 *   /etc/ssl/certs/ca-certificates.crt   this machine's CA bundle (for --ca-file / NODE_EXTRA_CA_CERTS;
 *                                  helper itself trusts Node's built-in roots plus --ca-file)
 *   /etc/passwd, /etc/group        root and nonroot (uid/gid 65532, home /home/nonroot)
 *   /tmp                           mode 1777
 * with USER 65532:65532, ENTRYPOINT ["/helper"], no environment, and the org.opencontainers.image.*
 * labels (version from package.json, revision from git, source, licenses, created, title).
 *
 * GNU tar packs the root filesystem (root-owned, sorted, mtime of the commit); Debian's podman
 * imports it as the image's one layer with the config above (`podman import --change`) and saves
 * the OCI archive (`podman save --format oci-archive`). All of podman's state (storage with the vfs
 * driver, run root) lives in a temporary directory that is removed afterwards: nothing global is
 * read or written besides /etc/containers' defaults. bin/ensure-image-tools.sh installs podman
 * when it is missing. Only the x64 image is built: arm64 would need a runtime test this machine
 * cannot give (see README).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();

/** Where the archive goes; the image's name inside it is `localhost/helper:<version>`. */
export const imageArchive = join(root, 'dist', 'image', 'helper.oci.tar');
/** The non-root user the image runs as (as distroless images do). */
export const imageUser = 65532;

class BuildError extends Error {}

function fail(message: string): never {
  throw new BuildError(message);
}

function run(cmd: string, args: string[], what: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) fail(`${what}: cannot run ${cmd} (${r.error.message})${cmd === 'podman' ? '; run "bash bin/ensure-image-tools.sh"' : ''}`);
  if (r.status !== 0) fail(`${what}: ${cmd} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r;
}

/** The repository URL for the source label: git's origin (without credentials), else package.json's repository. */
function sourceUrl(repository: { url?: string } | undefined): string {
  const r = spawnSync('git', ['-C', root, 'remote', 'get-url', 'origin'], { encoding: 'utf8' });
  for (const candidate of [r.status === 0 ? r.stdout.trim() : '', repository?.url ?? '']) {
    const ssh = /^git@([^:]+):(.+?)(\.git)?$/.exec(candidate);
    if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
    try {
      const u = new URL(candidate.replace(/^git\+/, ''));
      if (u.protocol === 'https:') return `${u.origin}${u.pathname.replace(/\.git$/, '')}`;
    } catch { /* not a URL */ }
  }
  return fail('no source URL: git has no https or ssh origin remote and package.json no repository.url');
}

/** The shared libraries (absolute paths) `ldd` says the executable loads, the dynamic loader included. */
function sharedLibraries(exe: string): string[] {
  const out = run('ldd', [exe], `ldd ${basename(exe)}`).stdout;
  const libs: string[] = [];
  for (const line of out.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (/not found/.test(line)) fail(`ldd ${basename(exe)}: ${line}`);
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (m) libs.push(m[1]!);
    else if (!/^linux-vdso\.so\.\d/.test(line)) fail(`ldd ${basename(exe)}: cannot read the line "${line}"`);
  }
  if (!libs.some((l) => /\/ld-linux[^/]*\.so/.test(l))) fail(`ldd ${basename(exe)} names no dynamic loader: ${out.trim()}`);
  return libs;
}

function main(): void {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string; description: string; repository?: { url?: string } };
  const config = JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8')) as { checksums: string; targets: Record<string, { output: string }> };
  const target = config.targets['linux-x64'];
  if (!target) fail('pkg.config.json has no linux-x64 target');
  const exe = resolve(root, target.output);
  const sums = resolve(root, config.checksums);
  if (!existsSync(exe) || !existsSync(sums)) fail(`${target.output} or ${config.checksums} is missing: run "npm run build:binary" first`);
  const listed = new RegExp(`^([0-9a-f]{64}) {2}${basename(exe).replace(/[.]/g, '\\.')}$`, 'm').exec(readFileSync(sums, 'utf8'))?.[1];
  const actual = createHash('sha256').update(readFileSync(exe)).digest('hex');
  if (listed !== actual) fail(`${target.output} does not match ${config.checksums} (a partial build?): run "npm run build:binary"`);
  if (readFileSync(exe).readUInt16LE(18) !== 0x3e) fail(`${target.output} is not an x86-64 ELF executable`);

  const revision = run('git', ['-C', root, 'rev-parse', 'HEAD'], 'git rev-parse').stdout.trim();
  const commitTime = run('git', ['-C', root, 'log', '-1', '--format=%ct', 'HEAD'], 'git log').stdout.trim();
  if (run('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], 'git status').stdout.trim()) {
    process.stderr.write(`build:image: warning: the work tree has uncommitted changes; the revision label names HEAD (${revision.slice(0, 12)})\n`);
  }
  const created = new Date().toISOString();
  const name = `localhost/helper:${pkg.version}`;
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'helper',
    'org.opencontainers.image.description': pkg.description,
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.source': sourceUrl(pkg.repository),
    'org.opencontainers.image.licenses': pkg.license,
    'org.opencontainers.image.created': created,
  };

  // A failed build must not leave an older image behind for the tests to take for this one.
  rmSync(imageArchive, { force: true });
  const work = mkdtempSync(join(tmpdir(), 'helper-image-'));
  try {
    // 1. The root filesystem.
    const rootfs = join(work, 'rootfs');
    mkdirSync(rootfs);
    copyFileSync(exe, join(rootfs, 'helper'));
    chmodSync(join(rootfs, 'helper'), 0o755);
    for (const lib of sharedLibraries(exe)) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
      copyFileSync(lib, join(rootfs, lib)); // follows the symlink: the file itself, at the path the loader asks for
      chmodSync(join(rootfs, lib), statSync(lib).mode & 0o755);
    }
    const ca = '/etc/ssl/certs/ca-certificates.crt';
    if (!existsSync(ca)) fail(`${ca} is missing: install Debian's ca-certificates`);
    mkdirSync(join(rootfs, dirname(ca)), { recursive: true });
    copyFileSync(ca, join(rootfs, ca));
    chmodSync(join(rootfs, ca), 0o644);
    writeFileSync(join(rootfs, 'etc', 'passwd'), `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${imageUser}:${imageUser}:nonroot:/home/nonroot:/sbin/nologin\n`, { mode: 0o644 });
    writeFileSync(join(rootfs, 'etc', 'group'), `root:x:0:\nnonroot:x:${imageUser}:\n`, { mode: 0o644 });
    mkdirSync(join(rootfs, 'tmp'));
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    mkdirSync(join(rootfs, 'home', 'nonroot'), { recursive: true });
    chmodSync(join(rootfs, 'home', 'nonroot'), 0o700);

    // 2. One layer: everything root-owned, then nonroot's home owned by nonroot.
    const layer = join(work, 'rootfs.tar');
    const common = ['--numeric-owner', '--sort=name', `--mtime=@${commitTime}`, '-C', rootfs];
    run('tar', ['--create', '--file', layer, '--owner=0', '--group=0', '--exclude=./home/nonroot', ...common, '.'], 'tar');
    run('tar', ['--append', '--file', layer, `--owner=${imageUser}`, `--group=${imageUser}`, ...common, './home/nonroot'], 'tar');

    // 3. podman, with all its state under `work`.
    const podman = ['--root', join(work, 'storage'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
    const changes = [
      `USER=${imageUser}:${imageUser}`,
      'ENTRYPOINT=["/helper"]',
      // (`LABEL key="value"`: podman takes the instruction up to the first blank.)
      ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
    ];
    run('podman', [...podman, 'import', '--quiet', '--arch', 'amd64', '--os', 'linux', ...changes.flatMap((c) => ['--change', c]), layer, name], 'podman import');
    const out = imageArchive;
    mkdirSync(dirname(out), { recursive: true });
    rmSync(`${out}.tmp`, { force: true });
    run('podman', [...podman, 'save', '--quiet', '--format', 'oci-archive', '--output', `${out}.tmp`, name], 'podman save');
    renameSync(`${out}.tmp`, out);
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const unpacked = statSync(layer).size;
    process.stderr.write(`build:image: ${basename(dirname(out))}/${basename(out)} is ${name} (linux/amd64; archive ${mb(statSync(out).size)}, unpacked ${mb(unpacked)}; revision ${revision.slice(0, 12)}) in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    process.stderr.write(`build:image: ${err.message}\n`);
    process.exitCode = 1;
  }
}
