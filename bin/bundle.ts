/**
 * esbuild settings shared by the two bundles of the CLI:
 *
 *   esm  dist/helper.mjs (+ dist/helper-<hash>.mjs chunks), what bin/helper runs, and the library
 *        dist/index.mjs (src/index.ts; package.json "exports") over the same chunks; written by
 *        `npm run build`. Code splitting keeps what a command loads lazily (the flows, undici,
 *        the Kubernetes client, Ajv's runtime) out of what --help loads.
 *   cjs  one file (not used by the build any more; kept for reading a profile of the whole CLI).
 *   seaChunks  the same split as esm, each chunk then turned into a CommonJS function body: the CLI
 *        inside the single executable, whose launcher loads a chunk when it is first required
 *        (bin/build-binary.ts), so --help compiles yargs and the commands, not the flows.
 *
 * Both bundle every dependency, so the npm package needs none installed. Two substitutions:
 * optional modules that are not installed become a module that throws MODULE_NOT_FOUND (what
 * callers see from sources), and `string-width` (yargs' help layout) is wrapped so that
 * printable ASCII, all of helper's help text, is measured without loading it: its module
 * initialisation (an emoji regular expression and an Intl.Segmenter) cost ~45 ms of every start.
 *
 * HELPER_BUNDLE_READABLE=1 leaves the output unminified, for reading a CPU profile by line.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { build, transform, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Optional requires resolve to a module that throws MODULE_NOT_FOUND, exactly what callers see when the package is
 * absent. */
function stubPlugin(names: string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
  return {
    name: 'stub-optional',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub-optional' }));
      b.onLoad({ filter: /.*/, namespace: 'stub-optional' }, (args) => ({
        contents:
          `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}); e.code = ` +
          `'MODULE_NOT_FOUND'; throw e;`,
        loader: 'js',
      }));
    },
  };
}

/**
 * `import stringWidth from 'string-width'` gets a function that answers printable ASCII (one
 * column per character, exactly what string-width returns for it) itself and loads the real
 * module, resolved as the importer would, on the first other string.
 */
function lazyStringWidth(): Plugin {
  return {
    name: 'lazy-string-width',
    setup(b) {
      b.onResolve({ filter: /^string-width$/ }, async (args) => {
        if (args.namespace === 'lazy-string-width') return undefined;
        const real = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          namespace: 'lazy-string-width',
        });
        if (real.errors.length) return { errors: real.errors };
        return { path: real.path, namespace: 'lazy-string-width' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
        contents: [
          'let real;',
          'export default function stringWidth(s, options) {',
          '  if (typeof s === "string" && /^[\\x20-\\x7e]*$/.test(s)) return s.length;',
          `  real ??= require(${JSON.stringify(args.path)}).default;`,
          '  return real(s, options);',
          '}',
        ].join('\n'),
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
    },
  };
}

export interface BundleOptions {
  format: 'esm' | 'cjs';
  /** esm: the output directory; cjs: the output file. */
  out: string;
  /** The module (from the package root) whose `entryExport` starts the CLI (cjs: exported with `main`). */
  entry: string;
  entryExport?: string;
  stubModules: string[];
  /** esm only: also this library entry (src/index.ts) as dist/index.mjs, sharing the CLI's chunks. */
  library?: string;
}

/**
 * The esm split build without its createRequire banner, each chunk turned into CommonJS:
 * `import` → require("./helper-<hash>.mjs"), import() → a promise of require(), import.meta.url →
 * the parameter __sea_import_meta_url. Returns the chunks by file name; the entry is helper.mjs.
 */
export async function seaChunks(o: Omit<BundleOptions, 'format'>): Promise<Map<string, string>> {
  const meta = await bundle({ ...o, format: 'esm', banner: false });
  const chunks = new Map<string, string>();
  for (const file of Object.keys(meta.outputs)) {
    const name = file.split('/').pop()!;
    const r = await transform(readFileSync(join(root, file), 'utf8'), {
      format: 'cjs',
      platform: 'node',
      target: 'node22.19',
      loader: 'js',
      define: { 'import.meta.url': '__sea_import_meta_url' },
      supported: { 'dynamic-import': false },
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'none',
    });
    chunks.set(name, r.code);
  }
  return chunks;
}

export async function bundle(o: BundleOptions & { banner?: boolean }): Promise<Metafile> {
  const common: BuildOptions = {
    bundle: true,
    absWorkingDir: root,
    platform: 'node',
    target: 'node22.19',
    minifyWhitespace: process.env.HELPER_BUNDLE_READABLE !== '1',
    minifySyntax: process.env.HELPER_BUNDLE_READABLE !== '1',
    plugins: [stubPlugin(o.stubModules), lazyStringWidth()],
    logLevel: 'warning',
    metafile: true,
    legalComments: 'none',
  };
  const result =
    o.format === 'esm'
      ? await build({
          ...common,
          entryPoints: { helper: join(root, o.entry), ...(o.library ? { index: join(root, o.library) } : {}) },
          format: 'esm',
          splitting: true,
          outdir: o.out,
          outExtension: { '.js': '.mjs' },
          // Flat, beside the entry: src/assets.ts finds package.json and schemas/ one level up.
          chunkNames: 'helper-[hash]',
          // CommonJS dependencies require() Node's built-in modules.
          ...(o.banner === false
            ? {}
            : {
                banner: {
                  js:
                    'import { createRequire as __helperRequire } from "node:module"; const require = ' +
                    '__helperRequire(import.meta.url);',
                },
              }),
        })
      : await build({
          ...common,
          stdin: {
            // The single executable's launcher (bin/build-binary.ts) loads this and calls run().
            contents: `export { ${o.entryExport}, main } from ${JSON.stringify(`./${o.entry}`)};`,
            resolveDir: root,
            sourcefile: 'sea-main.ts',
            loader: 'ts',
          },
          format: 'cjs',
          outfile: o.out,
          // yargs and our own modules use import.meta.url, which CommonJS lacks; in the SEA __filename is the
          // executable.
          banner: { js: 'const __sea_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
          define: { 'import.meta.url': '__sea_import_meta_url' },
          // Node refuses import() in a SEA main script compiled with a code cache; as require() it also works without
          // one.
          supported: { 'dynamic-import': false },
        });
  if (result.errors.length) throw new Error('esbuild failed');
  return result.metafile!;
}
