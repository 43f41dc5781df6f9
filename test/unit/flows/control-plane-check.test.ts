/** control-plane check's flow in process on an in-memory ObjectClient (MemoryCluster): the report for stdout and its
 * verdict. */
import t from 'tap';
import { controlPlaneCheck, runCheck, checkError as verdictError } from '../../../src/flows/control-plane-check.ts';
import { controlPlaneCheckOptions } from '../../../src/options/control-plane-check.ts';
import { FakeFiles } from '../../helpers/flow-fakes.ts';
import { ENV, kube, VALUES } from '../../helpers/control-plane-fakes.ts';

t.test('check of an empty cluster: the report on stdout, then exit 6 naming the first problem', async (t) => {
  const out = await controlPlaneCheck(
    controlPlaneCheckOptions(
      { file: '-', kubeconfig: 'cp.kubeconfig', 'request-timeout': '5s', retries: 0, output: 'json' },
      ENV,
    ),
    { files: new FakeFiles({ '-': VALUES }), kube: kube() as never },
  );
  const report = JSON.parse(out.stdout!);
  t.ok(report.counts.missing > 0);
  t.equal(out.error?.exitCode, 6);
  t.equal(out.error?.code, 'HELPER_CP_INCOMPLETE');
  t.match(
    out.error?.message,
    /^control plane 127\.0\.0\.1:6443 is not set up: \d+ missing, \d+ invalid, \d+ not ready \(see the report\); first: /,
  );
});

t.test("the library's check (runCheck): the typed report and its error, no JSON to parse back", async (t) => {
  const { report, error } = await runCheck(
    controlPlaneCheckOptions({ file: '-', kubeconfig: 'cp.kubeconfig', 'request-timeout': '5s', retries: 0 }, ENV),
    { files: new FakeFiles({ '-': VALUES }), kube: kube() as never },
  );
  t.equal(report.verdict, 'incomplete');
  t.ok(report.counts.missing > 0);
  t.match(report.items[0], { side: 'control-plane', kind: String, name: String, verdict: String, detail: String });
  t.equal(error?.code, 'HELPER_CP_INCOMPLETE');
});

t.test('check verdicts: not ready fails only with --require-ready', async (t) => {
  const notReady = {
    verdict: 'not-ready',
    counts: { ok: 3, missing: 0, invalid: 0, 'not-ready': 1, 'cannot-see': 1 },
    firstProblem: { kind: 'Deployment', namespace: 'bind', name: 'anynines-backend', detail: 'waiting' },
  } as never;
  t.match(verdictError(notReady, 'h:6443', true), {
    code: 'HELPER_CP_NOT_READY',
    exitCode: 6,
    hint: '--no-require-ready only checks what is installed',
  });
  t.equal(verdictError(notReady, 'h:6443', false), undefined);
  t.equal(
    verdictError(
      { verdict: 'healthy', counts: { ok: 3, missing: 0, invalid: 0, 'not-ready': 0, 'cannot-see': 0 } } as never,
      'h',
      true,
    ),
    undefined,
  );
});
