/**
 * The CRDs helper renders (src/render/crds.ts: the five klutch.anynines.com
 * CRDs of all.yaml and the example-backend's export-template CRD that
 * `control-plane render` can install) against Klutch v1.4.0's own files in
 * the bind Go module (deploy/crd/, contrib/deploy/crd/, read from the module
 * cache), structurally: every field, descriptions aside. Any difference not
 * listed in INTENDED fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { exportTemplateCrd, klutchCrds } from '../../src/render/crds.ts';
import { sandboxBinaries } from '../sandbox/cluster.ts';

/** Differences on purpose, by JSON path, with the reason. */
const INTENDED: Record<string, string> = {
  '/metadata/annotations': "controller-gen's version stamp: a build detail of upstream, not part of the API",
  '/metadata/creationTimestamp': 'upstream files carry `creationTimestamp: null` (Go marshalling); the server sets it',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops every `description` (documentation, not structure). */
function withoutDescriptions(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutDescriptions);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'description')
        .map(([k, x]) => [k, withoutDescriptions(x)]),
    );
  return v;
}

/** JSON paths where a and b differ (leaves, or a side missing). */
function differences(a: Json | undefined, b: Json | undefined, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const ao = a as Record<string, Json>;
    const bo = b as Record<string, Json>;
    return [...new Set([...Object.keys(ao), ...Object.keys(bo)])].flatMap((k) =>
      differences(ao[k], bo[k], `${path}/${k}`),
    );
  }
  return [path];
}

const bin = await sandboxBinaries();
const dirs = [join(bin.bindSrc, 'deploy', 'crd'), join(bin.bindSrc, 'contrib', 'deploy', 'crd')];
const upstream = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({
      file: join(d, f),
      crd: parse(readFileSync(join(d, f), 'utf8')) as Json & { metadata: { name: string } },
    })),
);
const ours = [...klutchCrds(), exportTemplateCrd('example-backend.klutch.anynines.com')] as unknown as Array<
  Json & { metadata: { name: string } }
>;

t.test('the module holds the six CRDs helper renders, and helper renders no other', async (t) => {
  t.same(upstream.map((u) => u.crd.metadata.name).sort(), ours.map((o) => o.metadata.name).sort());
  t.equal(upstream.length, 6);
});

for (const { file, crd } of upstream) {
  t.test(`${crd.metadata.name} equals ${file.slice(bin.bindSrc.length + 1)} apart from descriptions`, async (t) => {
    const mine = ours.find((o) => o.metadata.name === crd.metadata.name);
    t.ok(mine, 'helper renders it');
    const diff = differences(withoutDescriptions(mine!), withoutDescriptions(crd));
    const unexpected = diff.filter((p) => !(p in INTENDED));
    t.same(unexpected, [], `no unlisted difference (listed: ${Object.keys(INTENDED).join(', ')})`);
  });
}

t.test('the comparison can fail: a changed scope, version or property is reported', async (t) => {
  const crd = upstream.find((u) => u.crd.metadata.name === 'apiservicebindings.klutch.anynines.com')!.crd;
  const mutated = JSON.parse(JSON.stringify(crd)) as {
    spec: {
      scope: string;
      versions: Array<{ name: string; schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }>;
    };
  };
  mutated.spec.scope = 'Namespaced';
  mutated.spec.versions[0]!.name = 'v1beta1';
  delete mutated.spec.versions[0]!.schema.openAPIV3Schema.properties.status;
  const diff = differences(withoutDescriptions(mutated as unknown as Json), withoutDescriptions(crd));
  t.ok(diff.includes('/spec/scope'), 'scope');
  t.ok(diff.includes('/spec/versions/0/name'), 'version name');
  t.ok(diff.includes('/spec/versions/0/schema/openAPIV3Schema/properties/status'), 'a dropped property');
  t.same(
    differences(withoutDescriptions({ description: 'a', x: 1 }), withoutDescriptions({ description: 'b', x: 1 })),
    [],
    'descriptions alone are no difference',
  );
});
