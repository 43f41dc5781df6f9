import t from 'tap';
import { parseDuration } from '../../src/duration.ts';

t.test('durations', async (t) => {
  t.equal(parseDuration('--timeout', '90s'), 90_000);
  t.equal(parseDuration('--timeout', '5m'), 300_000);
  t.equal(parseDuration('--timeout', '1h30m'), 5_400_000);
  t.equal(parseDuration('--timeout', '250ms'), 250);
  t.equal(parseDuration('--timeout', '2'), 2000);
  for (const bad of ['', 'soon', '5 m', '-1s', '5d', '1m junk']) {
    t.throws(
      () => parseDuration('--timeout', bad),
      { exitCode: 2, message: /--timeout .* is not a duration/ },
      JSON.stringify(bad),
    );
  }
});
