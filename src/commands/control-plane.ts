/** `helper control-plane`: the Klutch control-plane setup as subcommands (init, render, apply, check, adopt). */
import type { Argv, CommandModule } from 'yargs';
import { DATA_SERVICE_NAMES, type DataServiceName } from '../control-plane/catalog.ts';
import { parseDuration } from '../duration.ts';
import { ClusterError, exitCodesEpilog, UsageError } from '../errors.ts';
import { log } from '../log.ts';
import type { RunContext } from '../run-context.ts';
import { CALL_OPTIONS, CONTEXT_OPTION, DRY_RUN_OPTION, KUBECONFIG_DESCRIBE, OUTPUT_FILE_OPTION, callPolicyOf, checkRetries, isDryRun, resolveOutput, tightenStdoutFile, tlsOf, tlsOptions } from './call-options.ts';

const KEY_OPTIONS = {
  previous: { type: 'string', requiresArg: true, normalize: true, describe: 'a previous render (control-plane.yaml): keep its cookie keys' },
  seed: { type: 'string', requiresArg: true, describe: 'derive the cookie keys from this seed (prefer env:NAME or file:PATH over a literal)' },
} as const;

const TLS_OPTIONS = tlsOptions('the control plane\'s API', 'the control plane\'s TLS certificate (prints a warning)');

/** The kubeconfig as kubectl finds it (fallback: $KUBECONFIG, ~/.kube/config), or only the flag's file (render: offline defaults must not depend on the environment). */
async function readKubeconfig(ctx: RunContext, argv: Record<string, unknown>, fallback = true): Promise<{ path: string; text: string }> {
  const { resolveKubeconfig } = await import('../kube/kubeconfig-file.ts');
  const k = resolveKubeconfig({ flag: argv.kubeconfig as string | undefined, context: argv.context as string | undefined, env: ctx.env, fallback });
  return { path: k.label, text: k.text };
}

async function clusterClient(argv: Record<string, unknown>, kubeconfig: { path: string; text: string }, signal: AbortSignal | undefined) {
  const [{ InputError }, { readCaFile, warnInsecure }, { connect }, { readKubeconfig, usableConnection }] = await Promise.all([
    import('../errors.ts'), import('../http.ts'), import('../kube/client.ts'), import('../kube/kubeconfig.ts'),
  ]);
  const { caFile, insecure } = tlsOf(argv);
  if (insecure) warnInsecure('the control plane\'s TLS certificate is');
  const conn = usableConnection(readKubeconfig(kubeconfig.text, { caPem: readCaFile(caFile), insecure }), (why) => new InputError('HELPER_KUBECONFIG_INVALID', `kubeconfig ${kubeconfig.path} cannot be used: ${why}`));
  const calls = callPolicyOf(argv);
  return connect(conn, { label: 'control plane', requestTimeoutMs: calls.requestTimeoutMs, attempts: calls.attempts, signal, forbiddenHint: 'control-plane apply and check need a cluster-admin kubeconfig' });
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
        .option('prune', { type: 'boolean', default: false, describe: 'also delete objects labelled app.kubernetes.io/managed-by=helper that the render no longer has (never CRDs or Namespaces, never objects helper did not label)' })
        .example('$0 control-plane apply -f values.yaml --kubeconfig cp.kubeconfig', 'install or update; the cookie keys in the cluster are kept')
        .example('$0 control-plane apply -f values.yaml --kubeconfig cp.kubeconfig --prune --dry-run', 'list what --prune would delete')
        .epilog('Needs Crossplane (>= 1.17.1) and cert-manager on the cluster. Objects that exist without helper\'s label (set up by hand from the setup page) are updated in place and stay unlabelled.\n' + exitCodesEpilog(['usage', 'input', 'cluster', 'timeout'], { input: 'also: init placeholders left, references unset', cluster: 'also: prerequisites missing' })),
    handler: async (argv) => {
      const [{ prepare }, { renderControlPlane }, { applyControlPlane, clusterCookieKeys }] = await Promise.all([
        import('../control-plane/inputs.ts'), import('../control-plane/render.ts'), import('../control-plane/apply.ts'),
      ]);
      const kubeconfig = await readKubeconfig(ctx, argv);
      const timeoutMs = parseDuration('--timeout', argv.timeout);
      const calls = callPolicyOf(argv);
      const kc = await clusterClient(argv, kubeconfig, ctx.signal);
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
      if (!dryRun) ctx.applied = { server: `control plane ${kc.host}`, total: objects.length, objects: done };
      const r = await applyControlPlane(kc, objects, p.settings, { dryRun, timeoutMs, ...calls, signal: ctx.signal, onApplied: (what) => done.push(what), prune: Boolean(argv.prune) });
      log.info(`${dryRun ? '(dry run) ' : ''}${r.applied} object(s) applied${r.notValidated.length ? `, ${r.notValidated.length} not validated` : ''}${argv.prune ? `, ${r.pruned.length} ${dryRun ? 'to prune' : 'pruned'}` : ''}; cookie keys: ${p.keySource}`);
    },
  };
}

function checkCommand(ctx: RunContext): CommandModule {
  return {
    command: 'check',
    describe: 'Report what is installed and healthy on a Control Plane Cluster, root causes first',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: `kubeconfig of the Control Plane Cluster (read access to everything checked) ${KUBECONFIG_DESCRIBE}` })
        .option('context', CONTEXT_OPTION)
        .option('file', { alias: 'f', type: 'string', requiresArg: true, normalize: true, describe: 'values file: expect what render makes of it (default: what adopt reads from the cluster)' })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'report format on stdout' })
        .option('require-ready', { type: 'boolean', default: true, describe: 'fail when something installed is not running yet (--no-require-ready: only missing or invalid objects fail)' })
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .options(TLS_OPTIONS)
        .example('$0 control-plane check --kubeconfig cp.kubeconfig -f values.yaml', 'after apply: is everything there and running?')
        .epilog('The report goes to stdout whatever the outcome. Statuses: ok, missing, invalid, not-ready, cannot-see (DNS, the identity provider: said, neither passed nor failed).\n' + exitCodesEpilog(['usage', 'input', 'cluster'], { cluster: 'something missing or invalid, or not ready unless --no-require-ready' })),
    handler: async (argv) => {
      const [{ checkControlPlane, expectedObjects, formatReport }, { Reader }, { settingsOf }] = await Promise.all([
        import('../control-plane/check.ts'), import('../control-plane/cluster.ts'), import('../control-plane/values.ts'),
      ]);
      let settings: import('../control-plane/values.ts').Settings | undefined;
      if (argv.file !== undefined) {
        const [{ readValues }, { parseValues, refusePlaceholders }] = await Promise.all([import('../control-plane/inputs.ts'), import('../control-plane/values.ts')]);
        const { text, source } = readValues(argv.file as string);
        settings = settingsOf(parseValues(text, source));
        refusePlaceholders(text, source);
      }
      const kubeconfig = await readKubeconfig(ctx, argv);
      const kc = await clusterClient(argv, kubeconfig, ctx.signal);
      const calls = callPolicyOf(argv);
      const reader = new Reader(kc);
      const server = kc.conn.server;
      if (!settings) {
        const { readControlPlane } = await import('../control-plane/adopt.ts');
        settings = settingsOf((await readControlPlane(reader, { requireBackend: false, server })).values);
      }
      const report = await checkControlPlane(reader, server, { settings, objects: expectedObjects(settings, server) });
      ctx.stdout(argv.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      const c = report.counts;
      const summary = `${c.missing} missing, ${c.invalid} invalid, ${c['not-ready']} not ready`;
      const first = report.firstProblem ? `first: ${report.firstProblem.object}: ${report.firstProblem.detail}` : '';
      if (c.missing || c.invalid) throw new ClusterError('HELPER_CP_INCOMPLETE', `control plane ${reader.host} is not set up: ${summary} (see the report); ${first}`);
      if (c['not-ready'] && argv['require-ready']) {
        throw new ClusterError('HELPER_CP_NOT_READY', `control plane ${reader.host} is installed but not running: ${c['not-ready']} item(s) not ready (see the report); ${first}`, { hint: '--no-require-ready only checks what is installed' });
      }
      log.info(c['not-ready'] ? `installed; ${c['not-ready']} item(s) not ready yet` : 'healthy');
    },
  };
}

function adoptCommand(ctx: RunContext): CommandModule {
  return {
    command: 'adopt',
    describe: 'Read a control plane set up by hand (from the setup page) and print the values file that reproduces it',
    builder: (y: Argv) =>
      y
        .option('kubeconfig', { type: 'string', requiresArg: true, normalize: true, describe: `kubeconfig of the Control Plane Cluster (read access to what it reads, Secrets included) ${KUBECONFIG_DESCRIBE}` })
        .option('context', CONTEXT_OPTION)
        .option('output-file', { ...OUTPUT_FILE_OPTION, describe: 'write the values file to this file (atomically, mode 0600) instead of stdout; - is stdout' })
        .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'output format: yaml. (-o FILE is taken as --output-file FILE, with a deprecation warning)' })
        .check((a) => { resolveOutput(a, ['yaml'], 'yaml'); return true; })
        .options(CALL_OPTIONS)
        .check((a) => checkRetries(a.retries))
        .options(TLS_OPTIONS)
        .example('$0 control-plane adopt --kubeconfig cp.kubeconfig --output-file values.yaml', 'then: control-plane render -f values.yaml, control-plane apply -f values.yaml')
        .epilog('The values file holds env: references, never secrets; stderr lists the variables and where each value is in the cluster, then what render and apply would change.\n' + exitCodesEpilog(['usage', 'input', 'cluster'], { cluster: 'also: no backend to adopt' })),
    handler: async (argv) => {
      const [{ readControlPlane, adoptedValuesYaml }, { Reader }, { parseValues, settingsOf }, { renderControlPlane }, { adaptToCluster, liveObjects }, { diffObject, formatDiffs }] = await Promise.all([
        import('../control-plane/adopt.ts'), import('../control-plane/cluster.ts'), import('../control-plane/values.ts'), import('../control-plane/render.ts'),
        import('../control-plane/apply.ts'), import('../control-plane/diff.ts'),
      ]);
      const output = resolveOutput(argv, ['yaml'], 'yaml');
      for (const d of output.deprecations) log.warn(d);
      const kubeconfig = await readKubeconfig(ctx, argv);
      const kc = await clusterClient(argv, kubeconfig, ctx.signal);
      const calls = callPolicyOf(argv);
      const reader = new Reader(kc);
      const server = kc.conn.server;
      const adopted = await readControlPlane(reader, { requireBackend: true, server });
      const text = adoptedValuesYaml(adopted, reader.host);
      // What is written must be a values file helper accepts.
      const settings = settingsOf(parseValues(text, 'the adopted values'));
      const out = output.file;
      if (out) {
        const { writeFileAtomic } = await import('../write/files.ts');
        writeFileAtomic(out, text);
      } else {
        ctx.stdout(text);
      }
      for (const n of adopted.notes) log.warn(n);
      log.info(`set these before render or apply: ${adopted.env.map((e) => e.name).join(' ')}`);
      for (const e of adopted.env) log.info(`  ${e.name.padEnd(40)} ${e.from}${e.value === undefined ? '  (not found in the cluster)' : ''}`);
      if (!adopted.inputs) {
        log.warn('cannot compare a render with the cluster: it lacks the CA (Secret bind/k8sca), the cookie keys (bind/cookie-config) or the external address');
        return;
      }
      const rendered = renderControlPlane({ settings, ...adopted.inputs });
      const { objects } = await adaptToCluster(reader, rendered);
      const live = await liveObjects(reader, objects);
      const lines = formatDiffs(objects.map((o) => diffObject(o, live.get(o) as Record<string, unknown> | undefined)));
      if (!lines.length) log.info('render of these values matches the cluster: apply changes nothing');
      else log.info(`render of these values differs from the cluster; apply would change:\n${lines.join('\n')}`);
    },
  };
}

export function controlPlaneCommand(ctx: RunContext): CommandModule {
  return {
    command: 'control-plane',
    describe: 'Set up a Klutch Control Plane Cluster: init, render, apply, check, adopt',
    builder: (y: Argv) =>
      y
        .command(initCommand(ctx))
        .command(renderCommand(ctx))
        .command(applyCommand(ctx))
        .command(checkCommand(ctx))
        .command(adoptCommand(ctx))
        .demandCommand(1, 'name a subcommand: init, render, apply, check or adopt'),
    handler: () => {},
  };
}
