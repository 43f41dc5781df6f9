import t from 'tap';
import { readAsset } from '../../../src/assets.ts';
import { initValues } from '../../../src/control-plane/init.ts';
import { MINIMAL_VALUES as minimal } from '../../helpers/control-plane-fixtures.ts';
import {
  DATA_SERVICE_NAMES,
  DEFAULTS,
  parseValues,
  placeholdersIn,
  refusePlaceholders,
  settingsOf,
} from '../../../src/control-plane/values.ts';
import { InputError } from '../../../src/errors.ts';

function problemsOf(text: string): string[] {
  try {
    parseValues(text, 'values.yaml');
  } catch (err) {
    if (err instanceof InputError) return [...err.problems];
    throw err;
  }
  throw new Error('expected an InputError');
}

t.test('the schema states the same defaults as the code', async (t) => {
  const schema = JSON.parse(readAsset('schemas/control-plane.schema.json')) as {
    properties: Record<
      string,
      { properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }> }
    >;
  };
  const p = schema.properties;
  const d = (section: string, field: string) => p[section]!.properties[field]!.default;
  t.equal(d('backend', 'image'), DEFAULTS.backendImage);
  t.equal(d('backend', 'namespacePrefix'), DEFAULTS.namespacePrefix);
  t.equal(d('backend', 'prettyName'), DEFAULTS.prettyName);
  t.equal(d('backend', 'consumerScope'), DEFAULTS.consumerScope);
  t.equal(d('backend', 'serviceType'), DEFAULTS.serviceType);
  t.equal(d('oidc', 'clientId'), DEFAULTS.clientId);
  t.equal(d('tls', 'ingressClass'), DEFAULTS.ingressClass);
  t.equal(d('tls', 'secretName'), DEFAULTS.tlsSecretName);
  t.equal(p.tls!.properties.acme!.properties!.server!.default, DEFAULTS.acmeServer);
  t.equal(p.tls!.properties.acme!.properties!.issuerName!.default, DEFAULTS.acmeIssuerName);
  t.equal(d('crossplane', 'namespace'), DEFAULTS.crossplaneNamespace);
  t.equal(d('crossplane', 'providerAnynines'), DEFAULTS.providerAnynines);
  t.equal(d('crossplane', 'configuration'), DEFAULTS.configuration);
  t.equal(d('crossplane', 'function'), DEFAULTS.function);
  t.equal(DEFAULTS.serviceType, 'LoadBalancer', "the setup page's Service type");
  t.same(Object.keys(p.dataServices!.properties), DATA_SERVICE_NAMES);
});

t.test('defaults fill in what the minimal file leaves out', async (t) => {
  const s = settingsOf(parseValues(minimal, 'values.yaml'));
  t.same(
    s.oidc,
    {
      issuerUrl: 'https://idp.example.com/realms/klutch',
      clientId: 'kube-bind',
      clientSecret: 'env:OIDC_SECRET',
      callbackUrl: 'https://bind.example.com:443/callback',
    },
    "the callback default is the setup page's, with :443",
  );
  t.same(s.tls, {
    ingressClass: 'nginx',
    secretName: 'anynines-backend-tls',
    issuer: {
      mode: 'acme',
      name: 'letsencrypt',
      email: 'ops@example.com',
      server: 'https://acme-v02.api.letsencrypt.org/directory',
    },
  });
  t.equal(s.crossplane.namespace, 'crossplane-system');
  t.equal(
    s.crossplane.configurationName,
    'w5n9a2g2-anynines-dataservices',
    'the name crossplane xpkg install gives the package, as on the page',
  );
  t.same(s.ignored, []);
  t.equal(s.backend.externalAddress, undefined);
  t.same(
    s.dataServices.map((d) => [d.name, d.resource]),
    [['postgresql', 'postgresqlinstances']],
  );
  const own = settingsOf(
    parseValues(
      minimal.replace('  acme:\n    email: ops@example.com\n', '  issuer: { kind: ClusterIssuer, name: corp-ca }\n'),
      'v',
    ),
  );
  t.same(own.tls.issuer, { mode: 'own', kind: 'ClusterIssuer', name: 'corp-ca' });
});

t.test('every problem names its field and line', async (t) => {
  t.same(problemsOf(minimal.replace('  issuerUrl: https://idp.example.com/realms/klutch\n', '')), [
    "/oidc (line 3): must have required property 'issuerUrl'",
  ]);
  t.same(problemsOf(minimal.replace('ops@example.com', 'ops')), [
    '/tls/acme/email (line 8): must match format "email"',
  ]);
  t.same(problemsOf(minimal.replace('bind.example.com', 'https://bind.example.com')), [
    '/backend/host (line 2): must match format "hostname"',
  ]);
  t.same(problemsOf(minimal.replace('env:SB_PASSWORD', 'secret123')), [
    '/dataServices/postgresql/serviceBroker/password (line 11): must be a reference, env:NAME or file:PATH ' +
      '(the values file holds no secrets)',
  ]);
  t.same(problemsOf(minimal.replace('  acme:\n    email: ops@example.com\n', '  ingressClass: traefik\n')), [
    "/tls (line 6): set exactly one of acme (an ACME Issuer is rendered, e.g. Let's Encrypt) or issuer (your " +
      'own Issuer or ClusterIssuer)',
  ]);
  t.same(problemsOf(minimal.replace('  acme:\n', '  issuer: { kind: Issuer, name: x }\n  acme:\n')), [
    "/tls (line 6): set exactly one of acme (an ACME Issuer is rendered, e.g. Let's Encrypt) or issuer (your " +
      'own Issuer or ClusterIssuer)',
  ]);
  t.match(
    problemsOf(minimal.replace('  postgresql:', '  postgres:'))[0],
    /^\/dataServices \(line 10\): must NOT have additional property "postgres" \(data services: keyvalue, /,
  );
  t.same(problemsOf(minimal.replace('dataServices:\n  postgresql:', 'dataServices: {}\nunused:')), [
    '/ (line 10): must NOT have additional property "unused"',
    '/dataServices (line 9): must NOT have fewer than 1 properties',
  ]);
  t.same(
    problemsOf(
      minimal.replace(
        'backend:\n  host: bind.example.com\n',
        'backend:\n  host: bind.example.com\n  consumerScope: namespaced\n',
      ),
    ),
    ['/backend/consumerScope (line 3): must be equal to one of the allowed values ("Namespaced", "Cluster")'],
  );
  t.match(
    problemsOf('backend: 1\noidc: 2\ntls: 3\ndataServices: 4\n').join('\n'),
    /\/backend \(line 1\): must be object/,
  );
});

t.test('YAML errors and empty files are input errors', async (t) => {
  t.throws(() => parseValues('', 'v.yaml'), {
    code: 'HELPER_VALUES_YAML',
    exitCode: 3,
    message: /v\.yaml is empty; start from `helper control-plane init/,
  });
  t.throws(() => parseValues('a: [\n', 'v.yaml'), {
    code: 'HELPER_VALUES_YAML',
    message: /v\.yaml is not valid YAML: .* at line \d+, column \d+$/,
  });
  t.throws(() => parseValues('a: 1\na: 2\n', 'v.yaml'), {
    code: 'HELPER_VALUES_YAML',
    message: /Map keys must be unique/,
  });
});

t.test('init placeholders are refused, every one listed with its line; real values pass', async (t) => {
  const text = initValues({ dataServices: ['postgresql', 'mariadb'] });
  const found = placeholdersIn(text);
  t.same(found.map((f) => f.replace(/ \(line \d+\).*/, '')).sort(), [
    '/backend/host',
    '/dataServices/mariadb/backupManager/url',
    '/dataServices/mariadb/serviceBroker/url',
    '/dataServices/postgresql/backupManager/url',
    '/dataServices/postgresql/serviceBroker/url',
    '/oidc/issuerUrl',
    '/tls/acme/email',
  ]);
  t.equal(found.length, 7, found.join('\n'));
  t.match(found[0], /^\/backend\/host \(line \d+\): bind\.example\.com$/);
  const err = t.throws(() => refusePlaceholders(text, 'values.yaml')) as InputError;
  t.equal(err.code, 'HELPER_VALUES_PLACEHOLDER');
  t.equal(err.exitCode, 3);
  t.match(err.message, /^values\.yaml still holds 7 placeholder value\(s\) from `helper control-plane init`/);
  const real = text.replace(/([a-z0-9-]+\.)?example\.com/g, (m) => m.replace('example.com', 'corp.test'));
  t.same(placeholdersIn(real), []);
  t.doesNotThrow(() => refusePlaceholders(real, 'v'));
  t.same(
    placeholdersIn('backend:\n  host: notexample.com\n  image: registry.example.community/x:1\n'),
    [],
    'only the reserved domains, not look-alikes',
  );
});

t.test('binderClusterRole and providerKubernetes are accepted but ignored, with a warning each', async (t) => {
  const s = settingsOf(
    parseValues(
      minimal.replace('  host: bind.example.com\n', '  host: bind.example.com\n  binderClusterRole: my-role\n') +
        'crossplane:\n  providerKubernetes: xpkg.upbound.io/x/y:v1\n',
      'v',
    ),
  );
  t.equal(s.ignored.length, 2);
  t.match(s.ignored[0], /binderClusterRole \(my-role\) is ignored: the backend takes no flag/);
  t.match(s.ignored[1], /providerKubernetes is ignored: no a9s data service's composition uses provider-kubernetes/);
  t.same(
    settingsOf(
      parseValues(
        minimal.replace('  host: bind.example.com\n', '  host: bind.example.com\n  binderClusterRole: kube-binder\n'),
        'v',
      ),
    ).ignored,
    [],
    "the page's own name is no surprise",
  );
});
