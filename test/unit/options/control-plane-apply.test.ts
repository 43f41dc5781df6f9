/** control-plane apply's options: the call policy and its own flags. */
import t from 'tap';
import { controlPlaneApplyOptions } from '../../../src/options/control-plane-apply.ts';

const calls = { 'request-timeout': '30s', retries: 3 };

t.test('--prune, --dry-run, --timeout and the call policy', async (t) => {
  t.match(controlPlaneApplyOptions({ file: 'v', timeout: '5m', prune: true, 'dry-run': 'server', ...calls }, {}), {
    file: 'v',
    prune: true,
    dryRun: true,
    timeoutMs: 300_000,
    attempts: 4,
  });
  t.match(controlPlaneApplyOptions({ file: 'v', timeout: '5m', ...calls }, {}), { prune: false, dryRun: false });
});

t.test('a bad --retries or --timeout: exit 2 naming the flag', async (t) => {
  t.throws(() => controlPlaneApplyOptions({ file: 'v', timeout: '5m', ...calls, retries: 21 }, {}), {
    exitCode: 2,
    message: /--retries/,
  });
  t.throws(() => controlPlaneApplyOptions({ file: 'v', timeout: 'later', ...calls }, {}), {
    exitCode: 2,
    message: /--timeout "later"/,
  });
});
