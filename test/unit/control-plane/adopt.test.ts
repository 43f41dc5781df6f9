/**
 * control-plane adopt in process: readControlPlane against an in-memory
 * ObjectClient holding what render produced (or the setup page's variant of
 * it): the values it writes render the same objects again, secrets become
 * env: references (the values stay in memory), and what it cannot find is a
 * note. The same on a real API server: test/e2e/control-plane-adopt.test.ts.
 */
import t from 'tap';
import { adoptedValuesYaml, readControlPlane } from '../../../src/control-plane/adopt.ts';
import { renderControlPlane } from '../../../src/control-plane/render.ts';
import { parseValues, settingsOf } from '../../../src/control-plane/values.ts';
import { inputsFor, prerequisites, rendered, running, settings } from '../../helpers/control-plane-fixtures.ts';
import { MemoryCluster } from '../../helpers/memory-cluster.ts';

const cluster = () => new MemoryCluster('control plane').with(...prerequisites(), ...running(rendered()));

t.test('what adopt reads renders the same objects again', async (t) => {
  const a = await readControlPlane(cluster(), { requireBackend: true, server: 'https://api.corp.test:6443' });
  t.ok(a.inputs, 'the CA, cookie keys and external address were found');
  const again = renderControlPlane({ settings: settingsOf(a.values), ...a.inputs! });
  t.same(again, rendered());
  t.same(a.values.dataServices.postgresql?.serviceBroker.username, 'env:POSTGRESQL_SERVICE_BROKER_USERNAME');
  t.same(a.notes, []);
});

t.test('secrets are env: references naming where each value is; the file holds none of them', async (t) => {
  const a = await readControlPlane(cluster(), { requireBackend: true });
  t.same(
    a.env.map((e) => [e.name, e.from]),
    [
      ['POSTGRESQL_SERVICE_BROKER_USERNAME', 'Secret crossplane-system/postgresql-service-broker-creds key username'],
      ['POSTGRESQL_SERVICE_BROKER_PASSWORD', 'Secret crossplane-system/postgresql-service-broker-creds key password'],
      ['POSTGRESQL_BACKUP_MANAGER_USERNAME', 'Secret crossplane-system/postgresql-backup-manager-creds key username'],
      ['POSTGRESQL_BACKUP_MANAGER_PASSWORD', 'Secret crossplane-system/postgresql-backup-manager-creds key password'],
      ['BACKEND_OIDC_CLIENT_SECRET', 'Secret bind/oidc-config key oidc-issuer-client-secret'],
    ],
  );
  t.equal(a.env.find((e) => e.name === 'BACKEND_OIDC_CLIENT_SECRET')?.value, 'oidc-secret-1');
  const text = adoptedValuesYaml(a, 'api.corp.test:6443');
  t.match(
    text,
    /^# Values of `helper control-plane render\|apply`, read by `helper control-plane adopt` from api\.corp\.test:6443\./,
  );
  t.match(text, /#   BACKEND_OIDC_CLIENT_SECRET {15}Secret bind\/oidc-config key oidc-issuer-client-secret\n/);
  for (const secret of ['oidc-secret-1', 'broker-pass-1', inputsFor(settings).cookieKeys.signingKey])
    t.notOk(text.includes(secret), 'no secret value in the file');
  t.same(settingsOf(parseValues(text, 'adopted')).backend.host, 'bind.corp.test', 'a values file helper accepts');
});

t.test(
  "the setup page's variants: another Crossplane namespace, an Ingress naming an absent issuer, a lone ProviderConfig",
  async (t) => {
    const objects = rendered();
    const api = new MemoryCluster('control plane').with(
      ...prerequisites().map((o) => {
        const x = o as { kind: string; metadata: { name: string; namespace?: string } };
        return x.kind === 'Deployment' && x.metadata.name === 'crossplane'
          ? { ...x, metadata: { ...x.metadata, namespace: 'upbound-system' } }
          : o;
      }),
      ...running(
        objects.filter((o) => !(o.kind === 'ProviderConfig' && o.metadata.name === 'postgresql-backup-manager')),
      ),
    );
    const ing = api.all().find((o) => o.kind === 'Ingress')!;
    ing.metadata!.annotations = { 'cert-manager.io/issuer': 'letsencrypt-prod' };
    const a = await readControlPlane(api, { requireBackend: true });
    t.equal(a.values.crossplane?.namespace, 'upbound-system');
    t.match(a.notes, [
      /names Issuer letsencrypt-prod, which does not exist; the values name Issuer bind\/letsencrypt \(the setup page's letsencrypt-prod\/letsencrypt mismatch\)/,
      /data service postgresql: only its service-broker ProviderConfig exists; left out/,
      /no data-service ProviderConfig/,
    ]);
    t.same(a.values.tls, { acme: { email: 'ops@corp.test' } });
    t.same(a.values.dataServices, {});
    t.same(
      a.env.map((e) => e.name),
      ['BACKEND_OIDC_CLIENT_SECRET'],
      "the lone endpoint's references are dropped",
    );
  },
);

t.test("no backend: adopt refuses (HELPER_CP_NOTHING_TO_ADOPT), check's reading goes on with guesses", async (t) => {
  const api = new MemoryCluster('control plane').with(...prerequisites());
  await t.rejects(readControlPlane(api, { requireBackend: true }), {
    code: 'HELPER_CP_NOTHING_TO_ADOPT',
    message:
      'control plane 127.0.0.1:1 has no Deployment bind/anynines-backend: there is no klutch-bind backend to adopt',
  });
  const a = await readControlPlane(api, { requireBackend: false, server: 'https://cp:6443' });
  t.equal(a.values.backend.host, 'backend.unknown');
  t.equal(a.values.backend.externalAddress, 'https://cp:6443', "the kubeconfig's server when the cluster names none");
  t.equal(a.inputs, undefined, 'nothing to compare a render with');
  t.match(a.notes.join('\n'), /no host found \(Ingress bind\/anynines-backend is absent\)/);
  t.equal(api.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list').length, 0, 'adopt only reads');
});
