/**
 * The one resource table: every entry is mapped by the client without
 * discovery, to the path its plural and scope give; nothing else in src/
 * spells a plural of the table (no second table of kinds or plurals).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { groupVersionPath, kindOf, KINDS, resourceOf } from '../../../src/kube/resources.ts';
import { mockApi } from '../../helpers/mock-api.ts';

t.test('the table: one entry per kind, each found by its kind; other kinds are not in it', async (t) => {
  const entries = Object.values(KINDS);
  t.equal(new Set(entries.map((r) => `${r.apiVersion}/${r.kind}`)).size, entries.length, 'no kind twice');
  for (const r of entries) t.equal(resourceOf({ apiVersion: r.apiVersion, kind: r.kind }), r);
  t.equal(resourceOf({ apiVersion: 'v1', kind: 'Node' }), undefined);
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } };
  t.same(kindOf(deployment), { apiVersion: 'apps/v1', kind: 'Deployment' });
  t.equal(groupVersionPath('v1'), '/api/v1');
  t.equal(groupVersionPath('apps/v1'), '/apis/apps/v1');
});

t.test('every entry is read at its own path without discovery', async (t) => {
  const { client, sent } = mockApi(t, () => ({ status: 200, body: { metadata: { name: 'x' } } }));
  for (const r of Object.values(KINDS)) {
    sent.length = 0;
    await client.get(r, 'x', 'ns');
    const base = `${groupVersionPath(r.apiVersion)}${r.namespaced ? '/namespaces/ns' : ''}/${r.plural}/x`;
    t.same(
      sent.map((s) => `${s.method} ${s.path}`),
      [`GET ${base}`],
      `${r.kind}: one GET, no discovery`,
    );
  }
});

t.test('no plural of the table is spelled out in src/ outside the table', async (t) => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(join(import.meta.dirname, '../../../src/kube'));
  const plurals = Object.values(KINDS)
    .filter((r) => r.apiVersion.startsWith('klutch.'))
    .map((r) => r.plural);
  const found = files
    .filter((f) => !f.endsWith('resources.ts'))
    .flatMap((f) => plurals.filter((p) => readFileSync(f, 'utf8').includes(`'${p}'`)).map((p) => `${f}: '${p}'`));
  t.same(found, [], 'klutch plurals are only in resources.ts');
});
