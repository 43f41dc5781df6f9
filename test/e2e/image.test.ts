/**
 * The container image (dist/image/helper.oci.tar, built by `npm run build:image`, which `npm test`
 * runs first; this test builds nothing): a valid OCI archive as skopeo and umoci read it, whose
 * config runs /helper as uid 65532 with no environment and carries the OCI labels, and whose root
 * filesystem holds exactly the executable, the libraries it loads, the CA bundle, passwd/group and
 * a writable /tmp. Unpacked, it runs helper with an empty environment as uid 65532 in an isolated
 * root (unshare + chroot: no container runtime can run here, see test/helpers/image.ts):
 * --version and an invalid binding (exit 3) as uid 65532 with no network, and a whole bootstrap-env
 * against the sandbox the way README's CI step runs the image (another uid, a mounted workspace as
 * the working directory; test/e2e/job.test.ts binds as 65532, from the Job's manifest).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t from 'tap';
import { kubectl } from '../sandbox/cluster.ts';
import { imageArchive, imageIndex, imageMissing, runInImage, unpackImage, type Image } from '../helpers/image.ts';
import { jwtsIn, repoRoot } from '../helpers/run-cli.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const missing = imageMissing();

/** Every file, directory and link under `dir`, relative, with its type. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(`${relative(dir, p)}${e.isDirectory() ? '/' : e.isSymbolicLink() ? '@' : ''}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** What the image's own dynamic loader lists for /helper, run on the image's libraries only (guest paths). */
function loaderList(image: Image, arch: 'amd64' | 'arm64'): string[] {
  const r =
    arch === 'amd64'
      ? spawnSync('ldd', [join(image.rootfs, 'helper')], { encoding: 'utf8' })
      : spawnSync(
          'qemu-aarch64-static',
          [
            '-L',
            image.rootfs,
            join(image.rootfs, 'lib', 'ld-linux-aarch64.so.1'),
            '--list',
            join(image.rootfs, 'helper'),
          ],
          { encoding: 'utf8' },
        );
  return r.stdout.split('\n').flatMap((l) => {
    const m = /^\s*(?:(\S+) => )?(\/\S+) \(0x/.exec(l);
    if (!m) return [];
    return [m[2]!.startsWith(image.rootfs) ? m[1]! : m[2]!];
  });
}

const qemu = spawnSync('qemu-aarch64-static', ['--version']).error ? undefined : 'qemu-aarch64-static';

if (missing) {
  t.fail(missing);
} else {
  t.test('the archive is an OCI image index of linux/amd64 and linux/arm64, tagged with the version', async (t) => {
    const index = imageIndex();
    t.equal(index.tag, pkg.version);
    t.same(index.platforms, ['linux/amd64', 'linux/arm64']);
    t.comment(`image archive ${(statSync(imageArchive).size / 1e6).toFixed(1)} MB (both images)`);
  });

  for (const arch of ['amd64', 'arm64'] as const) {
    // arm64 runs under qemu user-mode emulation (bin/ensure-qemu.sh installs it; npm test runs it).
    const emulator = arch === 'arm64' ? qemu : undefined;
    if (arch === 'arm64' && !emulator) {
      t.fail('qemu-aarch64-static is not installed: run "bash bin/ensure-qemu.sh" (npm test does)');
      continue;
    }
    const image: Image = unpackImage(t, arch);
    const { config } = image.config;
    const bytes = Number(spawnSync('du', ['-sb', image.rootfs], { encoding: 'utf8' }).stdout.split('\t')[0]);
    t.comment(`linux/${arch} root filesystem ${(bytes / 1e6).toFixed(1)} MB`);

    t.test(`linux/${arch}: the config runs /helper as 65532 with no environment and the OCI labels`, async (t) => {
      t.equal(image.config.os, 'linux');
      t.equal(image.config.architecture, arch);
      t.equal(image.inspect.Layers.length, 1, 'one layer, on nothing (scratch)');
      t.equal(config.User, '65532:65532', 'USER 65532:65532');
      t.same(config.Entrypoint, ['/helper'], 'ENTRYPOINT ["/helper"]');
      t.notOk(config.Cmd?.length, 'no CMD');
      t.notOk(config.Env?.length, 'no environment');
      const labels = config.Labels ?? {};
      t.same(image.inspect.Labels, labels, 'skopeo shows the same labels');
      t.equal(labels['org.opencontainers.image.version'], pkg.version);
      t.equal(labels['org.opencontainers.image.licenses'], 'Apache-2.0');
      t.match(labels['org.opencontainers.image.source'], /^https:\/\/\S+$/);
      t.match(labels['org.opencontainers.image.created'], /^\d{4}-\d\d-\d\dT/);
      const revision = labels['org.opencontainers.image.revision'] ?? '';
      t.match(revision, /^[0-9a-f]{40}$/, 'revision is a commit id');
      t.equal(
        spawnSync('git', ['-C', repoRoot, 'cat-file', '-e', `${revision}^{commit}`]).status,
        0,
        `revision ${revision} is a commit of this repository`,
      );
    });

    t.test(`linux/${arch}: the root filesystem holds exactly what the executable needs`, async (t) => {
      t.equal(
        readFileSync(join(image.rootfs, 'helper')).readUInt16LE(18),
        arch === 'amd64' ? 0x3e : 0xb7,
        `/helper is a ${arch} executable`,
      );
      const libs = loaderList(image, arch);
      t.ok(libs.length >= 5, `the loader lists the libraries: ${libs.join(' ')}`);
      const dirsOf = (p: string) =>
        p
          .split('/')
          .slice(1, -1)
          .map((_, i, a) => `${a.slice(0, i + 1).join('/')}/`);
      const expected = new Set([
        'helper',
        'etc/',
        'etc/passwd',
        'etc/group',
        'etc/ssl/',
        'etc/ssl/certs/',
        'etc/ssl/certs/ca-certificates.crt',
        'tmp/',
        'home/',
        'home/nonroot/',
        ...libs.flatMap((l) => [l.slice(1), ...dirsOf(l)]),
      ]);
      t.same(tree(image.rootfs), [...expected].sort(), 'nothing else (no shell, no package manager)');
      const mode = (p: string) => statSync(join(image.rootfs, p)).mode & 0o7777;
      t.equal(mode('tmp'), 0o1777, '/tmp is writable by anyone, sticky');
      t.equal(mode('helper') & 0o111, 0o111, '/helper is executable');
      t.equal(statSync(join(image.rootfs, 'home', 'nonroot')).uid, 65532, 'nonroot owns its home');
      t.equal(statSync(join(image.rootfs, 'helper')).uid, 0, "the executable is root's: the user cannot change it");
      t.match(
        readFileSync(join(image.rootfs, 'etc', 'passwd'), 'utf8'),
        /^nonroot:x:65532:65532:[^:]*:\/home\/nonroot:/m,
      );
      t.match(readFileSync(join(image.rootfs, 'etc', 'group'), 'utf8'), /^nonroot:x:65532:/m);
      t.match(
        readFileSync(join(image.rootfs, 'etc', 'ssl', 'certs', 'ca-certificates.crt'), 'utf8'),
        /-----BEGIN CERTIFICATE-----/,
      );
    });

    t.test(
      `linux/${arch}: --version and an invalid binding in an isolated root, empty environment, uid 65532, no ` +
        `network${emulator ? ' (under qemu)' : ''}`,
      async (t) => {
        const v = await runInImage(image, { args: ['--version'], emulator });
        t.equal(v.code, 0, `${v.command}: ${v.stderr}`);
        t.equal(v.stdout, `${pkg.version}\n`);
        t.equal(v.stderr, '');

        writeFileSync(join(image.rootfs, 'tmp', 'bad.json'), JSON.stringify({ clusterID: 5 }));
        const bad = await runInImage(image, {
          args: ['bootstrap-env', '-f', '/tmp/bad.json', '-u', 'https://127.0.0.1:9', '--output-file', '/tmp/all.yaml'],
          env: { OIDC_CLIENT_ID: 'c', OIDC_CLIENT_SECRET: 's', OIDC_TOKEN_URL: 'https://127.0.0.1:9/token' },
          emulator,
        });
        t.equal(bad.code, 3, `exit 3 (input), stderr: ${bad.stderr}`);
        t.match(bad.stderr, /\/tmp\/bad\.json is not a valid binding/);
        t.match(bad.stderr, /\/clusterID: must be string/, 'the schemas come from inside the executable');
        t.equal(bad.stdout, '');
        t.same(readdirSync(join(image.rootfs, 'tmp')), ['bad.json'], 'nothing written');
      },
    );
    if (arch === 'arm64') continue;

    t.test(
      "a whole bootstrap-env against the sandbox as README's CI step runs it (docker run --user -v " +
        '$PWD:/work -w /work)',
      async (t) => {
        const sb = await useSandbox(t);
        // The CI job's workspace, owned by the CI user (not the image's), mounted at /work; the
        // sandbox's CA is in it (the chroot sees nothing of the host).
        const ciUser = 1001;
        const workspace = mkdtempSync(join(tmpdir(), 'helper-image-ci-'));
        t.teardown(() => rmSync(workspace, { recursive: true, force: true }));
        const clusterID = `image-${randomBytes(4).toString('hex')}`;
        writeFileSync(
          join(workspace, 'binding.json'),
          JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }),
        );
        copyFileSync(sb.caFile, join(workspace, 'ca.pem'));
        for (const p of [workspace, join(workspace, 'binding.json'), join(workspace, 'ca.pem')])
          chownSync(p, ciUser, ciUser);
        const r = await runInImage(image, {
          args: [
            'bootstrap-env',
            '-f',
            'binding.json',
            '--write-kubeconfig',
            'provider.kfg.yaml',
            '--output-file',
            'all.yaml',
          ],
          env: { ...sb.env, HELPER_BIND_URL: sb.bindUrl, HELPER_CA_FILE: 'ca.pem' },
          user: `${ciUser}:${ciUser}`,
          mounts: [{ source: workspace, target: '/work' }],
          workdir: '/work',
          isolateNet: false, // the sandbox listens on the host's loopback
        });
        t.equal(r.code, 0, `${r.command}: ${r.stderr}`);
        t.equal(r.stdout, '', 'stdout empty: the artifacts are files');
        t.notOk(r.stderr.includes(sb.env.OIDC_CLIENT_SECRET), 'client secret not on stderr');
        t.same(jwtsIn(r.stderr), [], 'no token on stderr');
        for (const f of ['provider.kfg.yaml', 'all.yaml']) {
          const st = statSync(join(workspace, f));
          t.equal(st.mode & 0o777, 0o600, `${f} mode 0600`);
          t.equal(st.uid, ciUser, `${f} belongs to the CI user`);
        }
        const ns = /namespace: (\S+)/.exec(readFileSync(join(workspace, 'provider.kfg.yaml'), 'utf8'))?.[1] ?? '';
        t.match(ns, /\S/, 'the provider kubeconfig names the cluster namespace');
        t.match(readFileSync(join(workspace, 'all.yaml'), 'utf8'), /kind: APIServiceBinding/);
        const phases = await kubectl(sb.bin, sb.controlPlane.kubeconfig, [
          'get',
          'apiserviceexportrequests.klutch.anynines.com',
          '-n',
          ns,
          '-o',
          'jsonpath={.items[*].status.phase}',
        ]);
        t.same(
          phases.stdout.split(/\s+/).filter(Boolean),
          ['Succeeded'],
          'the export request Succeeded on the control plane',
        );
      },
    );
  }
}
