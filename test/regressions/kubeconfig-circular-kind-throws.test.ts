/**
 * Bug: inspectKubeconfig, documented never to throw, threw TypeError
 * ("Converting circular structure to JSON") for a kubeconfig whose kind is a
 * self-referencing alias (kind: &k [*k]), while quoting kind in a problem.
 * Found by test/unit/hostile/kubeconfig.test.ts.
 */
import t from 'tap';
import { inspectKubeconfig } from '../../src/kube/kubeconfig.ts';

t.test('circular, structured and huge kinds are problems, not exceptions', async (t) => {
  const cases: Array<[string, string]> = [
    ['kind: &k [*k]\n', 'kind is a list, expected "Config"'],
    ['kind: &k {self: *k}\n', 'kind is a mapping, expected "Config"'],
    ['kind: 5\n', 'kind is 5, expected "Config"'],
    ['kind: null\n', 'kind is null, expected "Config"'],
    ['kind: Pod\n', 'kind is "Pod", expected "Config"'],
    [`kind: ${'x'.repeat(1 << 20)}\n`, `kind is "${'x'.repeat(80)}…", expected "Config"`],
  ];
  for (const [text, problem] of cases) {
    let r: ReturnType<typeof inspectKubeconfig> | undefined;
    t.doesNotThrow(
      () => {
        r = inspectKubeconfig(text);
      },
      text.slice(0, 40),
    );
    t.same(r, { ok: false, problems: [problem, 'current-context is not set'] }, text.slice(0, 40));
  }
});
