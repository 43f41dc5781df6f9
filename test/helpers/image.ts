/**
 * The container image (dist/image/helper.oci.tar, from `npm run build:image`, which `npm test` runs
 * first) for tests: its config as skopeo reads it, its root filesystem unpacked by umoci, and a way
 * to run its entrypoint the way a container runtime would where none can run here.
 *
 * No container runtime can start a container on this machine kind (crun refuses to set the
 * RLIMIT_NOFILE/NPROC it is asked for; cgroups are in hybrid mode), so `runInImage` is the stand-in:
 * `unshare --fork --pid --mount [--net]` and `chroot --userspec=UID:GID` (or, with a working
 * directory, `unshare --root --wd --setuid --setgid`) into the test's own unpacked root filesystem, with an environment
 * of exactly what the caller passes (the image's
 * config has none), the image's entrypoint and user, and, like a runtime, a minimal /dev and the
 * mounts asked for (bind mounts in the private mount namespace; read-only ones remounted so;
 * `readOnlyRoot` remounts the root filesystem read-only, as Kubernetes' readOnlyRootFilesystem).
 * This needs root (as the tests' sandbox user on CI is).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { imageArchive } from '../../bin/build-image.ts';

export { imageArchive };

export interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

export interface Image {
  /** skopeo inspect --config's whole answer (architecture, os, config, rootfs, history). */
  config: { architecture: string; os: string; config: ImageConfig };
  /** skopeo inspect's answer (Labels, Architecture, Layers, Digest). */
  inspect: {
    Architecture: string;
    Os: string;
    Layers: string[];
    Labels: Record<string, string> | null;
    Digest: string;
  };
  /** The unpacked root filesystem (a directory owned by the test; do not share between runs that write). */
  rootfs: string;
}

/** Why the image cannot be tested here, or undefined when it can (each is a failure, not a skip). */
export function imageMissing(): string | undefined {
  if (!existsSync(imageArchive))
    return `${imageArchive} does not exist: build it with "npm run build:image" (npm test does)`;
  for (const tool of ['skopeo', 'umoci']) {
    if (spawnSync(tool, ['--version']).error)
      return `${tool} is not installed: run "bash bin/ensure-image-tools.sh" (npm test does)`;
  }
  if (process.getuid?.() !== 0) return "the image's root filesystem runs under unshare + chroot, which needs root";
  return undefined;
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The archive's index: its tag and the platforms of its images. */
export function imageIndex(): { tag: string; platforms: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'helper-image-index-'));
  try {
    tool('tar', ['-xf', imageArchive, '-C', dir, 'index.json']);
    const top = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: Array<{ annotations?: Record<string, string> }>;
    };
    const raw = JSON.parse(tool('skopeo', ['inspect', '--raw', `oci-archive:${imageArchive}`])) as {
      manifests?: Array<{ platform?: { os: string; architecture: string } }>;
    };
    return {
      tag:
        top.manifests.length === 1
          ? (top.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'] ?? '')
          : `(${top.manifests.length} entries)`,
      platforms: (raw.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads one platform's image of the archive with skopeo (as a client on that platform picks it from
 * the index), copies it to an OCI layout and unpacks it with umoci, in a temp dir removed at teardown.
 */
export function unpackImage(t: Test, arch: 'amd64' | 'arm64' = 'amd64'): Image {
  const ref = `oci-archive:${imageArchive}`;
  const pick = ['--override-os', 'linux', '--override-arch', arch];
  const inspect = JSON.parse(tool('skopeo', [...pick, 'inspect', ref])) as Image['inspect'];
  const config = JSON.parse(tool('skopeo', [...pick, 'inspect', '--config', ref])) as Image['config'];
  const dir = mkdtempSync(join(tmpdir(), 'helper-image-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const layout = join(dir, 'layout');
  tool('skopeo', [...pick, 'copy', '--quiet', ref, `oci:${layout}:${arch}`]);
  tool('umoci', ['unpack', '--image', `${layout}:${arch}`, join(dir, 'bundle')]);
  return { inspect, config, rootfs: join(dir, 'bundle', 'rootfs') };
}

export interface Mount {
  /** A host directory or file. */
  source: string;
  /** Absolute path inside the root filesystem. */
  target: string;
  readOnly?: boolean;
}

export interface RootRun {
  /** Arguments after the entrypoint. */
  args: string[];
  /** The whole environment of the process (nothing else is inherited). */
  env?: Record<string, string>;
  /** "uid:gid" (default: the image's USER). */
  user?: string;
  /** Supplementary group ids (Kubernetes' fsGroup); not with `workdir`. */
  groups?: number[];
  /** The working directory inside the root (docker run -w); default / (as chroot leaves it). */
  workdir?: string;
  mounts?: Mount[];
  readOnlyRoot?: boolean;
  /**
   * A host executable (qemu-aarch64-static) put into the root as /.emulator and run with the
   * entrypoint as its arguments: another architecture's image, as binfmt_misc would run it.
   */
  emulator?: string;
  /** An empty network namespace (default true); false shares the host's, for the sandbox on loopback. */
  isolateNet?: boolean;
  timeoutMs?: number;
}

export interface RootResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command line that ran (for messages). */
  command: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function which(cmd: string): string {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) if (existsSync(join(dir, cmd))) return join(dir, cmd);
  throw new Error(`${cmd} not found`);
}

/** Runs the image's entrypoint with `args` in its root filesystem, as a container runtime would. */
export async function runInImage(image: Image, run: RootRun): Promise<RootResult> {
  const entrypoint = image.config.config.Entrypoint ?? [];
  if (!entrypoint.length) throw new Error('the image has no entrypoint');
  const user = run.user ?? image.config.config.User ?? '';
  if (!/^\d+:\d+$/.test(user)) throw new Error(`the image's user is "${user}", not uid:gid`);
  const root = image.rootfs;
  const mount = which('mount');
  const lines = ['set -e'];
  // Like a runtime: the mount points exist (made in the host's view, before the root turns read-only).
  const devices = ['null', 'zero', 'random', 'urandom'];
  mkdirSync(join(root, 'dev'), { recursive: true });
  for (const d of devices) if (!existsSync(join(root, 'dev', d))) appendFileSync(join(root, 'dev', d), '');
  for (const m of run.mounts ?? []) {
    const target = join(root, m.target);
    if (existsSync(m.source) && spawnSync('test', ['-d', m.source]).status === 0)
      mkdirSync(target, { recursive: true });
    else if (!existsSync(target)) {
      mkdirSync(join(target, '..'), { recursive: true });
      appendFileSync(target, '');
    }
  }
  if (run.readOnlyRoot) lines.push(`${mount} --bind ${q(root)} ${q(root)}`, `${mount} -o remount,bind,ro ${q(root)}`);
  for (const d of devices) lines.push(`${mount} --bind /dev/${d} ${q(join(root, 'dev', d))}`);
  for (const m of run.mounts ?? []) {
    const target = join(root, m.target);
    lines.push(`${mount} --bind ${q(m.source)} ${q(target)}`);
    if (m.readOnly) lines.push(`${mount} -o remount,bind,ro ${q(target)}`);
  }
  const env = Object.entries(run.env ?? {}).map(([k, v]) => q(`${k}=${v}`));
  const groups = run.groups?.length ? [`--groups=${run.groups.join(',')}`] : [];
  if (run.emulator)
    copyFileSync(run.emulator.startsWith('/') ? run.emulator : which(run.emulator), join(root, '.emulator'));
  const argv = [...(run.emulator ? ['/.emulator'] : []), ...entrypoint, ...run.args].map(q).join(' ');
  if (run.workdir) {
    // chroot always starts in /; unshare's --root/--wd/--setuid/--setgid (no new namespace) also set the directory.
    if (groups.length) throw new Error('runInImage: groups and workdir together are not supported');
    const [uid, gid] = user.split(':');
    lines.push(
      `exec ${which('env')} -i ${env.join(' ')} ${which('unshare')} --root=${q(root)} --wd=${q(run.workdir)} ` +
        `--setgid=${gid} --setuid=${uid} ${argv}`,
    );
  } else {
    lines.push(
      `exec ${which('env')} -i ${env.join(' ')} ${which('chroot')} --userspec=${user} ${groups.join(' ')} ` +
        `${q(root)} ${argv}`,
    );
  }
  const script = lines.join('\n');
  const unshare = [
    which('unshare'),
    '--fork',
    '--pid',
    '--mount',
    ...(run.isolateNet === false ? [] : ['--net']),
    which('sh'),
    '-c',
    script,
  ];
  const command = (
    `unshare --fork --pid --mount${run.isolateNet === false ? '' : ' --net'} ` +
    (run.workdir
      ? `unshare --root=<rootfs> --wd=${run.workdir} --setuid/--setgid ${user}`
      : `chroot --userspec=${user} ${groups.join(' ')} <rootfs>`) +
    ` ${[...entrypoint, ...run.args].join(' ')}`
  ).replace(/ +/g, ' ');
  return new Promise((done, reject) => {
    const child = spawn(unshare[0]!, unshare.slice(1), { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      record(run.args, stdout, stderr);
      done({ code, stdout, stderr, command });
    });
  });
}

/** Hands what a user saw to the suite-wide secret scan of test/run.ts, as runCli does (stdout left out where it is the
 * artifact). */
function record(args: string[], stdout: string, stderr: string): void {
  const file = process.env.HELPER_CLI_CAPTURE;
  if (!file) return;
  const artifact = args[0] === 'bootstrap-env' && !args.includes('--output-file');
  appendFileSync(file, JSON.stringify({ args: args.slice(0, 2), stderr, stdout: artifact ? '' : stdout }) + '\n', {
    mode: 0o600,
  });
}
