/**
 * `npm run build:image`: the container image, as an OCI image archive (dist/image/helper.oci.tar)
 * holding an image index of two images, linux/amd64 and linux/arm64. Nothing is pushed; README
 * "Install" says how to load or push the archive.
 *
 * Each image is based on nothing (scratch) and holds exactly what its single executable
 * (pkg.config.json's targets["linux-x64"] / ["linux-arm64"], from `npm run build:binary`) needs:
 *   /helper                        the executable (checked against SHA256SUMS first)
 *   /lib/..., /lib64/...           the shared libraries the dynamic loader lists for it: for x64 `ldd`
 *                                  on this machine, for arm64 the arm64 loader's --list under
 *                                  qemu-aarch64-static in Debian's arm64 cross runtime
 *                                  (/usr/aarch64-linux-gnu; bin/ensure-qemu.sh installs both)
 *   /etc/ssl/certs/ca-certificates.crt   this machine's CA bundle (for --ca-file / NODE_EXTRA_CA_CERTS;
 *                                  helper itself trusts Node's built-in roots plus --ca-file)
 *   /etc/passwd, /etc/group        root and nonroot (uid/gid 65532, home /home/nonroot)
 *   /tmp                           mode 1777
 * with USER 65532:65532, ENTRYPOINT ["/helper"], no environment, and the org.opencontainers.image.*
 * labels (version from package.json, revision from git, source, licenses, created, title).
 *
 * GNU tar packs each root filesystem (root-owned, sorted, mtime of the commit); Debian's podman
 * imports it as the image's one layer with the config above (`podman import --change`), joins the
 * two in a manifest list and writes the OCI archive (`podman manifest push --all ... oci-archive:`).
 * All of podman's state (storage with the vfs driver, run root) lives in a temporary directory that is
 * removed afterwards: nothing global is read or written besides /etc/containers' defaults.
 * bin/ensure-image-tools.sh installs podman when it is missing.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();

/** Where the archive goes; its index is tagged `<version>`. */
export const imageArchive = join(root, 'dist', 'image', 'helper.oci.tar');
/** The tag the archive's index names (org.opencontainers.image.ref.name). */
export const imageTag = (version: string) => version;
/** The non-root user the image runs as (as distroless images do). */
export const imageUser = 65532;

class BuildError extends Error {}

function fail(message: string): never {
  throw new BuildError(message);
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function run(cmd: string, args: string[], what: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error)
    fail(
      `${what}: cannot run ${cmd} (${r.error.message})` +
        `${cmd === 'podman' ? '; run "bash bin/ensure-image-tools.sh"' : ''}`,
    );
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
    } catch {
      /* not a URL */
    }
  }
  return fail('no source URL: git has no https or ssh origin remote and package.json no repository.url');
}

/** A library as the loader finds it in the image (`path`) and the file that goes there (`from`). */
interface Library {
  path: string;
  from: string;
}

const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/**
 * The shared libraries the dynamic loader lists for `exe`, the loader included. Lines are ldd's:
 * `name => /path (0x...)`, `/path/ld-linux... (0x...)`, or (the arm64 loader under qemu -L) the
 * loader as `/lib/ld-linux-aarch64.so.1 => <sysroot>/lib/... (0x...)`.
 */
function sharedLibraries(exe: string, arch: Arch): Library[] {
  const [cmd, args] =
    arch.platform === 'amd64'
      ? ['ldd', [exe]]
      : [
          'qemu-aarch64-static',
          ['-L', ARM64_SYSROOT, join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'), '--list', exe],
        ];
  const what = `${basename(cmd)} ${basename(exe)}`;
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) fail(`${what}: cannot run ${cmd} (${r.error.message}); run "bash bin/ensure-qemu.sh"`);
  if (r.status !== 0) fail(`${what}: exit ${r.status}: ${r.stderr.trim()}`);
  const libs: Library[] = [];
  for (const line of r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    if (/not found/.test(line)) fail(`${what}: ${line}`);
    const m = /^(?:(\S+) => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (!m) {
      if (!/^(linux-vdso\.so\.\d|\(0x[0-9a-f]+\)$)/.test(line)) fail(`${what}: cannot read the line "${line}"`);
      continue;
    }
    const [, name, path] = m as unknown as [string, string | undefined, string];
    if (arch.platform === 'amd64') libs.push({ path, from: path });
    else if (path.startsWith(`${ARM64_SYSROOT}/`))
      libs.push({ path: name!, from: path }); // the loader itself
    else libs.push({ path, from: join(ARM64_SYSROOT, path) });
  }
  if (!libs.some((l) => /\/ld-linux[^/]*\.so/.test(l.path)))
    fail(`${what} names no dynamic loader: ${r.stdout.trim()}`);
  return libs;
}

interface Arch {
  /** pkg.config.json's target. */
  target: string;
  /** OCI platform architecture. */
  platform: 'amd64' | 'arm64';
  /** ELF e_machine. */
  machine: number;
}

const ARCHES: Arch[] = [
  { target: 'linux-x64', platform: 'amd64', machine: 0x3e },
  { target: 'linux-arm64', platform: 'arm64', machine: 0xb7 },
];

/** Writes the root filesystem of one architecture's image and packs it as one layer; returns the tarball. */
function layerFor(arch: Arch, exe: string, work: string, commitTime: string): string {
  const rootfs = join(work, `rootfs-${arch.platform}`);
  mkdirSync(rootfs);
  copyFileSync(exe, join(rootfs, 'helper'));
  chmodSync(join(rootfs, 'helper'), 0o755);
  for (const lib of sharedLibraries(exe, arch)) {
    mkdirSync(join(rootfs, dirname(lib.path)), { recursive: true });
    // Follows a symlink: the file itself, at the path the loader asks for.
    copyFileSync(lib.from, join(rootfs, lib.path));
    chmodSync(join(rootfs, lib.path), statSync(lib.from).mode & 0o755);
  }
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (!existsSync(ca)) fail(`${ca} is missing: install Debian's ca-certificates`);
  mkdirSync(join(rootfs, dirname(ca)), { recursive: true });
  copyFileSync(ca, join(rootfs, ca));
  chmodSync(join(rootfs, ca), 0o644);
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${imageUser}:${imageUser}:nonroot:/home/nonroot:/sbin/nologin\n`,
    { mode: 0o644 },
  );
  writeFileSync(join(rootfs, 'etc', 'group'), `root:x:0:\nnonroot:x:${imageUser}:\n`, { mode: 0o644 });
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  mkdirSync(join(rootfs, 'home', 'nonroot'), { recursive: true });
  chmodSync(join(rootfs, 'home', 'nonroot'), 0o700);

  // One layer: everything root-owned, then nonroot's home owned by nonroot.
  const layer = join(work, `layer-${arch.platform}.tar`);
  const common = ['--numeric-owner', '--sort=name', `--mtime=@${commitTime}`, '-C', rootfs];
  run(
    'tar',
    ['--create', '--file', layer, '--owner=0', '--group=0', '--exclude=./home/nonroot', ...common, '.'],
    'tar',
  );
  run(
    'tar',
    ['--append', '--file', layer, `--owner=${imageUser}`, `--group=${imageUser}`, ...common, './home/nonroot'],
    'tar',
  );
  return layer;
}

/** The executable of one target, checked against SHA256SUMS and its ELF machine. */
function executable(arch: Arch, config: { checksums: string; targets: Record<string, { output: string }> }): string {
  const target = config.targets[arch.target];
  if (!target) fail(`pkg.config.json has no ${arch.target} target`);
  const exe = resolve(root, target.output);
  const sums = resolve(root, config.checksums);
  if (!existsSync(exe) || !existsSync(sums))
    fail(`${target.output} or ${config.checksums} is missing: run "npm run build:binary" first`);
  const listed = new RegExp(`^([0-9a-f]{64}) {2}${basename(exe).replace(/[.]/g, '\\.')}$`, 'm').exec(
    readFileSync(sums, 'utf8'),
  )?.[1];
  const bytes = readFileSync(exe);
  if (listed !== createHash('sha256').update(bytes).digest('hex'))
    fail(`${target.output} does not match ${config.checksums} (a partial build?): run "npm run build:binary"`);
  if (bytes.readUInt16LE(18) !== arch.machine) fail(`${target.output} is not a linux/${arch.platform} ELF executable`);
  return exe;
}

function main(): void {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    description: string;
    repository?: { url?: string };
  };
  const config = JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8')) as {
    checksums: string;
    targets: Record<string, { output: string }>;
  };
  const exes = ARCHES.map((a) => executable(a, config));

  const revision = run('git', ['-C', root, 'rev-parse', 'HEAD'], 'git rev-parse').stdout.trim();
  const commitTime = run('git', ['-C', root, 'log', '-1', '--format=%ct', 'HEAD'], 'git log').stdout.trim();
  if (run('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], 'git status').stdout.trim()) {
    process.stderr.write(
      `build:image: warning: the work tree has uncommitted changes; the revision label names HEAD (` +
        `${revision.slice(0, 12)})\n`,
    );
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
    const podman = [
      '--root',
      join(work, 'storage'),
      '--runroot',
      join(work, 'run'),
      '--storage-driver',
      'vfs',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'none',
    ];
    const changes = [
      `USER=${imageUser}:${imageUser}`,
      'ENTRYPOINT=["/helper"]',
      // (`LABEL key="value"`: podman takes the instruction up to the first blank.)
      ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
    ];
    const sizes: string[] = [];
    run('podman', [...podman, 'manifest', 'create', name], 'podman manifest create');
    ARCHES.forEach((arch, i) => {
      const layer = layerFor(arch, exes[i]!, work, commitTime);
      const image = `${name}-${arch.platform}`;
      run(
        'podman',
        [
          ...podman,
          'import',
          '--quiet',
          '--arch',
          arch.platform,
          '--os',
          'linux',
          ...changes.flatMap((c) => ['--change', c]),
          layer,
          image,
        ],
        `podman import (${arch.platform})`,
      );
      run(
        'podman',
        [...podman, 'manifest', 'add', name, `containers-storage:${image}`],
        `podman manifest add (${arch.platform})`,
      );
      sizes.push(`${arch.platform} ${mb(statSync(layer).size)}`);
    });
    const out = imageArchive;
    mkdirSync(dirname(out), { recursive: true });
    rmSync(`${out}.tmp`, { force: true });
    run(
      'podman',
      [...podman, 'manifest', 'push', '--quiet', '--all', name, `oci-archive:${out}.tmp:${imageTag(pkg.version)}`],
      'podman manifest push',
    );
    renameSync(`${out}.tmp`, out);
    process.stderr.write(
      `build:image: ${basename(dirname(out))}/${basename(out)} is ${name} (linux/amd64 and linux/arm64; ` +
        `archive ${mb(statSync(out).size)}, unpacked ${sizes.join(', ')}; revision ${revision.slice(0, 12)}) ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
    );
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
