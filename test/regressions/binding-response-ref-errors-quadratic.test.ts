/**
 * Bug: Ajv compiles each "$ref" of binding-response.schema.json as a call
 * whose errors are appended with Array#concat, copying every error so far on
 * each failing call: a 200 body with 100,000 invalid resources took about
 * three minutes to reject, 20,000 empty requests about 20 seconds.
 * Found by test/unit/hostile/binding-response.test.ts ("fixed hostile bodies").
 * Asserted on the work done (test/helpers/work.ts), not on the clock: the
 * copies made it grow 4× when the body doubled. bin/bench-inputs.ts prints
 * the time.
 */
import t from 'tap';
import { BackendError } from '../../src/errors.ts';
import { validateBindingResponse } from '../../src/validate/schemas.ts';
import { assertLinear } from '../helpers/work.ts';

const base = { apiVersion: 'klutch.anynines.com/v1alpha1', kind: 'BindingResponse', kubeconfig: 'QQ==' };

t.test('huge invalid bodies are rejected in linear work, with a capped list', async (t) => {
  const bodies: Array<[string, number, (n: number) => unknown]> = [
    [
      'invalid resources',
      50_000,
      (n) => ({
        ...base,
        requests: [
          {
            apiVersion: base.apiVersion,
            kind: 'APIServiceExportRequest',
            spec: { resources: Array.from({ length: n }, (_, i) => ({ resource: `R${i}` })) },
          },
        ],
      }),
    ],
    ['empty requests', 10_000, (n) => ({ ...base, requests: Array.from({ length: n }, () => ({})) })],
    [
      'invalid permission claims',
      25_000,
      (n) => ({
        ...base,
        requests: [
          {
            apiVersion: base.apiVersion,
            kind: 'APIServiceExportRequest',
            spec: { resources: [{ resource: 'backups', permissionClaims: Array.from({ length: n }, () => ({})) }] },
          },
        ],
      }),
    ],
  ];
  for (const [what, n, body] of bodies) {
    const [small, large] = assertLinear(t, what, n, body, (b) => validateBindingResponse(b));
    for (const [size, m] of [
      [n, small],
      [2 * n, large],
    ] as const) {
      const err = m.result.ok ? undefined : m.result.error;
      t.ok(err instanceof BackendError, `${size} ${what}: a BackendError`);
      t.match(
        err,
        { code: 'HELPER_BACKEND_RESPONSE_INVALID', message: /more problems not shown/ },
        `${size} ${what}: rejected, the list capped`,
      );
    }
  }
});

t.test('problems inside definitions keep their paths', async (t) => {
  const body = {
    ...base,
    requests: [
      {
        apiVersion: base.apiVersion,
        kind: 'APIServiceExportRequest',
        spec: { resources: [{ resource: 'backups', group: 'A', permissionClaims: [{ resource: '' }] }] },
      },
    ],
  };
  t.throws(() => validateBindingResponse(body), {
    message:
      /\/requests\/0\/spec\/resources\/0\/group: must match pattern[\s\S]*\/requests\/0\/spec\/resources\/0\/permissionClaims\/0: must have required property 'version'[\s\S]*\/requests\/0\/spec\/resources\/0\/permissionClaims\/0\/resource: must NOT have fewer than 1 characters/,
  });
});
