/**
 * The import rules of src/ (npm run -s deps, part of npm test): no circles, and the layering of the README's
 * Architecture section, "each importing only the ones below it":
 *   cli.ts (and warm-up.ts) → commands/ → lib/ (the library; index.ts re-exports it) → flows/ → the steps
 * with options/ (argv → the library's input, or a flow's options) beside lib/ and the shared kit (errors.ts, log.ts,
 * journal.ts, http.ts, retry.ts, ...) under everything. commands/status.ts and unbind.ts reach the flows only
 * through lib/.
 * Type-only imports count too: a type from a higher layer is still a dependency on it.
 */
const STEPS = '(validate|token|backend|render|kube|control-plane|write|report|status|unbind)';
const TOP = '^src/(cli|index|warm-up)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: split the shared part into its own module (issue 22).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'steps-import-no-verb-layer',
      severity: 'error',
      comment: 'Step modules are below the verbs: they never import flows/, options/, commands/ or cli.ts.',
      from: { path: `^src/${STEPS}/` },
      to: { path: ['^src/(flows|options|commands)/', TOP] },
    },
    {
      name: 'kit-imports-no-layer-above',
      severity: 'error',
      comment: 'The shared kit at src/*.ts (errors, log, journal, http, ...) is below everything.',
      from: { path: '^src/[^/]+\\.ts$', pathNot: TOP },
      to: { path: ['^src/(flows|options|commands)/', TOP] },
    },
    {
      name: 'options-import-no-flows',
      severity: 'error',
      comment: 'options/ is pure (argv, env) → options; flows/ take options, so options never import flows/.',
      from: { path: '^src/options/' },
      to: { path: ['^src/(flows|commands)/', TOP] },
    },
    {
      name: 'flows-import-no-commands',
      severity: 'error',
      comment: 'flows/ are called by commands/ (and the library): they never import commands/ or cli.ts.',
      from: { path: '^src/flows/' },
      to: { path: ['^src/commands/', TOP] },
    },
    {
      name: 'commands-import-no-cli',
      severity: 'error',
      comment: 'commands/ is wiring under the yargs root: it never imports cli.ts.',
      from: { path: '^src/commands/' },
      to: { path: TOP },
    },
    {
      name: 'lib-imports-no-commands',
      severity: 'error',
      comment: 'lib/ (the library) is below the CLI: it never imports commands/ or cli.ts, nor options/ code.',
      from: { path: '^src/lib/' },
      to: { path: ['^src/commands/', TOP] },
    },
    {
      name: 'lib-takes-no-argv',
      severity: 'error',
      comment: "lib/ takes plain inputs: at most a flow's option types from options/, never its argv code.",
      from: { path: '^src/lib/' },
      to: { path: '^src/options/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'below-lib-imports-no-lib',
      severity: 'error',
      comment: 'flows/, the step modules and the kit are below lib/: they never import it.',
      from: { path: ['^src/flows/', `^src/${STEPS}/`, '^src/[^/]+\\.ts$'], pathNot: TOP },
      to: { path: '^src/lib/' },
    },
    {
      name: 'options-import-lib-types-only',
      severity: 'error',
      comment: "options/ adapts argv to the library's input types; it never runs the library.",
      from: { path: '^src/options/' },
      to: { path: '^src/lib/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-verbs-on-the-library',
      severity: 'error',
      comment: 'bootstrap-env, status and unbind are built on the library (issue 22): they call lib/, never flows/.',
      from: { path: '^src/commands/(bootstrap-env|status|unbind)\\.ts$' },
      to: { path: '^src/flows/' },
    },
    {
      name: 'index-is-the-library',
      severity: 'error',
      comment: 'index.ts re-exports lib/ and the types of the steps; it never reaches flows/ or the CLI.',
      from: { path: '^src/index\\.ts$' },
      to: { path: ['^src/(flows|options|commands)/', '^src/cli\\.ts$'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.generated\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
