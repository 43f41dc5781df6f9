/**
 * Render against the setup page, object by object and field by field: the
 * page's objects (test/helpers/page-setup.ts, written from the page's steps)
 * are compared with what render produces for the same inputs, the way
 * server-side apply would change them. Every difference must be one the
 * README table "Deliberate differences from the setup page" lists, and
 * every object that table names must be one render produces: so a rename in
 * render, or a new difference, fails here until the table says so.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { diffObject } from '../../../src/control-plane/diff.ts';
import { keysFromSeed } from '../../../src/control-plane/keys.ts';
import { objectId, renderControlPlane } from '../../../src/control-plane/render.ts';
import { parseValues, settingsOf } from '../../../src/control-plane/values.ts';
import {
  asStored,
  DOCUMENTED_FIELD_DIFFERENCES,
  idOf,
  pageObjects,
  type PageInputs,
} from '../../helpers/page-setup.ts';

const caPem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const keys = keysFromSeed('differences test seed, long enough');
const endpoint = (ds: string, which: string) => ({
  url: `https://${ds}-${which}.corp.test`,
  username: `${ds}-${which}-user`,
  password: `${ds}-${which}-pass-1`,
});
const page: PageInputs = {
  host: 'bind.corp.test',
  acmeEmail: 'ops@corp.test',
  oidcIssuerUrl: 'https://idp.corp.test/realms/klutch',
  oidcClientSecret: 'oidc-secret-1',
  caBase64: Buffer.from(caPem).toString('base64'),
  externalAddress: 'https://api.cp.corp.test:6443',
  signingKey: keys.signingKey,
  encryptionKey: keys.encryptionKey,
  dataServices: Object.fromEntries(
    ['postgresql', 'mariadb', 'mongodb'].map((ds) => [
      ds,
      { serviceBroker: endpoint(ds, 'sb'), backupManager: endpoint(ds, 'bm') },
    ]),
  ),
};
const values = `backend:
  host: bind.corp.test
  externalAddress: https://api.cp.corp.test:6443
oidc:
  issuerUrl: https://idp.corp.test/realms/klutch
  clientSecret: env:X
tls:
  acme:
    email: ops@corp.test
dataServices:
${['mariadb', 'mongodb', 'postgresql']
  .map(
    (ds) => `  ${ds}:
    serviceBroker: { url: "https://${ds}-sb.corp.test", username: env:U, password: env:P }
    backupManager: { url: "https://${ds}-bm.corp.test", username: env:U, password: env:P }`,
  )
  .join('\n')}
`;
const settings = settingsOf(parseValues(values, 'v'));
const rendered = renderControlPlane({
  settings,
  secrets: {
    oidcClientSecret: page.oidcClientSecret,
    endpoints: Object.fromEntries(
      Object.entries(page.dataServices).map(([ds, e]) => [
        ds,
        {
          serviceBroker: { username: e.serviceBroker.username, password: e.serviceBroker.password },
          backupManager: { username: e.backupManager.username, password: e.backupManager.password },
        },
      ]),
    ),
  },
  externalAddress: page.externalAddress,
  caPem,
  cookieKeys: keys,
});
const pageById = new Map(
  pageObjects(page)
    .map(asStored)
    .map((o) => [idOf(o), o as Record<string, unknown>]),
);
const diffs = rendered.map((o) => diffObject(o, pageById.get(objectId(o))));

/** The first column of the README table, its backticked object names. */
function tableObjects(): string[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const at = readme.indexOf('#### Deliberate differences from the setup page');
  if (at < 0) throw new Error('README has no "Deliberate differences from the setup page" section');
  // The first table after the heading, up to the first line that is no table row.
  const lines = readme.slice(at).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const last = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  const rows = lines
    .slice(first, last < 0 ? undefined : last)
    .filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| Object'));
  return rows.map((r) => /^\| `([^`]+)`/.exec(r)?.[1] ?? r.split('|')[1]!.trim());
}

t.test('everything the page creates, render creates under the same name', async (t) => {
  const renderedIds = new Set(rendered.map(objectId));
  t.same(
    [...pageById.keys()].filter((id) => !renderedIds.has(id)),
    [],
    'no page object that render lacks or names differently',
  );
  t.same(
    diffs.filter((d) => d.created).map((d) => d.object),
    ['Function function-patch-and-transform'],
    'the only object render adds is the function the compositions call',
  );
});

t.test('every field difference from the page is a documented one, and each documented one occurs', async (t) => {
  const changed = diffs.filter((d) => d.fields.length);
  for (const d of changed) {
    const allowed = DOCUMENTED_FIELD_DIFFERENCES[d.object];
    t.ok(allowed, `${d.object} differs from the page (${d.fields.join('; ')}): documented?`);
    for (const f of d.fields) t.match(f, allowed ?? /^$/, `${d.object}: ${f}`);
  }
  t.same(changed.map((d) => d.object).sort(), Object.keys(DOCUMENTED_FIELD_DIFFERENCES).sort());
  t.match(
    changed.find((d) => d.object === 'ClusterRole kube-binder')!.fields[0],
    /kube-bind\.io.*klutch\.anynines\.com/,
  );
});

t.test("the README table of deliberate differences names render's objects and every difference", async (t) => {
  const table = tableObjects();
  t.ok(table.length >= 5, `${table.length} rows`);
  const renderedIds = new Set(rendered.map(objectId));
  for (const id of table.filter((x) => x !== 'every object'))
    t.ok(renderedIds.has(id), `README row ${id} is an object render produces`);
  for (const d of diffs.filter((x) => x.created || x.fields.length))
    t.ok(table.includes(d.object), `${d.object} (${d.created ? 'added' : d.fields.join('; ')}) is in the README table`);
  t.ok(table.includes('every object'), 'the managed-by label row');
});

t.test('a rename in render would be caught: the page names are what render must produce', async (t) => {
  // What the test above relies on, shown on a changed render: a renamed object is "created" and its page twin
  // unmatched.
  const renamed = rendered.map((o) =>
    o.kind === 'Secret' && o.metadata.name === 'postgresql-service-broker-creds'
      ? { ...o, metadata: { ...o.metadata, name: 'postgresql-service-broker-credentials' } }
      : o,
  );
  const ids = new Set(renamed.map(objectId));
  t.same(
    [...pageById.keys()].filter((id) => !ids.has(id)),
    ['Secret crossplane-system/postgresql-service-broker-creds'],
  );
  t.ok(
    renamed
      .map((o) => diffObject(o, pageById.get(objectId(o))))
      .some((d) => d.created && d.object === 'Secret crossplane-system/postgresql-service-broker-credentials'),
  );
});
