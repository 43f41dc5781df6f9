/**
 * Part of `npm run build`: bundles the CLI into dist/helper.mjs and its chunks (see bin/bundle.ts),
 * which bin/helper runs and the npm package ships, and the library into dist/index.mjs over the same
 * chunks (its declarations: tsconfig.lib.json). Chunks of earlier builds are removed first.
 */
import { globSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundle, root } from './bundle.ts';

const started = performance.now();
const cfg = JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8')) as { entry: string; stubModules: string[] };
const out = join(root, 'dist');
for (const f of globSync(['helper*.mjs', 'index.mjs'], { cwd: out })) rmSync(join(out, f));
const meta = await bundle({
  format: 'esm',
  out,
  entry: cfg.entry,
  stubModules: cfg.stubModules,
  library: 'src/index.ts',
});
const files = Object.entries(meta.outputs);
const bytes = files.reduce((n, [, o]) => n + o.bytes, 0);
const entries = `${relative(root, join(out, 'helper.mjs'))}, dist/index.mjs`;
process.stderr.write(
  `build: ${entries} and ${files.length - 2} chunks (${(bytes / 1e6).toFixed(1)} MB) in ` +
    `${((performance.now() - started) / 1000).toFixed(1)}s\n`,
);
