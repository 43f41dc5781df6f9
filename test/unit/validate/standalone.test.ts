/**
 * The validators helper runs are Ajv standalone code generated at build time
 * (bin/gen-validators.ts). They must agree with Ajv compiling the same
 * prepared schemas at run time: the same verdict and the same error list, on
 * valid documents and on every mutation of them tried here. The generated
 * file must also be what the generator makes of today's schemas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { generate, VALIDATOR_MODULES, validatorModulePath } from '../../../bin/gen-validators.ts';
import { newAjv } from '../../../src/validate/ajv.ts';
import { VALIDATORS, type ValidatorName } from '../../../src/validate/prepare.ts';
import * as values from '../../../src/validate/values-validator.generated.ts';
import * as validators from '../../../src/validate/validators.generated.ts';
import { repoRoot } from '../../helpers/run-cli.ts';

const generated: Record<string, unknown> = { ...validators, ...values };

const runtime = (name: ValidatorName): ValidateFunction => {
  const v = VALIDATORS[name];
  return newAjv().compile(
    v.prepare(JSON.parse(readFileSync(join(repoRoot, 'schemas', v.file), 'utf8')) as Record<string, unknown>),
  );
};

const binding = {
  clusterID: 'c-1',
  apis: [
    { group: 'anynines.com', resource: 'postgresqlinstances' },
    { group: '', resource: 'widgets' },
  ],
};
const response = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  authentication: { oauth2CodeGrant: { sessionID: 's', id: 'i' } },
  kubeconfig: Buffer.from('apiVersion: v1\nkind: Config\n').toString('base64'),
  requests: [
    {
      apiVersion: 'klutch.anynines.com/v1alpha1',
      kind: 'APIServiceExportRequest',
      metadata: { name: 'postgresqlinstances.anynines.com' },
      spec: {
        resources: [
          {
            group: 'anynines.com',
            resource: 'postgresqlinstances',
            versions: ['v1'],
            permissionClaims: [
              { group: '', resource: 'secrets', version: 'v1', selector: { owner: 'Provider' }, required: false },
            ],
          },
        ],
      },
      status: {},
    },
  ],
};

const endpoint = (host: string) => ({
  url: `https://${host}.example.com`,
  username: 'admin',
  password: 'env:PW',
  healthCheckEndpoint: '/healthy',
  insecureSkipVerify: false,
  overrideServerName: `${host}.internal`,
});
const controlPlaneValues = {
  backend: {
    host: 'bind.example.com',
    externalAddress: 'https://api.example.com:6443',
    cookieKeys: { signingKey: 'env:S', encryptionKey: 'file:e' },
    namespacePrefix: 'cluster',
    consumerScope: 'Namespaced',
    extraArgs: ['--tenant-based-auth'],
  },
  oidc: { issuerUrl: 'https://idp.example.com/realms/klutch', clientSecret: 'env:OIDC_SECRET' },
  tls: { secretName: 'tls', acme: { email: 'ops@example.com' } },
  crossplane: { namespace: 'crossplane-system', providerConfigServiceType: true },
  dataServices: { postgresql: { serviceBroker: endpoint('sb'), backupManager: endpoint('bm') } },
};
const samples: Record<ValidatorName, unknown> = { binding, bindingResponse: response, controlPlaneValues };

const odd: unknown[] = [null, 0, -1, 1.5, true, '', ' ', 'x', 'UPPER', 'a'.repeat(300), '🙂', [], [1], {}, { x: 1 }];

/** Every document obtained from `doc` by one change: a value replaced by an odd one, a key removed, an unknown key
 * added. */
function* mutations(doc: unknown): Generator<unknown> {
  yield doc;
  for (const o of odd) yield o;
  if (Array.isArray(doc)) {
    yield [];
    yield [...doc, ...doc];
    for (let i = 0; i < doc.length; i++) for (const m of mutations(doc[i])) yield doc.map((x, j) => (j === i ? m : x));
  } else if (doc && typeof doc === 'object') {
    yield { ...doc, unknownField: 1 };
    for (const k of Object.keys(doc)) {
      const { [k]: _gone, ...rest } = doc as Record<string, unknown>;
      yield rest;
      for (const m of mutations((doc as Record<string, unknown>)[k])) yield { ...doc, [k]: m };
    }
  }
}

t.same(Object.keys(samples).sort(), Object.keys(VALIDATORS).sort(), 'every validator has a sample here');
for (const [name, sample] of Object.entries(samples) as Array<[ValidatorName, unknown]>) {
  t.test(`${name}: the generated validator agrees with Ajv at run time`, async (t) => {
    const rt = runtime(name);
    const gen = generated[name] as unknown as ValidateFunction;
    let n = 0;
    let invalid = 0;
    const disagreements: string[] = [];
    for (const doc of mutations(sample)) {
      n++;
      const a = rt(doc);
      const b = gen(doc);
      if (!a) invalid++;
      const ea = JSON.stringify(rt.errors ?? null);
      const eb = JSON.stringify(gen.errors ?? null);
      if (a !== b || ea !== eb)
        disagreements.push(
          `${JSON.stringify(doc).slice(0, 200)}: runtime ${a} ${ea.slice(0, 200)}, generated ${b} ${eb.slice(0, 200)}`,
        );
    }
    t.same(disagreements, [], `${n} documents, ${invalid} of them invalid`);
    t.ok(invalid > n / 2, 'most mutations are invalid (the comparison covers errors, not only successes)');
    t.ok(rt(sample) && gen(sample), 'the sample itself is valid');
  });
}

t.test('the generated files are up to date with schemas/ and the generator', async (t) => {
  t.same([...VALIDATOR_MODULES].sort(), ['validators', 'values-validator']);
  for (const module of VALIDATOR_MODULES) {
    t.equal(
      readFileSync(join(repoRoot, validatorModulePath(module)), 'utf8'),
      generate(module),
      `${module}: run "npm run build" to regenerate it`,
    );
  }
});
