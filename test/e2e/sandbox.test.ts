/**
 * The sandbox itself: both clusters serve, the OIDC provider issues tokens
 * for the backend's audience, the reference backend's kubeconfig works only
 * in its own namespace, and a token for another audience gets 401.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Agent, fetch } from 'undici';
import { parse } from 'yaml';
import { kubectl } from '../sandbox/cluster.ts';
import { startOidcProvider } from '../sandbox/oidc.ts';
import { useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
const ca = readFileSync(sb.caFile, 'utf8');
const agent = new Agent({ connect: { ca } });
t.teardown(() => agent.close());

async function token(tokenUrl: string): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${sb.env.OIDC_CLIENT_ID}:${sb.env.OIDC_CLIENT_SECRET}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`token endpoint: HTTP ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

t.test('both clusters answer /readyz and run the release pinned in go.mod', async (t) => {
  for (const server of [sb.controlPlane.server, sb.app.server]) {
    const res = await fetch(`${server}/readyz`, { dispatcher: agent });
    t.equal(res.status, 200, `${server}/readyz`);
    t.equal(await res.text(), 'ok');
  }
  const v = await kubectl(sb.bin, sb.controlPlane.kubeconfig, ['version', '-o', 'json']);
  const gomod = readFileSync(new URL('../sandbox/kube/go.mod', import.meta.url), 'utf8');
  const pinned = /k8s\.io\/kubernetes (v\S+)/.exec(gomod)![1];
  t.equal(JSON.parse(v.stdout).serverVersion.gitVersion, pinned);
});

t.test('a client-credentials token carries the backend audience', async (t) => {
  const c = claims(await token(sb.env.OIDC_TOKEN_URL));
  t.equal(c.aud, sb.oidc.audience);
  t.equal(c.iss, sb.oidc.issuer);
  t.equal(c.client_id, sb.env.OIDC_CLIENT_ID);
  t.ok(Number(c.exp) > Date.now() / 1000);
});

t.test(
  'the BindingResponse kubeconfig creates an export request in its namespace and gets 403 elsewhere',
  async (t) => {
    const res = await fetch(sb.bindUrl, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${await token(sb.env.OIDC_TOKEN_URL)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        clusterID: 'sandbox-test',
        apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }],
      }),
    });
    t.equal(res.status, 200);
    const body = (await res.json()) as {
      apiVersion: string;
      kind: string;
      kubeconfig: string;
      requests: Array<Record<string, any>>;
    };
    t.equal(body.kind, 'BindingResponse');
    t.equal(body.requests.length, 1);
    t.same(
      body.requests[0]!.spec.resources[0].permissionClaims.map((c: { resource: string }) => c.resource),
      ['secrets', 'configmaps'],
      'claims from the export template',
    );
    const kcText = Buffer.from(body.kubeconfig, 'base64').toString();
    const kc = parse(kcText);
    const ns = kc.contexts[0].context.namespace as string;
    t.match(ns, /^cluster-/);
    const dir = t.testdir({ 'k.yaml': kcText });
    const req = { ...body.requests[0], metadata: { name: 'sandbox-test' } };
    const own = await kubectl(sb.bin, `${dir}/k.yaml`, ['create', '-f', '-'], JSON.stringify(req));
    t.equal(own.code, 0, own.stderr);
    const other = await kubectl(
      sb.bin,
      `${dir}/k.yaml`,
      ['create', '-n', 'kube-system', '-f', '-'],
      JSON.stringify(req),
    );
    t.not(other.code, 0);
    t.match(other.stderr, /forbidden/i);
  },
);

t.test('a token for another audience gets 401 from the backend', async (t) => {
  const other = await startOidcProvider({
    tls: { cert: readFileSync(sb.serverTls.certFile, 'utf8'), key: readFileSync(sb.serverTls.keyFile, 'utf8') },
    clients: [{ clientId: sb.env.OIDC_CLIENT_ID, clientSecret: sb.env.OIDC_CLIENT_SECRET }],
    audience: 'not-the-backend',
  });
  t.teardown(() => other.stop());
  const jwt = await token(other.tokenUrl);
  t.equal(claims(jwt).aud, 'not-the-backend');
  const res = await fetch(sb.bindUrl, {
    method: 'POST',
    dispatcher: agent,
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: '{"clusterID":"x","apis":[{"group":"anynines.com","resource":"postgresqlinstances"}]}',
  });
  t.equal(res.status, 401);
  t.notMatch(await res.text(), /eyJ/, 'the 401 body does not echo the token');
});
