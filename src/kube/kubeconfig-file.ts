/**
 * A kubeconfig file named by a flag (--kubeconfig, --apply-to): read in one
 * place, so every command gives the same error for a missing, oversized or
 * non-UTF-8 file, and registers the file's credentials for redaction before
 * anything could print them.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { addSecret } from '../log.ts';

/** Larger than any real kubeconfig (hundreds of contexts fit in 1 MiB). */
export const KUBECONFIG_LIMIT = 16 * 1024 * 1024;

/** Registers a kubeconfig's tokens, client keys and passwords as secrets, so log output redacts them. */
export function registerKubeconfigSecrets(text: string): void {
  for (const m of text.matchAll(/^\s*(?:token|client-key-data|password):\s*["']?([^\s"']+)/gm)) addSecret(m[1]);
}

/** The file's text; InputError HELPER_KUBECONFIG_READ names the flag, the path and the problem. */
export function readKubeconfigFile(path: string, flag = '--kubeconfig'): string {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError('HELPER_KUBECONFIG_READ', `cannot read ${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(err)}`);
  }
  if (raw.byteLength > KUBECONFIG_LIMIT) throw new InputError('HELPER_KUBECONFIG_READ', `${flag} ${path} is ${raw.byteLength} bytes; the limit is 16 MiB`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new InputError('HELPER_KUBECONFIG_READ', `${flag} ${path} is not UTF-8 text`);
  }
  registerKubeconfigSecrets(text);
  return text;
}
