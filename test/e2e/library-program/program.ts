/**
 * A consumer of the library, as a TypeScript automation would write it: bind an App Cluster, apply
 * its manifests, read its status, unbind. test/e2e/library.test.ts copies it into a fresh directory
 * outside the repository where the packed tarball is installed, type-checks it (tsc --strict) and
 * runs it against the sandbox. It prints one JSON line of what it saw; it passes a logger only with
 * LIB_LOGGER=1 (then it prints the lines it got, counted, and whether they held the secret).
 */
import { writeFileSync } from 'node:fs';
import {
  applyManifests,
  bind,
  HelperError,
  status,
  unbind,
  type BindResult,
  type ErrorCode,
  type LogSink,
  type StatusReport,
  type UnbindReport,
} from 'klutch-bind-helper';

interface Config {
  url: string;
  caFile: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clusterID: string;
  appKubeconfig: string;
}
const cfg = JSON.parse(process.env.LIB_CONFIG ?? '{}') as Config;
const lines: string[] = [];
const logger: LogSink | undefined =
  process.env.LIB_LOGGER === '1'
    ? (line) => {
        lines.push(line);
      }
    : undefined;
const common = { caFile: cfg.caFile, ...(logger ? { logger } : {}) };

try {
  const bound: BindResult = await bind({
    ...common,
    binding: { clusterID: cfg.clusterID, apis: [{ group: 'anynines.com', resource: 'postgresqlinstances' }] },
    url: cfg.url,
    oidc: { clientId: cfg.clientId, tokenUrl: cfg.tokenUrl, clientSecret: cfg.clientSecret },
    timeoutMs: 180_000,
  });
  writeFileSync('provider.kfg.yaml', bound.kubeconfig, { mode: 0o600 });
  const applied = await applyManifests({ ...common, manifests: bound.manifests, kubeconfig: cfg.appKubeconfig });
  const report: StatusReport = await status({
    ...common,
    kubeconfig: 'provider.kfg.yaml',
    appKubeconfig: cfg.appKubeconfig,
  });
  const unbound: UnbindReport = await unbind({
    ...common,
    kubeconfig: 'provider.kfg.yaml',
    appKubeconfig: cfg.appKubeconfig,
  });
  process.stdout.write(
    `${JSON.stringify({
      clusterNamespace: bound.clusterNamespace,
      kinds: bound.manifests.map((m) => m.kind),
      yamlStartsWith: bound.yaml.slice(0, 20),
      exportRequests: bound.exportRequests.map((r) => `${r.name}:${r.phase}`),
      applied: applied.applied.length,
      verdict: report.verdict,
      items: report.items.map((i) => `${i.kind}:${i.verdict}`),
      unbindActions: unbound.items.length,
      logLines: lines.length,
      logHasSecret: lines.some((l) => l.includes(cfg.clientSecret)),
      firstLogLine: lines[0] ?? null,
    })}\n`,
  );
} catch (err) {
  const code: ErrorCode | string = err instanceof HelperError ? err.code : 'not a HelperError';
  process.stdout.write(`${JSON.stringify({ error: code, message: String((err as Error).message) })}\n`);
  process.exitCode = 1;
}
