/**
 * Files that ship with helper (schemas/, package.json), by their path from the
 * package root. In the single executable they are SEA assets (the build puts
 * them there under the same path, see pkg.config.json); otherwise they are read
 * from the checkout or the installed package, one level above src/ and dist/.
 */
import { readFileSync } from 'node:fs';
import { getAsset, isSea } from 'node:sea';

export function readAsset(relPath: string): string {
  if (isSea()) return getAsset(relPath, 'utf8');
  return readFileSync(new URL(`../${relPath}`, import.meta.url), 'utf8');
}
