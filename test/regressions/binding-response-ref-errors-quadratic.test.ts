/**
 * Bug: Ajv compiles each "$ref" of binding-response.schema.json as a call
 * whose errors are appended with Array#concat, copying every error so far on
 * each failing call: a 200 body with 100,000 invalid resources took about
 * three minutes to reject, 20,000 empty requests about 20 seconds.
 * Found by test/unit/hostile/binding-response.test.ts ("fixed hostile bodies").
 */
import t from 'tap';
import { BackendError } from '../../src/errors.ts';
import { validateBindingResponse } from '../../src/validate/schemas.ts';

const base = { apiVersion: 'klutch.anynines.com/v1alpha1', kind: 'BindingResponse', kubeconfig: 'QQ==' };

t.test('huge invalid bodies are rejected within seconds, with a capped list', async (t) => {
  const bodies: Array<[string, unknown]> = [
    ['100,000 invalid resources', { ...base, requests: [{ apiVersion: base.apiVersion, kind: 'APIServiceExportRequest', spec: { resources: Array.from({ length: 100_000 }, (_, i) => ({ resource: `R${i}` })) } }] }],
    ['20,000 empty requests', { ...base, requests: Array.from({ length: 20_000 }, () => ({})) }],
    ['50,000 invalid permission claims', { ...base, requests: [{ apiVersion: base.apiVersion, kind: 'APIServiceExportRequest', spec: { resources: [{ resource: 'backups', permissionClaims: Array.from({ length: 50_000 }, () => ({})) }] } }] }],
  ];
  for (const [what, body] of bodies) {
    const t0 = performance.now();
    t.throws(() => validateBindingResponse(body), { constructor: BackendError, code: 'HELPER_BACKEND_RESPONSE_INVALID', message: /more problems not shown/ }, what);
    const ms = performance.now() - t0;
    t.ok(ms < 3000, `${what}: ${Math.round(ms)} ms`);
  }
});

t.test('problems inside definitions keep their paths', async (t) => {
  const body = { ...base, requests: [{ apiVersion: base.apiVersion, kind: 'APIServiceExportRequest', spec: { resources: [{ resource: 'backups', group: 'A', permissionClaims: [{ resource: '' }] }] } }] };
  t.throws(() => validateBindingResponse(body), {
    message: /\/requests\/0\/spec\/resources\/0\/group: must match pattern[\s\S]*\/requests\/0\/spec\/resources\/0\/permissionClaims\/0: must have required property 'version'[\s\S]*\/requests\/0\/spec\/resources\/0\/permissionClaims\/0\/resource: must NOT have fewer than 1 characters/,
  });
});
