/**
 * The long-lived sandbox process behind `npm run sandbox -- up`: starts the
 * sandbox in --dir, writes sandbox.env / sandbox.json and `ready` (or
 * `failed` with the reason), and stops everything on SIGTERM/SIGINT.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sandboxInfo, startSandbox, writeSandboxInfo } from './sandbox.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
const dir = values.dir;
if (!dir) throw new Error('daemon: --dir is required');

let stopping = false;
try {
  const sb = await startSandbox({ dir });
  writeSandboxInfo(sandboxInfo(sb), join(dir, 'sandbox.env'));
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await sb.stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  writeFileSync(join(dir, 'ready'), `${process.pid}\n`);
} catch (err) {
  writeFileSync(join(dir, 'failed'), `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
