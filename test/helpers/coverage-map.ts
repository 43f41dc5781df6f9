/**
 * tap's coverage map (.taprc): which tests measure coverage of src/. The in-process tests (test/unit/,
 * test/regressions/, test/helpers/*.test.ts) import src/ directly (Node's type stripping), so their coverage
 * is src/'s, line for line. The e2e tests run the dist/ bundle in child processes against the sandbox, and
 * the sandbox's own tests (test/sandbox/) test the sandbox: their coverage would be the bundle's or the
 * sandbox's, not src/'s, and would move with the sandbox's timing: they measure none (null).
 */
export default function coverageMap(testFile: string): string[] | null {
  return /(^|\/)test\/(unit|regressions|helpers)\//.test(testFile.replaceAll('\\', '/')) ? [] : null;
}
