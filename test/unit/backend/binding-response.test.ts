/**
 * parseBindingResponse: the backend's 200 body → the decoded kubeconfig, its
 * facts and the export requests, or a BackendError (exit 5) naming what is
 * wrong. Hostile bodies are test/unit/hostile/binding-response.test.ts.
 */
import t from 'tap';
import { parseBindingResponse } from '../../../src/backend/binding-response.ts';
import { BackendError, ExitCode } from '../../../src/errors.ts';
import { redact } from '../../../src/log.ts';
import type { BindingResponse } from '../../../src/types.ts';

const USER_TOKEN = 'provider-token-9f8e7d6c5b4a';
const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const kubeconfig = (context: string, user = `    token: ${USER_TOKEN}`) => `apiVersion: v1
kind: Config
clusters:
- name: cp
  cluster:
    server: https://cp.example.com:6443
    certificate-authority-data: ${Buffer.from(pem).toString('base64')}
users:
- name: binder
  user:
${user}
contexts:
- name: cp
  context:
${context}
current-context: cp
`;
const good = kubeconfig('    cluster: cp\n    user: binder\n    namespace: cluster-ab12c');

const request = {
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'APIServiceExportRequest',
  metadata: { name: 'postgresqlinstances.anynines.com' },
  spec: { resources: [{ group: 'anynines.com', resource: 'postgresqlinstances', versions: ['v1'] }] },
} as const;
const response = (over: Partial<Record<keyof BindingResponse, unknown>> = {}): unknown => ({
  apiVersion: 'klutch.anynines.com/v1alpha1',
  kind: 'BindingResponse',
  kubeconfig: Buffer.from(good).toString('base64'),
  requests: [request],
  ...over,
});

function backendError(fn: () => unknown): BackendError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BackendError) return err;
    throw err;
  }
  throw new Error('expected a BackendError');
}

t.test(
  'a valid response: the kubeconfig rebuilt, its cluster namespace and server, the requests as sent',
  async (t) => {
    const r = parseBindingResponse(response());
    t.equal(
      r.kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
  - name: cp
    cluster:
      server: https://cp.example.com:6443
      certificate-authority-data: ${Buffer.from(pem).toString('base64')}
users:
  - name: binder
    user:
      token: ${USER_TOKEN}
contexts:
  - name: cp
    context:
      cluster: cp
      user: binder
      namespace: cluster-ab12c
current-context: cp
`,
      'a new document of the same values (kube/binding-kubeconfig.ts)',
    );
    t.same(r.provider, {
      contextName: 'cp',
      namespace: 'cluster-ab12c',
      server: 'https://cp.example.com:6443',
      clusterName: 'cp',
      userName: 'binder',
    });
    t.same(r.requests, [request]);
  },
);

t.test("the kubeconfig's credentials are registered as secrets as soon as it is decoded", async (t) => {
  const token = 'second-provider-token-0a1b2c';
  const text = kubeconfig('    cluster: cp\n    user: binder\n    namespace: cluster-ab12c', `    token: ${token}`);
  t.equal(redact(`saw ${token}`), `saw ${token}`, 'not a secret before');
  parseBindingResponse(response({ kubeconfig: Buffer.from(text).toString('base64') }));
  t.equal(redact(`saw ${token}`), 'saw [REDACTED]');
});

t.test('a body the schema refuses: every problem listed, exit 5', async (t) => {
  const err = backendError(() => parseBindingResponse(response({ kind: 'Binding', requests: [] })));
  t.equal(err.code, 'HELPER_BACKEND_RESPONSE_INVALID');
  t.equal(err.exitCode, ExitCode.backend);
  t.equal(
    err.message,
    [
      "the backend's 200 response is not a valid BindingResponse",
      '  - /kind: must be equal to constant "BindingResponse"',
      '  - /requests: must NOT have fewer than 1 items',
    ].join('\n'),
  );
});

t.test('base64 the schema pattern lets through but that is not canonical is refused', async (t) => {
  // "QR==": the pattern's shape, but the unused low bits are set, so it does not round-trip.
  const err = backendError(() => parseBindingResponse(response({ kubeconfig: 'QR==' })));
  t.equal(err.code, 'HELPER_BACKEND_RESPONSE_INVALID');
  t.equal(err.message, "the backend's BindingResponse.kubeconfig is not valid standard base64");
});

t.test('a kubeconfig without the cluster namespace is unusable, and says why', async (t) => {
  const text = kubeconfig('    cluster: cp\n    user: binder');
  const err = backendError(() => parseBindingResponse(response({ kubeconfig: Buffer.from(text).toString('base64') })));
  t.equal(err.code, 'HELPER_BACKEND_KUBECONFIG');
  t.equal(err.exitCode, ExitCode.backend);
  t.equal(
    err.message,
    'the kubeconfig in the backend\'s BindingResponse is unusable:\n  - context "cp" has no namespace (the ' +
      'cluster namespace on the control plane)',
  );
});

t.test('a kubeconfig from the backend may not make helper run a program', async (t) => {
  const text = kubeconfig(
    '    cluster: cp\n    user: binder\n    namespace: cluster-ab12c',
    '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh',
  );
  const err = backendError(() => parseBindingResponse(response({ kubeconfig: Buffer.from(text).toString('base64') })));
  t.equal(err.code, 'HELPER_BACKEND_KUBECONFIG');
  t.match(err.message, /exec/);
});
