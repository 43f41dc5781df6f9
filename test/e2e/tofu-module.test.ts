/**
 * The OpenTofu/Terraform module (examples/terraform) run by the real OpenTofu
 * CLI (test/sandbox/tofu, built by build.sh) against the sandbox, offline: no
 * provider, a CLI config whose only provider source is an empty directory,
 * checkpoint disabled, its own TF_DATA_DIR and HOME.
 *
 * Keyless, as README "Keyless authentication" describes: no successful run
 * has a client secret anywhere in tofu's environment (nor, so, in helper's,
 * which local-exec inherits). The sandbox's private_key_jwt client
 * authenticates at its oidc-provider with a key file, or with an assertion
 * file. In the order a pipeline lives:
 *
 *   init → apply with a wrong client secret (fails with helper's message, no
 *   file written, nothing the next apply trips on) → apply with the key file
 *   (OIDC_CLIENT_KEY_FILE; export requests Succeeded, outputs: the namespace
 *   and the provider kubeconfig) → konnector started as a kubelet
 *   would → helper status exit 0 → plan: no changes → destroy (no konnector
 *   or APIServiceBindings left on the App Cluster, the claim kept on the
 *   control plane, the credential files gone) → apply again on the same App
 *   Cluster with wait_bindings and an assertion file (OIDC_CLIENT_ASSERTION_FILE,
 *   standing in for a CI's id_token), the konnector started meanwhile (the
 *   kept claim comes back) → the output directory lost: taint and apply (the
 *   key file given as bootstrap_args' --client-key-file) write it again →
 *   what a binding.json change and a path change plan → a destroy that fails
 *   (unbind exit 3) keeps the binding, the next one finishes.
 *
 * Neither the state nor anything tofu printed holds key material (a line of
 * the key's PEM body, its JWK d), an assertion, a token or a client secret.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importPKCS8, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { kubectl, type Cluster } from '../sandbox/cluster.ts';
import type { Konnector } from '../sandbox/klutch.ts';
import { eventually } from '../helpers/poll.ts';
import { jwtsIn, repoRoot, runCli, type CliResult } from '../helpers/run-cli.ts';
import { extraCluster, konnector, useSandbox } from '../helpers/sandbox.ts';

const sb = await useSandbox(t);
if (!sb.oidc.keyless)
  throw new Error('this sandbox predates the keyless client (SandboxInfo.oidc.keyless); restart it');
const keyless = sb.oidc.keyless;
const root = t;
const CLAIM = 'postgresqlinstances.anynines.com';
const KLUTCH = 'klutch.anynines.com';

const dir = t.testdir({});
const work = join(dir, 'root');
const home = join(dir, 'home');
const mirror = join(dir, 'no-providers');
for (const d of [work, home, mirror]) mkdirSync(d, { recursive: true });
const cliConfig = join(dir, 'tofurc');
// The only place tofu may take a provider from is an empty directory: any
// provider the module needed would fail init here instead of being downloaded.
writeFileSync(
  cliConfig,
  `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
);

const app: Cluster = await extraCluster(root, sb, 'tofu');
const clusterID = `tofu-${randomBytes(4).toString('hex')}`;
const outDir = 'helper-out';
const kfg = join(work, outDir, 'provider.kfg.yaml');

/** The caller's root module: the module from the checkout; helper is HELPER_BIN (as runCli) or bin/helper under the
 * Node that runs the tests. */
const writeRoot = (more: Record<string, unknown> = {}): void =>
  writeFileSync(
    join(work, 'main.tf.json'),
    JSON.stringify(
      {
        module: {
          bind: {
            source: `./${relative(work, join(repoRoot, 'examples', 'terraform'))}`,
            binding_json: JSON.stringify({
              clusterID,
              apis: [
                { group: 'anynines.com', resource: 'postgresqlinstances' },
                { group: 'anynines.com', resource: 'servicebindings' },
              ],
            }),
            bind_url: sb.bindUrl,
            app_kubeconfig: app.kubeconfig,
            output_dir: outDir,
            ca_file: sb.caFile,
            helper: process.env.HELPER_BIN
              ? [process.env.HELPER_BIN]
              : [process.execPath, join(repoRoot, 'bin', 'helper')],
            bootstrap_args: ['--timeout', '90s'],
            ...more,
          },
        },
        output: {
          namespace: { value: '${module.bind.namespace}' },
          provider_kubeconfig: { value: '${module.bind.provider_kubeconfig}' },
        },
      },
      null,
      2,
    ),
  );
writeRoot();

/** How helper authenticates, from tofu's environment. By default the keyless client's key file (README "Keyless
 * authentication"). */
type Auth = Record<string, string>;
const KEY: Auth = {
  OIDC_CLIENT_ID: keyless.clientId,
  OIDC_CLIENT_KEY_FILE: keyless.keyFile,
  OIDC_TOKEN_URL: sb.oidc.tokenUrl,
};
/** The keyless client without a key in the environment (the module call passes --client-key-file; destroy needs no
 * token). */
const CLIENT: Auth = { OIDC_CLIENT_ID: keyless.clientId, OIDC_TOKEN_URL: sb.oidc.tokenUrl };
const wrong = `wrong-${randomBytes(12).toString('hex')}`;
/** The one run with a client secret: a wrong one, for the sandbox's secret client. */
const WRONG_SECRET: Auth = {
  OIDC_CLIENT_ID: sb.env.OIDC_CLIENT_ID,
  OIDC_CLIENT_SECRET: wrong,
  OIDC_TOKEN_URL: sb.oidc.tokenUrl,
};

/** What must never be in the state or in anything tofu prints: the key's PEM body lines and JWK d, both client secrets.
 * */
const keyPem = readFileSync(keyless.keyFile, 'utf8');
const keyMaterial = [
  // Every full line of the PEM body (the last, short one could occur anywhere by chance).
  ...keyPem.split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----')),
  (createPrivateKey(keyPem).export({ format: 'jwk' }) as { d: string }).d,
];
const secrets = [sb.env.OIDC_CLIENT_SECRET, wrong];
/** Everything every tofu run printed, for the check at the end. */
const printed: string[] = [];

function assertNoSecrets(t: Test, what: string, text: string, more: string[] = []): void {
  t.notMatch(text, /PRIVATE KEY|"d" *:/, `no private key in ${what}`);
  t.notOk(
    keyMaterial.some((l) => text.includes(l)),
    `no line of the key's PEM body, nor its JWK d, in ${what}`,
  );
  t.notOk(
    secrets.some((s) => text.includes(s)),
    `no client secret in ${what}`,
  );
  t.notOk(
    more.some((s) => text.includes(s)),
    `no assertion in ${what}`,
  );
  t.same(jwtsIn(text), [], `no token or assertion in ${what}`);
}

const tofuEnv = (auth: Auth): Record<string, string> => ({
  ...auth,
  HOME: home,
  TF_DATA_DIR: join(dir, 'tf-data'),
  TF_CLI_CONFIG_FILE: cliConfig,
  CHECKPOINT_DISABLE: '1',
  TF_IN_AUTOMATION: '1',
});

/** Runs tofu in the root module; never asks (-input=false where the command has it). */
async function tofu(args: string[], auth: Auth = KEY): Promise<CliResult> {
  const env = tofuEnv(auth);
  if (auth !== WRONG_SECRET && Object.keys(env).some((k) => /SECRET/.test(k)))
    throw new Error("a keyless run must have no client secret in tofu's environment");
  // Flags go before the positional arguments (Go's flag parsing stops at the first one).
  const n = args[0] === 'state' ? 2 : 1;
  const flags = ['init', 'plan', 'apply', 'destroy'].includes(args[0]!) ? ['-input=false', '-no-color'] : ['-no-color'];
  const r = await runCli([...args.slice(0, n), ...flags, ...args.slice(n)], {
    exe: sb.bin.tofu,
    cwd: work,
    env,
    timeoutMs: 300_000,
  });
  printed.push(r.stdout, r.stderr);
  return r;
}

async function get(kubeconfig: string, args: string[], jsonpath: string): Promise<string> {
  const r = await kubectl(sb.bin, kubeconfig, ['get', ...args, '-o', `jsonpath=${jsonpath}`]);
  return r.code === 0 ? r.stdout.trim() : `error: ${r.stderr.trim()}`;
}

const statusOf = (): Promise<CliResult> =>
  runCli(['status', '--kubeconfig', kfg, '--app-kubeconfig', app.kubeconfig, '--ca-file', sb.caFile]);

/** Starts the konnector once all.yaml is on the App Cluster (a kubelet would) and waits until status is exit 0. */
async function healthy(t: Test, what: string, running?: Konnector): Promise<Konnector> {
  const k = running ?? (await konnector(t, sb, app));
  const ok = await eventually(t, `helper status exit 0 (${what})`, 90_000, async () => {
    const r = await statusOf();
    return r.code === 0 ? { value: r, seen: '' } : { seen: `exit ${r.code}: ${r.stdout}${r.stderr}` };
  });
  t.ok(ok, `helper status exit 0 ${what}`);
  if (ok) t.match(ok.stdout, /\nverdict: ok\n$/);
  return k;
}

let namespace = '';
let teamNs = '';
const timings: string[] = [];
/** The line tofu prints when a provisioner runs helper unbind (the plan also shows the command, as stored input). */
const RAN_UNBIND = /\(local-exec\): Executing: \[.*'unbind' '--kubeconfig'/;

t.test('tofu init needs no download', async (t) => {
  const r = await tofu(['init']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /OpenTofu has been successfully initialized/);
  t.match(r.stdout, /terraform\.io\/builtin\/terraform is built in to OpenTofu/, 'the one provider is built in');
  t.notMatch(r.stdout, /Installing|Finding/, 'no provider looked up or installed');
  timings.push(`init ${r.ms} ms`);
  const fmt = await runCli(['fmt', '-check', '-diff', '-no-color', join(repoRoot, 'examples', 'terraform')], {
    exe: sb.bin.tofu,
    cwd: work,
    env: tofuEnv(CLIENT),
  });
  t.equal(fmt.code, 0, `the module is formatted as tofu fmt wants: ${fmt.stdout}${fmt.stderr}`);
});

t.test(
  "a wrong client secret fails the apply with helper's message and leaves nothing the next apply trips on",
  async (t) => {
    const r = await tofu(['apply', '-auto-approve'], WRONG_SECRET);
    t.equal(r.code, 1, 'tofu apply exit 1');
    const out = r.stdout + r.stderr;
    t.match(
      out,
      new RegExp(
        `token endpoint ${new URL(sb.env.OIDC_TOKEN_URL).host.replace(/\./g, '\\.')} refused client "` +
          `${sb.env.OIDC_CLIENT_ID}".*invalid_client`,
      ),
      "helper's message in tofu's output",
    );
    t.match(out, /exit\s+status\s+4\./, "helper's exit code (4: auth) as tofu reports it");
    t.notOk(out.includes(wrong), 'the wrong secret is not printed');
    t.notOk(existsSync(kfg), 'no provider kubeconfig written');
    t.notOk(existsSync(join(work, outDir, 'all.yaml')), 'no all.yaml written');
    t.equal(
      await get(app.kubeconfig, ['namespace', 'klutch-bind'], '{.metadata.name}').then((s) => s.startsWith('error:')),
      true,
      'nothing applied to the App Cluster',
    );
    const list = await tofu(['state', 'list']);
    t.equal(
      list.stdout.trim(),
      'module.bind.terraform_data.binding',
      'the failed create is in the state (tainted), to be created again',
    );
    assertNoSecrets(t, 'the state', readFileSync(join(work, 'terraform.tfstate'), 'utf8'));
    const show = await tofu(['plan']);
    t.match(
      show.stdout,
      /module\.bind\.terraform_data\.binding is tainted, so it must be replaced/,
      'the next plan replaces it',
    );
  },
);

t.test(
  'tofu apply binds with the key file and no secret: export requests Succeeded, outputs the namespace and ' +
    'the provider kubeconfig, no key or secret in the state',
  async (t) => {
    const r = await tofu(['apply', '-auto-approve']);
    t.equal(r.code, 0, r.stdout + r.stderr);
    timings.push(`apply ${r.ms} ms`);
    t.match(
      r.stdout,
      new RegExp(
        `\\(local-exec\\): requesting an access token from \\S+ for client ${keyless.clientId} \\(private_key_jwt\\)`,
      ),
      'helper authenticated with the key (private_key_jwt)',
    );
    t.match(r.stdout, /Apply complete! Resources: 1 added, 0 changed, 1 destroyed\./, 'the tainted resource replaced');
    t.notMatch(
      r.stdout,
      RAN_UNBIND,
      'no unbind ran for the tainted resource (destroy provisioners skip tainted resources)',
    );
    const o = await tofu(['output', '-json']);
    t.equal(o.code, 0, o.stderr);
    const out = JSON.parse(o.stdout) as Record<string, { value: string }>;
    namespace = out.namespace!.value;
    t.match(namespace, /^\S+$/, 'a namespace');
    t.equal(namespace, /namespace: (\S+)/.exec(readFileSync(kfg, 'utf8'))?.[1], "the provider kubeconfig's namespace");
    t.equal(out.provider_kubeconfig!.value, `${outDir}/provider.kfg.yaml`);
    t.equal(statSync(kfg).mode & 0o777, 0o600, 'provider kubeconfig mode 0600');
    t.equal(statSync(join(work, outDir, 'all.yaml')).mode & 0o777, 0o600, 'all.yaml mode 0600');
    const phases = await get(
      sb.controlPlane.kubeconfig,
      [`apiserviceexportrequests.${KLUTCH}`, '-n', namespace],
      '{.items[*].status.phase}',
    );
    t.same(phases.split(' '), ['Succeeded', 'Succeeded'], 'both export requests Succeeded');
    t.equal(
      await get(app.kubeconfig, ['deployment', 'konnector', '-n', 'klutch-bind'], '{.metadata.name}'),
      'konnector',
      'all.yaml applied to the App Cluster',
    );
    const state = readFileSync(join(work, 'terraform.tfstate'), 'utf8');
    t.match(state, /"provider_kubeconfig"/, "the module's state");
    assertNoSecrets(t, 'the state', state);
    assertNoSecrets(t, "tofu's output", r.stdout + r.stderr);
  },
);

t.test('with the konnector connected, helper status is exit 0; a second plan shows no changes', async (t) => {
  // A claim in a namespace of the binding, made before the konnector starts (README: create-ns).
  t.equal((await kubectl(sb.bin, app.kubeconfig, ['create', 'namespace', 'team-a'])).code, 0);
  const ns = await runCli(['create-ns', '--kubeconfig', kfg, '-n', 'team-a', '--ca-file', sb.caFile]);
  t.equal(ns.code, 0, ns.stderr);
  teamNs = ns.stdout.trim();
  const claim = JSON.stringify({
    apiVersion: 'anynines.com/v1',
    kind: 'PostgresqlInstance',
    metadata: { name: 'kept', namespace: teamNs },
    spec: { plan: 'plan-kept' },
  });
  t.equal((await kubectl(sb.bin, kfg, ['create', '-f', '-'], claim)).code, 0);
  const k = await healthy(t, 'after tofu apply');
  await eventually(t, 'the claim on the App Cluster', 60_000, async () => {
    const v = await get(app.kubeconfig, [CLAIM, 'kept', '-n', 'team-a'], '{.spec.plan}');
    return v === 'plan-kept' ? { value: v, seen: v } : { seen: v };
  });
  const p = await tofu(['plan', '-detailed-exitcode']);
  t.equal(p.code, 0, `plan -detailed-exitcode 0 (no changes): ${p.stdout}${p.stderr}`);
  t.match(p.stdout, /No changes\./);
  // A kubelet stops the konnector when unbind deletes its Deployment; the sandbox has none.
  await k.stop();
});

t.test(
  'tofu destroy unbinds, with no OIDC variable at all: no konnector or APIServiceBindings left on the App ' +
    'Cluster, the claim kept, the credential files gone',
  async (t) => {
    // Destroy needs no credential of the provider: unbind works with the provider kubeconfig.
    const r = await tofu(['destroy', '-auto-approve'], {});
    t.equal(r.code, 0, r.stdout + r.stderr);
    timings.push(`destroy ${r.ms} ms`);
    t.match(r.stdout, /Destroy complete! Resources: 1 destroyed\./);
    t.match(r.stdout, RAN_UNBIND, 'the destroy provisioner ran helper unbind');
    t.match(
      r.stdout,
      // OpenTofu prefixes each line of the provisioner's output with the resource and (local-exec).
      new RegExp(`(^|\\(local-exec\\): )kept +control-plane +PostgresqlInstance +${teamNs}/kept`, 'm'),
      "unbind's report lists the kept claim",
    );
    t.equal(
      await get(
        app.kubeconfig,
        ['deployments,serviceaccounts,secrets', '-n', 'klutch-bind', '--field-selector', 'metadata.name!=default'],
        '{.items[*].metadata.name}',
      ),
      '',
      'no konnector Deployment, ServiceAccount or Secret',
    );
    t.equal(
      await get(app.kubeconfig, [`apiservicebindings.${KLUTCH}`], '{.items[*].metadata.name}'),
      '',
      'no APIServiceBinding',
    );
    t.match(
      await get(app.kubeconfig, ['crd', CLAIM], '{.metadata.name}'),
      /^error: .*NotFound/,
      'the bound CRD deleted (unbind_args default --delete-crds)',
    );
    t.equal(
      await get(
        sb.controlPlane.kubeconfig,
        [`apiserviceexportrequests.${KLUTCH}`, '-n', namespace],
        '{.items[*].metadata.name}',
      ),
      '',
      'no export request left',
    );
    t.equal(
      await get(sb.controlPlane.kubeconfig, [CLAIM, 'kept', '-n', teamNs], '{.spec.plan}'),
      'plan-kept',
      'the claim stays on the control plane',
    );
    t.notOk(existsSync(join(work, outDir)), 'the provider kubeconfig, all.yaml and their directory are gone');
    const list = await tofu(['state', 'list']);
    t.equal(list.code, 0, list.stderr);
    t.equal(list.stdout.trim(), '', 'the state is empty');
  },
);

t.test(
  'apply again on the same App Cluster with wait_bindings and an assertion file: waits for the konnector, ' +
    'the kept claim comes back; destroy again',
  async (t) => {
    writeRoot({ wait_bindings: '5m' });
    // A CI's id_token written to a file, as the client assertion. The sandbox's oidc-provider trusts only the
    // client's own key, so the stand-in is signed with it (iss = sub = the client, aud = the token endpoint).
    const signer = await importPKCS8(keyPem, 'RS256');
    const assertion = await new SignJWT({ jti: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'RS256', kid: keyless.kid })
      .setIssuer(keyless.clientId)
      .setSubject(keyless.clientId)
      .setAudience(sb.oidc.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signer);
    const assertionFile = join(dir, 'id_token');
    writeFileSync(assertionFile, `${assertion}\n`, { mode: 0o600 });
    const applying = tofu(['apply', '-auto-approve'], { ...CLIENT, OIDC_CLIENT_ASSERTION_FILE: assertionFile });
    // As a kubelet would: the konnector starts once the apply made its ServiceAccount, while create waits for it.
    await eventually(t, 'the konnector ServiceAccount on the App Cluster', 120_000, async () => {
      const v = await get(app.kubeconfig, ['serviceaccount', 'konnector', '-n', 'klutch-bind'], '{.metadata.name}');
      return v === 'konnector' ? { value: v, seen: v } : { seen: v };
    });
    const started = await konnector(t, sb, app);
    const r = await applying;
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.match(
      r.stdout,
      new RegExp(
        `\\(local-exec\\): requesting an access token from \\S+ for client ${keyless.clientId} \\(client ` +
          `assertion from ${assertionFile}\\)`,
      ),
      'helper authenticated with the assertion file',
    );
    assertNoSecrets(t, "tofu's output", r.stdout + r.stderr, [assertion]);
    assertNoSecrets(t, 'the state', readFileSync(join(work, 'terraform.tfstate'), 'utf8'), [assertion]);
    t.match(
      r.stdout,
      /\(local-exec\): .*waiting up to 300s for 2 APIServiceBinding\(s\) to be Ready/,
      'create waited for the bindings',
    );
    t.match(
      r.stdout,
      /\(local-exec\): .*all 2 APIServiceBinding\(s\) Ready on the/,
      'until the konnector connected both',
    );
    const o = JSON.parse((await tofu(['output', '-json'])).stdout) as Record<string, { value: string }>;
    t.equal(o.namespace!.value, namespace, 'the same clusterID: the same cluster namespace');
    const k = await healthy(t, 'after the second apply', started);
    const v = await eventually(t, 'the kept claim back on the App Cluster', 90_000, async () => {
      const s = await get(app.kubeconfig, [CLAIM, 'kept', '-n', 'team-a'], '{.spec.plan}');
      return s === 'plan-kept' ? { value: s, seen: s } : { seen: s };
    });
    t.equal(v, 'plan-kept');

    // The output directory lost (a fresh CI workspace): the namespace output goes null, and
    // taint + apply (the README's recovery) writes the files again for the same binding.
    rmSync(join(work, outDir), { recursive: true });
    const lost = await tofu(['plan', '-detailed-exitcode']);
    t.equal(lost.code, 2, `plan shows a change: ${lost.stdout}${lost.stderr}`);
    t.match(lost.stdout, /namespace += +"[^"]+" -> null/, 'the namespace output becomes null');
    t.equal((await tofu(['taint', 'module.bind.terraform_data.binding'])).code, 0);
    // The key file's path in the module call instead of the environment: a path in the configuration, in no state.
    writeRoot({ wait_bindings: '5m', bootstrap_args: ['--timeout', '90s', '--client-key-file', keyless.keyFile] });
    const re = await tofu(['apply', '-auto-approve'], CLIENT);
    t.equal(re.code, 0, re.stdout + re.stderr);
    t.match(
      re.stdout,
      new RegExp(
        `\\(local-exec\\): requesting an access token from \\S+ for client ${keyless.clientId} \\(private_key_jwt\\)`,
      ),
      'helper authenticated with --client-key-file',
    );
    t.notOk(
      readFileSync(join(work, 'terraform.tfstate'), 'utf8').includes(keyless.keyFile),
      "the key file's path is not in the state either",
    );
    t.notMatch(re.stdout, RAN_UNBIND, 'no unbind ran for the tainted resource');
    const o2 = JSON.parse((await tofu(['output', '-json'])).stdout) as Record<string, { value: string }>;
    t.equal(o2.namespace!.value, namespace, 'the files written again, the same namespace');
    t.equal((await tofu(['plan', '-detailed-exitcode'], CLIENT)).code, 0, 'no changes after the recovery');
    writeRoot({ wait_bindings: '5m' });
    t.equal(
      (await tofu(['plan', '-detailed-exitcode'])).code,
      0,
      'no changes either with the key file from the environment again (how helper authenticates is not in the state)',
    );
    await k.stop();

    // What a change plans (plans only): another binding.json replaces the binding, another path updates in place.
    writeRoot({
      wait_bindings: '5m',
      binding_json: JSON.stringify({ clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] }),
    });
    const other = await tofu(['plan', '-detailed-exitcode']);
    t.equal(other.code, 2, other.stderr);
    t.match(
      other.stdout,
      /# module\.bind\.terraform_data\.binding must be replaced/,
      'a binding.json change forces replacement (unbind, then bind)',
    );
    t.match(other.stdout, /Plan: 1 to add, 0 to change, 1 to destroy\./);
    writeRoot({ wait_bindings: '5m', output_dir: 'elsewhere' });
    const moved = await tofu(['plan', '-detailed-exitcode']);
    t.equal(moved.code, 2, moved.stderr);
    t.match(
      moved.stdout,
      /Plan: 0 to add, 1 to change, 0 to destroy\./,
      'a path change updates the stored input in place (runs nothing)',
    );
    writeRoot({ wait_bindings: '5m' });

    // A failing destroy (the provider kubeconfig missing: unbind exit 3) keeps the resource; the next destroy finishes.
    renameSync(kfg, `${kfg}.away`);
    const failed = await tofu(['destroy', '-auto-approve']);
    t.equal(failed.code, 1, 'tofu destroy exit 1');
    t.match(failed.stdout + failed.stderr, /exit\s+status\s+3\./, "unbind's exit code (3: input)");
    t.match(failed.stdout, /\(local-exec\): error: .*provider\.kfg\.yaml/, "unbind's message naming the kubeconfig");
    t.equal(
      (await tofu(['state', 'list'])).stdout.trim(),
      'module.bind.terraform_data.binding',
      'the binding stays in the state',
    );
    renameSync(`${kfg}.away`, kfg);
    const d = await tofu(['destroy', '-auto-approve']);
    t.equal(d.code, 0, d.stdout + d.stderr);
    t.match(d.stdout, RAN_UNBIND, 'the next destroy runs unbind');
    t.equal(
      await get(app.kubeconfig, [`apiservicebindings.${KLUTCH}`], '{.items[*].metadata.name}'),
      '',
      'no APIServiceBinding',
    );
    assertNoSecrets(t, 'the state', readFileSync(join(work, 'terraform.tfstate'), 'utf8'));
    t.comment(`tofu: ${timings.join(', ')}`);
  },
);

t.test('no run of tofu printed key material, a client secret, an assertion or a token', async (t) => {
  t.ok(printed.length >= 40, `${printed.length / 2} runs of tofu`);
  assertNoSecrets(t, "tofu's output", printed.join('\n'));
});
