/** `helper control-plane`: the Klutch control-plane setup as subcommands (init, render, apply, check). */
import type { Argv, CommandModule } from 'yargs';
import { DATA_SERVICE_NAMES, type DataServiceName } from '../control-plane/catalog.ts';
import { parseDuration } from '../duration.ts';
import { ClusterError, exitCodesEpilog, UsageError } from '../errors.ts';
import { log } from '../log.ts';
import type { RunContext } from '../run-context.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, DRY_RUN_OPTION, KUBECONFIG_DESCRIBE, OUTPUT_FILE_OPTION, callPolicyOf, checkRetries, isDryRun, resolveOutput, tightenStdoutFile } from './call-options.ts';

const KEY_OPTIONS = {
  previous: { type: 'string', requiresArg: true, normalize: true, describe: 'a previous render (control-plane.yaml): keep its cookie keys' },
  seed: { type: 'string', requiresArg: true, describe: 'derive the cookie keys from this seed (prefer env:NAME or file:PATH over a literal)' },
} as const;

const TLS_OPTIONS = {
  'ca-file': { type: 'string', requiresArg: true, normalize: true, describe: 'extra PEM CA bundle trusted for the control plane\'s API (env HELPER_CA_FILE)' },
  'insecure-skip-tls-verify': { type: 'boolean', default: false, describe: 'do not verify the control plane\'s TLS certificate (prints a warning)' },
} as const;

/** The kubeconfig as kubectl finds it (fallback: $KUBECONFIG, ~/.kube/config), or only the flag's file (render: offline defaults must not depend on the environment). */
async function readKubeconfig(ctx: RunContext, argv: Record<string, unknown>, fallback = true): Promise<{ path: string; text: string }> {
  const { resolveKubeconfig } = await import('../kube/kubeconfig-file.ts');
  const k = resolveKubeconfig({ flag: argv.kubeconfig as string | undefined, context: argv.context as string | undefined, env: ctx.env, fallback });
  return { path: k.label, text: k.text };
}

async function clusterClient(argv: Record<string, unknown>, kubeconfig: { text: string }) {
  const [{ readCaFile }, { loadKubeConfig }] = await Promise.all([import('../http.ts'), import('../kube/client.ts')]);
  const insecure = Boolean(argv['insecure-skip-tls-verify']);
  if (insecure) log.warn('--insecure-skip-tls-verify: the control plane\'s TLS certificate is NOT verified');
  return loadKubeConfig(kubeconfig.text, { extraCaPem: readCaFile(argv['ca-file'] as string | undefined), insecure });
}

function warnRandomKeys(source: string): void {
  if (source === 'random') {
    log.warn('new random cookie keys: rendering again gives other keys and logs every backend user out; keep them with --previous control-plane.yaml or --seed');
  }
}

function initCommand(ctx: RunContext): CommandModule {
  return {
    command: 'init',
    describe: 'Print a commented values file listing every input',
    builder: (y: Argv) =>
      y
        .option('data-services', { type: 'string', array: true, default: ['postgresql'], describe: `data services to list (${DATA_SERVICE_NAMES.join(', ')}); comma-separated or repeated` })
        .example('$0 control-plane init --data-services postgresql,mariadb > values.yaml', 'start a values file'),
    handler: async (argv) => {
      const wanted = ([] as string[]).concat(argv['data-services'] as string[]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      const unknown = wanted.filter((s) => !(DATA_SERVICE_NAMES as string[]).includes(s));
      if (unknown.length) throw new UsageError(`--data-services: unknown ${unknown.join(', ')} (choose from ${DATA_SERVICE_NAMES.join(', ')})`);
      if (!wanted.length) throw new UsageError('--data-services: name at least one data service');
      const { initValues } = await import('../control-plane/init.ts');
      ctx.stdout(initValues({ dataServices: wanted as DataServiceName[] }));
    },
  };
}

function renderCommand(ctx: RunContext): CommandModule {
  return {
    command: 'render',
    describe: 'Print the control plane\'s manifests (ordered, deterministic; they hold credentials)',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', demandOption: true, requiresArg: true, normalize: true, describe: 'values file, or - for stdin' })
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: 'control-plane kubeconfig (read only, offline; only this flag, never $KUBECONFIG): default external address and CA' })
        .option('context', { ...CONTEXT_OPTION, describe: 'context of the --kubeconfig file (default: its current-context)' })
        .options(KEY_OPTIONS)
        .option('output-file', { ...OUTPUT_FILE_OPTION, describe: 'write the manifests to this file (atomically, mode 0600) instead of stdout; - is stdout' })
        .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'output format: yaml. (Deprecated: -o FILE, use --output-file)' })
        .conflicts('previous', 'seed')
        .check((a) => {
          if (a.context !== undefined && a.kubeconfig === undefined) throw new UsageError('--context picks a context of --kubeconfig; pass --kubeconfig too');
          resolveOutput(a, ['yaml'], 'yaml');
          return true;
        })
        .example('$0 control-plane render -f values.yaml --kubeconfig cp.kubeconfig --previous control-plane.yaml --output-file control-plane.yaml', 're-render, keeping the cookie keys'),
    handler: async (argv) => {
      const [{ prepare }, { renderControlPlane }, { toYaml }] = await Promise.all([
        import('../control-plane/inputs.ts'), import('../control-plane/render.ts'), import('../render/to-yaml.ts'),
      ]);
      const output = resolveOutput(argv, ['yaml'], 'yaml');
      for (const d of output.deprecations) log.warn(d);
      const kubeconfig = argv.kubeconfig === undefined ? undefined : await readKubeconfig(ctx, argv, false);
      const p = await prepare({ valuesFile: argv.file as string, env: ctx.env, kubeconfig, previous: argv.previous as string | undefined, seed: argv.seed as string | undefined });
      warnRandomKeys(p.keySource);
      const objects = renderControlPlane(p.inputs);
      const text = `# helper control-plane render: holds credentials (Secrets); do not commit.\n${toYaml(objects)}`;
      const out = output.file;
      if (out) {
        const { writeFileAtomic } = await import('../write/files.ts');
        writeFileAtomic(out, text);
      } else {
        tightenStdoutFile('the control plane\'s credentials (Secrets)');
        ctx.stdout(text);
      }
      log.info(`${objects.length} object(s) rendered for ${p.settings.dataServices.map((d) => d.name).join(', ')}; cookie keys: ${p.keySource}`);
    },
  };
}

function applyCommand(ctx: RunContext): CommandModule {
  return {
    command: 'apply',
    describe: 'Render and apply with server-side apply (CRDs, wait until Established, then the rest); idempotent',
    builder: (y: Argv) =>
      y
        .option('file', { alias: 'f', type: 'string', demandOption: true, requiresArg: true, normalize: true, describe: 'values file, or - for stdin' })
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: `cluster-admin kubeconfig of the Control Plane Cluster ${KUBECONFIG_DESCRIBE}` })
        .option('context', CONTEXT_OPTION)
        .option('dry-run', DRY_RUN_OPTION)
        .option('timeout', { type: 'string', default: '5m', describe: 'bound of the whole apply, including the waits for CRDs' })
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .options(KEY_OPTIONS)
        .conflicts('previous', 'seed')
        .options(TLS_OPTIONS)
        .example('$0 control-plane apply -f values.yaml --kubeconfig cp.kubeconfig', 'install or update; the cookie keys in the cluster are kept')
        .epilog('Needs Crossplane (>= 1.15) and cert-manager on the cluster.\n' + exitCodesEpilog(['usage', 'input', 'cluster', 'timeout'], { cluster: 'also: prerequisites missing' })),
    handler: async (argv) => {
      const [{ prepare }, { renderControlPlane }, { applyControlPlane, clusterCookieKeys }] = await Promise.all([
        import('../control-plane/inputs.ts'), import('../control-plane/render.ts'), import('../control-plane/apply.ts'),
      ]);
      const kubeconfig = await readKubeconfig(ctx, argv);
      const timeoutMs = parseDuration('--timeout', argv.timeout);
      const calls = callPolicyOf(argv);
      const kc = await clusterClient(argv, kubeconfig);
      const p = await prepare({
        valuesFile: argv.file as string,
        env: ctx.env,
        kubeconfig,
        previous: argv.previous as string | undefined,
        seed: argv.seed as string | undefined,
        clusterKeys: () => clusterCookieKeys(kc, { signal: ctx.signal, timeoutMs: calls.requestTimeoutMs, attempts: calls.attempts }),
      });
      warnRandomKeys(p.keySource);
      const dryRun = isDryRun(argv);
      const objects = renderControlPlane(p.inputs);
      const done: string[] = [];
      if (!dryRun) ctx.applied = { server: `control plane ${(await import('../http.ts')).hostOf(kc.getCurrentCluster()?.server ?? '')}`, total: objects.length, objects: done };
      const r = await applyControlPlane(kc, objects, p.settings, { dryRun, timeoutMs, ...calls, signal: ctx.signal, onApplied: (what) => done.push(what) });
      log.info(`${dryRun ? '(dry run) ' : ''}${r.applied} object(s) applied${r.notValidated.length ? `, ${r.notValidated.length} not validated` : ''}; cookie keys: ${p.keySource}`);
    },
  };
}

function checkCommand(ctx: RunContext): CommandModule {
  return {
    command: 'check',
    describe: 'Report what is installed and healthy on a Control Plane Cluster',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: `kubeconfig of the Control Plane Cluster (read access to everything checked) ${KUBECONFIG_DESCRIBE}` })
        .option('context', CONTEXT_OPTION)
        .option('file', { alias: 'f', type: 'string', requiresArg: true, normalize: true, describe: 'values file: expect exactly its data services and issuer (default: discover)' })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'report format on stdout' })
        .option('require-ready', { type: 'boolean', default: true, describe: 'fail when something installed is not running yet (--no-require-ready: only missing or invalid objects fail)' })
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .options(TLS_OPTIONS)
        .example('$0 control-plane check --kubeconfig cp.kubeconfig -f values.yaml', 'after apply: is everything there and running?')
        .epilog('The report goes to stdout whatever the outcome. Statuses: ok, missing, invalid, not-ready.\n' + exitCodesEpilog(['usage', 'input', 'cluster'], { cluster: 'something missing or invalid, or not ready unless --no-require-ready' })),
    handler: async (argv) => {
      const [{ checkControlPlane, defaultExpectations, formatReport }, { Reader }] = await Promise.all([
        import('../control-plane/check.ts'), import('../control-plane/cluster.ts'),
      ]);
      const exp = defaultExpectations();
      if (argv.file !== undefined) {
        const [{ readValues, }, { parseValues, settingsOf }] = await Promise.all([import('../control-plane/inputs.ts'), import('../control-plane/values.ts')]);
        const { text, source } = readValues(argv.file as string);
        const s = settingsOf(parseValues(text, source));
        Object.assign(exp, { crossplaneNamespace: s.crossplane.namespace, binderClusterRole: s.backend.binderClusterRole, dataServices: s.dataServices.map((d) => d.name), issuer: s.tls.issuer });
      }
      const kubeconfig = await readKubeconfig(ctx, argv);
      const kc = await clusterClient(argv, kubeconfig);
      const calls = callPolicyOf(argv);
      const reader = new Reader(kc, { timeoutMs: calls.requestTimeoutMs, attempts: calls.attempts, signal: ctx.signal });
      const report = await checkControlPlane(reader, kc.getCurrentCluster()?.server ?? '', exp);
      ctx.stdout(argv.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      const c = report.counts;
      const summary = `${c.missing} missing, ${c.invalid} invalid, ${c['not-ready']} not ready`;
      if (c.missing || c.invalid) throw new ClusterError('HELPER_CP_INCOMPLETE', `control plane ${reader.host} is not set up: ${summary} (see the report)`);
      if (c['not-ready'] && argv['require-ready']) {
        throw new ClusterError('HELPER_CP_NOT_READY', `control plane ${reader.host} is installed but not running: ${c['not-ready']} item(s) not ready (see the report)`, { hint: '--no-require-ready only checks what is installed' });
      }
      log.info(c['not-ready'] ? `installed; ${c['not-ready']} item(s) not ready yet` : 'healthy');
    },
  };
}

export function controlPlaneCommand(ctx: RunContext): CommandModule {
  return {
    command: 'control-plane',
    describe: 'Set up a Klutch Control Plane Cluster: init, render, apply, check',
    builder: (y: Argv) =>
      y
        .command(initCommand(ctx))
        .command(renderCommand(ctx))
        .command(applyCommand(ctx))
        .command(checkCommand(ctx))
        .demandCommand(1, 'name a subcommand: init, render, apply or check'),
    handler: () => {},
  };
}
