/**
 * `npm run docs`: rewrites the README's exit-code table from EXIT_CODES
 * (src/errors.ts), the one place the codes are written down.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { exitCodesMarkdown } from '../src/errors.ts';

const file = new URL('../README.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const m = /(<!-- exit-codes:[^\n]*-->\n)[\s\S]*?(\n<!-- \/exit-codes -->)/.exec(text);
if (!m) throw new Error('README.md has no <!-- exit-codes: ... --> ... <!-- /exit-codes --> block');
const next = text.replace(m[0], `${m[1]}${exitCodesMarkdown()}${m[2]}`);
if (next !== text) writeFileSync(file, next);
process.stderr.write(
  next === text ? 'docs: README exit-code table up to date\n' : 'docs: README exit-code table rewritten\n',
);
