import { readFileSync } from 'node:fs';
import t from 'tap';
import { readAsset } from '../../src/assets.ts';

// The SEA branch runs only inside the executable; test/e2e/binary.test.ts covers it.
t.test('outside the executable, assets are files relative to the package root', async (t) => {
  t.equal(readAsset('package.json'), readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const schema = JSON.parse(readAsset('schemas/binding.schema.json')) as { $schema?: string };
  t.match(schema.$schema, /2020-12/);
  t.throws(() => readAsset('schemas/no-such.json'), { code: 'ENOENT' });
});
