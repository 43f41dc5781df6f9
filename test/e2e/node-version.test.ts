/**
 * bin/helper under a Node.js older than `engines` (>= 22.19) says so and
 * exits 1, instead of crashing inside a dependency (undici failed with
 * "Cannot read properties of undefined (reading 'bind')", reported as a bug
 * in helper). This machine's system Node (Debian's, 20.x) is the old one; a
 * machine without an old Node skips the test and says why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/run-cli.ts';

function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/usr/bin/nodejs']) {
    try {
      const v = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      const [major, minor] = v.split('.').map(Number) as [number, number];
      if (major < 22 || (major === 22 && minor < 19)) return candidate;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** Runs bin/helper under `node` as a user would: tap hooks children through NODE_OPTIONS, which `env -u` drops. */
function plain(node: string, args: string[]) {
  return spawnSync('env', ['-u', 'NODE_OPTIONS', node, join(repoRoot, 'bin', 'helper'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
}

const node = oldNode();
t.test(
  'an old Node gets a clear message and exit 1',
  { skip: node ? false : 'no Node.js older than 22.19 on this machine' },
  async (t) => {
    const r = plain(node!, ['bootstrap-env', '--help']);
    t.equal(r.status, 1);
    t.match(
      r.stderr,
      /^error: helper needs Node\.js >= 22\.19, but \S+ is v\d+\.\d+\.\d+\nhint: install Node\.js 24 LTS/,
    );
    t.equal(r.stdout, '');
  },
);

t.test('the pinned Node runs it', async (t) => {
  const r = plain(process.execPath, ['--version']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});
