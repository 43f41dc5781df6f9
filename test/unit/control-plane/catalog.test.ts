/**
 * The catalog's constants and the two package-name rules: the name
 * `crossplane xpkg install` gives a package, and a package without its tag.
 * Where render writes a catalog name, it is the catalog's.
 */
import t from 'tap';
import {
  CERT_MANAGER,
  DATA_SERVICE_NAMES,
  DATA_SERVICES,
  PAGE,
  packageRepository,
  xpkgName,
} from '../../../src/control-plane/catalog.ts';
import { rendered, settings } from '../../helpers/control-plane-fixtures.ts';

t.test('packageRepository drops the tag or digest, not a registry port', async (t) => {
  t.equal(
    packageRepository('public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0'),
    'public.ecr.aws/w5n9a2g2/anynines/dataservices',
  );
  t.equal(packageRepository('registry.corp:5000/x/y@sha256:abc'), 'registry.corp:5000/x/y');
  t.equal(packageRepository('registry.corp:5000/x/y'), 'registry.corp:5000/x/y');
  t.equal(packageRepository('y:v1'), 'y');
});

t.test('xpkgName: the repository path without its registry, "/" as "-", a DNS label of at most 63', async (t) => {
  t.equal(xpkgName('public.ecr.aws/w5n9a2g2/anynines/dataservices:v1.4.0'), 'w5n9a2g2-anynines-dataservices');
  t.equal(
    xpkgName('xpkg.upbound.io/crossplane-contrib/function-patch-and-transform:v0.9.2'),
    'crossplane-contrib-function-patch-and-transform',
  );
  t.equal(xpkgName('localhost/Team_A/pkg:v1'), 'team-a-pkg');
  t.equal(xpkgName('anynines/dataservices:v1'), 'anynines-dataservices', 'no registry: every part counts');
  const long = xpkgName(`r.io/${'a'.repeat(40)}/${'b'.repeat(40)}:v1`);
  t.ok(long.length <= 63 && !long.endsWith('-'), long);
});

t.test('every data service exports <name>instances, in catalog order', async (t) => {
  t.same(DATA_SERVICE_NAMES, Object.keys(DATA_SERVICES));
  for (const n of DATA_SERVICE_NAMES) t.equal(DATA_SERVICES[n].resource, `${n}instances`);
});

t.test("render writes the catalog's names: the function, the binder role, the issuer annotation", async (t) => {
  const objects = rendered();
  t.ok(objects.some((o) => o.kind === 'Function' && o.metadata.name === PAGE.functionName));
  t.ok(objects.some((o) => o.kind === 'ClusterRole' && o.metadata.name === PAGE.binderClusterRole));
  const ing = objects.find((o) => o.kind === 'Ingress')!;
  t.same(ing.metadata.annotations, { [CERT_MANAGER.issuers.Issuer.annotation]: settings.tls.issuer.name });
  t.ok(objects.some((o) => o.kind === 'Issuer' && o.apiVersion === CERT_MANAGER.apiVersion));
});
