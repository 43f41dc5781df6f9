/** control-plane apply's flow in process: a recording apply; the journal (n of m on failure, nothing on a dry run). */
import t from 'tap';
import { controlPlaneApply } from '../../../src/flows/control-plane-apply.ts';
import { Journal } from '../../../src/journal.ts';
import { controlPlaneApplyOptions } from '../../../src/options/control-plane-apply.ts';
import { FakeFiles } from '../../helpers/flow-fakes.ts';
import { ENV, kube, VALUES } from '../../helpers/control-plane-fakes.ts';

const applyArgv = (extra: Record<string, unknown> = {}) => ({
  file: '-',
  kubeconfig: 'cp.kubeconfig',
  timeout: '5m',
  'request-timeout': '5s',
  retries: 0,
  seed: 'env:SEED',
  ...extra,
});

t.test('apply: every rendered object applied and in the journal; a dry run records nothing', async (t) => {
  const k = kube();
  const journal = new Journal();
  const out = await controlPlaneApply(controlPlaneApplyOptions(applyArgv(), ENV), {
    files: new FakeFiles({ '-': VALUES }),
    kube: k as never,
    journal,
  });
  t.same(out, {});
  t.ok(k.applied.length > 10);
  t.equal(journal.applied?.server, 'control plane 127.0.0.1:6443');
  t.equal(journal.applied?.objects.length, k.applied.length);
  const dry = new Journal();
  await controlPlaneApply(controlPlaneApplyOptions(applyArgv({ 'dry-run': 'server' }), ENV), {
    files: new FakeFiles({ '-': VALUES }),
    kube: kube() as never,
    journal: dry,
  });
  t.ok(dry.empty);
});

t.test('apply failing part way: the journal says how many of how many', async (t) => {
  const journal = new Journal();
  await t.rejects(
    controlPlaneApply(controlPlaneApplyOptions(applyArgv(), ENV), {
      files: new FakeFiles({ '-': VALUES }),
      kube: kube(undefined, 3) as never,
      journal,
    }),
  );
  t.match(
    journal.warnings()[0],
    /^already applied to control plane 127\.0\.0\.1:6443: 3 of \d+ object\(s\) \(CustomResourceDefinition /,
  );
});
