/**
 * A training run for the executable's code cache (bin/build-binary.ts runs it
 * at build time, in a child process): one whole bootstrap-env in process, the
 * token endpoint, the backend and the control plane answered by an undici
 * MockAgent, so the functions a real binding runs (openid-client, undici's
 * fetch, the BindingResponse and kubeconfig checks, the YAML writer, the
 * Kubernetes client) are compiled when the cache is taken. Nothing leaves
 * the process: the MockAgent refuses any other connection.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import { bootstrapEnv } from './flows/bootstrap-env.ts';
import { bootstrapEnvOptions } from './options/bootstrap-env.ts';

const TOKEN = 'https://token.warm-up.invalid';
const BACKEND = 'https://backend.warm-up.invalid';
const CONTROL_PLANE = 'https://control-plane.warm-up.invalid';
const NS = 'cluster-warmup';
const APIS = ['postgresqlinstances', 'servicebindings'];

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: klutch
  cluster:
    server: ${CONTROL_PLANE}
users:
- name: klutch-binder
  user:
    token: warm-up-token-not-real
contexts:
- name: klutch
  context:
    cluster: klutch
    user: klutch-binder
    namespace: ${NS}
current-context: klutch
`;

function answers(agent: MockAgent): void {
  const json = { headers: { 'content-type': 'application/json' } };
  agent
    .get(TOKEN)
    .intercept({ path: '/token', method: 'POST' })
    .reply(
      200,
      JSON.stringify({ access_token: 'warm-up-access-token-not-real', token_type: 'Bearer', expires_in: 300 }),
      json,
    );
  agent
    .get(BACKEND)
    .intercept({ path: '/bind-noninteractive', method: 'POST' })
    .reply(
      200,
      JSON.stringify({
        apiVersion: 'klutch.anynines.com/v1alpha1',
        kind: 'BindingResponse',
        kubeconfig: Buffer.from(KUBECONFIG).toString('base64'),
        requests: APIS.map((resource) => ({
          apiVersion: 'klutch.anynines.com/v1alpha1',
          kind: 'APIServiceExportRequest',
          metadata: { name: `${resource}.anynines.com` },
          spec: { resources: [{ group: 'anynines.com', resource, versions: ['v1'] }] },
        })),
      }),
      json,
    );
  agent
    .get(CONTROL_PLANE)
    .intercept({ path: `/apis/klutch.anynines.com/v1alpha1/namespaces/${NS}/apiserviceexportrequests`, method: 'POST' })
    .reply((req) => ({ statusCode: 201, data: String(req.body), responseOptions: json }))
    .times(APIS.length);
}

/** Runs the binding; resolves with its all.yaml, or rejects when it did not get that far. */
export async function warmUp(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'helper-warm-up-'));
  const agent = new MockAgent();
  agent.disableNetConnect();
  answers(agent);
  try {
    const file = join(dir, 'binding.json');
    writeFileSync(
      file,
      JSON.stringify({ clusterID: 'warm-up', apis: APIS.map((resource) => ({ group: 'anynines.com', resource })) }),
    );
    const opts = bootstrapEnvOptions(
      {
        file: [file],
        url: `${BACKEND}/bind-noninteractive`,
        timeout: '1m',
        'request-timeout': '10s',
        retries: 0,
        wait: false,
      },
      { OIDC_CLIENT_ID: 'warm-up', OIDC_CLIENT_SECRET: 'warm-up-secret-not-real', OIDC_TOKEN_URL: `${TOKEN}/token` },
    );
    const out = await bootstrapEnv(opts, { dispatcher: agent });
    if (out.error) throw out.error;
    if (!out.stdout?.includes('kind: APIServiceBinding'))
      throw new Error('the warm-up binding wrote no APIServiceBinding');
    const pending = agent.pendingInterceptors();
    if (pending.length)
      throw new Error(
        `the warm-up binding left ${pending.length} answer(s) unused: ` +
          `${pending.map((p) => `${p.method} ${p.origin}${p.path}`).join(', ')}`,
      );
    return out.stdout;
  } finally {
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
