/**
 * `control-plane apply`: the rendered objects with server-side apply, in
 * stages. Pre-flight first: Crossplane (its package CRDs and namespace) and,
 * for an ACME issuer, cert-manager must be installed, or nothing is applied.
 * Stage 1 is everything whose kind is served already or comes with this
 * render (kube/apply.ts: CRDs, wait until Established, then the rest in
 * order). Stage 2 is the ProviderConfigs, whose CRDs appear only once
 * Crossplane has installed the Provider packages of stage 1: it waits for
 * those CRDs, bounded by the same deadline. Re-runs change nothing.
 */
import type { KObject, KubeClient } from '../kube/client.ts';
import { ClusterError } from '../errors.ts';
import { applyInPhases, type ApplyObject } from '../kube/apply.ts';
import { waitUntil } from '../kube/wait.ts';
import { log } from '../log.ts';
import { packageRepository } from './catalog.ts';
import { isEstablished, Reader } from './cluster.ts';
import { asApplied } from './diff.ts';
import { COOKIE_SECRET, keysFromSecret, type CookieKeys } from './keys.ts';
import { BACKEND_NAMESPACE, FOREIGN_KINDS, MANAGED_BY, objectId, type K8sObject } from './render.ts';
import type { Settings } from './values.ts';

export interface ControlPlaneApplyOptions {
  dryRun: boolean;
  /** Bound of the whole apply, including the waits for CRDs. */
  timeoutMs: number;
  /** Bound of each API call; default 30 s. */
  requestTimeoutMs?: number | undefined;
  /** Attempts per API call (1 + retries); default 4. */
  attempts?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each object is applied (so an interruption can say what exists). */
  onApplied?: ((what: string) => void) | undefined;
  /** Delete objects labelled managed-by helper that the render no longer has (never CRDs or Namespaces). */
  prune?: boolean | undefined;
}

export interface ControlPlaneApplyResult {
  applied: number;
  /** Objects a dry run could not validate (their CRD is not installed yet). */
  notValidated: string[];
  /** Objects found under another name than the render's (the setup page's or an earlier helper's), as "rendered → found". */
  recognised: string[];
  /** Objects --prune deleted (or, in a dry run, would delete). */
  pruned: string[];
}

/**
 * Kinds helper renders or rendered before (provider-kubernetes and its
 * binding, the backend ConfigMap), which --prune looks through. CRDs and
 * Namespaces are never pruned: deleting them deletes everything in them.
 */
const PRUNABLE: ReadonlyArray<{ apiVersion: string; kind: string; crd?: string }> = [
  { apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', crd: 'providers.pkg.crossplane.io' },
  { apiVersion: 'pkg.crossplane.io/v1', kind: 'Configuration', crd: 'configurations.pkg.crossplane.io' },
  { apiVersion: 'pkg.crossplane.io/v1', kind: 'Function', crd: 'functions.pkg.crossplane.io' },
  { apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'DeploymentRuntimeConfig', crd: 'deploymentruntimeconfigs.pkg.crossplane.io' },
  { apiVersion: 'dataservices.anynines.com/v1', kind: 'ProviderConfig', crd: 'providerconfigs.dataservices.anynines.com' },
  { apiVersion: 'kubernetes.crossplane.io/v1alpha1', kind: 'ProviderConfig', crd: 'providerconfigs.kubernetes.crossplane.io' },
  { apiVersion: 'bind.anynines.com/v1alpha1', kind: 'APIServiceExportTemplate', crd: 'apiserviceexporttemplates.bind.anynines.com' },
  { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', crd: 'issuers.cert-manager.io' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
];

const foreign = (o: K8sObject) => FOREIGN_KINDS.find((f) => f.apiVersion === o.apiVersion && f.kind === o.kind);
const describe = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The cookie keys in the cluster's Secret bind/cookie-config, if it exists. */
export async function clusterCookieKeys(kc: KubeClient, opts: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined; attempts?: number | undefined } = {}): Promise<CookieKeys | undefined> {
  const s = await new Reader(kc, opts).get('v1', 'Secret', COOKIE_SECRET, BACKEND_NAMESPACE);
  return s ? keysFromSecret(s, `Secret ${BACKEND_NAMESPACE}/${COOKIE_SECRET} in the cluster`) : undefined;
}

/** Throws ClusterError HELPER_CP_PREREQUISITES naming everything that must be installed first. */
export async function preflight(reader: Reader, objects: K8sObject[], settings: Settings): Promise<void> {
  const needed = new Map<string, string>();
  for (const o of objects) {
    const f = foreign(o);
    if (f && !f.afterPackages) needed.set(f.crd, f.installedBy);
  }
  const missing: string[] = [];
  for (const [crd, by] of needed) {
    if (!(await reader.crd(crd))) missing.push(`CustomResourceDefinition ${crd} (installed by ${by})`);
  }
  if (!(await reader.get('v1', 'Namespace', settings.crossplane.namespace))) missing.push(`Namespace ${settings.crossplane.namespace} (Crossplane's namespace, /crossplane/namespace)`);
  if (settings.tls.issuer.mode === 'own') {
    const i = settings.tls.issuer;
    const crd = i.kind === 'Issuer' ? 'issuers.cert-manager.io' : 'clusterissuers.cert-manager.io';
    if (!(await reader.crd(crd))) missing.push(`CustomResourceDefinition ${crd} (installed by cert-manager)`);
    else if (!(await reader.get('cert-manager.io/v1', i.kind, i.name, i.kind === 'Issuer' ? BACKEND_NAMESPACE : undefined))) {
      log.warn(`${i.kind} ${i.kind === 'Issuer' ? `${BACKEND_NAMESPACE}/` : ''}${i.name} (/tls/issuer) does not exist yet: the Ingress gets no certificate until it does`);
    }
  }
  if (missing.length) {
    throw new ClusterError('HELPER_CP_PREREQUISITES', `control plane ${reader.host} lacks prerequisites; nothing was applied:\n${missing.map((m) => `  - ${m}`).join('\n')}`, {
      hint: 'install Crossplane >= 1.17.1 (helm, with --set args=\'{"--enable-ssa-claims"}\') and cert-manager first',
    });
  }
}

/** The CRD an object's kind needs: a foreign one, or one of the render's own; undefined for built-in kinds. */
function crdOf(o: K8sObject, rendered: K8sObject[]): string | undefined {
  const f = foreign(o);
  if (f) return f.crd;
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const own = rendered.find((c) => c.kind === 'CustomResourceDefinition' && (c.spec as { group?: string } | undefined)?.group === group
    && (c.spec as { names?: { kind?: string } } | undefined)?.names?.kind === o.kind);
  return own?.metadata.name;
}

/**
 * The objects in the cluster under the rendered names (undefined: absent),
 * read once before anything is applied.
 */
export async function liveObjects(reader: Reader, objects: K8sObject[]): Promise<Map<K8sObject, KObject | undefined>> {
  const crds = new Map<string, boolean>();
  const out = new Map<K8sObject, KObject | undefined>();
  for (const o of objects) {
    const crd = o.kind === 'CustomResourceDefinition' ? undefined : crdOf(o, objects);
    if (crd !== undefined) {
      if (!crds.has(crd)) crds.set(crd, isEstablished(await reader.crd(crd)));
      if (!crds.get(crd)) {
        out.set(o, undefined);
        continue;
      }
    }
    out.set(o, await reader.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace));
  }
  return out;
}

/**
 * What apply sends, given the cluster: an object that exists without helper's
 * label keeps it that way (helper does not claim what it did not create, so
 * --prune never deletes it), and a Configuration or Function of the same
 * package under another name (the page's `crossplane xpkg install` name, the
 * release bundle's anynines-dataservices) is applied under that name instead
 * of being installed a second time.
 */
export async function adaptToCluster(reader: Reader, objects: K8sObject[]): Promise<{ objects: K8sObject[]; recognised: string[] }> {
  const live = await liveObjects(reader, objects);
  const recognised: string[] = [];
  const out: K8sObject[] = [];
  const listed = new Map<string, KObject[]>();
  for (const o of objects) {
    let l = live.get(o);
    let obj = o;
    if (!l && o.apiVersion === 'pkg.crossplane.io/v1' && (o.kind === 'Configuration' || o.kind === 'Function') && isEstablished(await reader.crd(`${o.kind.toLowerCase()}s.pkg.crossplane.io`))) {
      if (!listed.has(o.kind)) listed.set(o.kind, await reader.list(o.apiVersion, o.kind));
      const repo = packageRepository((o.spec as { package?: string }).package ?? '');
      const same = listed.get(o.kind)!.find((x) => packageRepository((x.spec as { package?: string } | undefined)?.package ?? '') === repo);
      if (same?.metadata?.name) {
        obj = { ...o, metadata: { ...o.metadata, name: same.metadata.name } };
        l = same;
        recognised.push(`${objectId(o)} → ${objectId(obj)}`);
        log.info(`${o.kind} ${same.metadata.name} installs the same package (${repo}): applying it under that name, not installing the package twice`);
      }
    }
    const applied = asApplied(obj, l as Record<string, unknown> | undefined);
    // A Namespace that exists, applied without the label, would give server-side apply no field to own.
    if (l && applied.kind === 'Namespace' && !applied.metadata.labels && !applied.metadata.annotations) continue;
    out.push(applied);
  }
  return { objects: out, recognised };
}

/** Deletes (dryRun: lists) objects labelled managed-by helper that are not among `keep`. */
async function prune(reader: Reader, keep: K8sObject[], dryRun: boolean): Promise<string[]> {
  const kept = new Set(keep.map((o) => `${o.apiVersion}|${objectId(o)}`));
  const out: string[] = [];
  for (const k of PRUNABLE) {
    if (k.crd && !isEstablished(await reader.crd(k.crd))) continue;
    for (const o of await reader.list(k.apiVersion, k.kind, undefined, `${MANAGED_BY.key}=${MANAGED_BY.value}`)) {
      const id = objectId({ kind: k.kind, metadata: o.metadata as { name?: string; namespace?: string } });
      if (kept.has(`${k.apiVersion}|${id}`)) continue;
      // The label selector already asked for it; check again, as the answer comes from a server.
      if ((o.metadata?.labels as Record<string, string> | undefined)?.[MANAGED_BY.key] !== MANAGED_BY.value) continue;
      if (!dryRun) await reader.delete(k.apiVersion, k.kind, o.metadata!.name!, o.metadata!.namespace);
      log.info(`${dryRun ? '(dry run) would prune' : 'pruned'} ${id} (labelled ${MANAGED_BY.key}=${MANAGED_BY.value}, no longer rendered)`);
      out.push(id);
    }
  }
  return out;
}

export async function applyControlPlane(kc: KubeClient, rendered: K8sObject[], settings: Settings, opts: ControlPlaneApplyOptions): Promise<ControlPlaneApplyResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const reader = new Reader(kc, { signal: opts.signal, timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts });
  const calls = { serverLabel: 'control plane', requestTimeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, signal: opts.signal, onApplied: opts.onApplied };
  await preflight(reader, rendered, settings);
  const { objects, recognised } = await adaptToCluster(reader, rendered);

  const later = objects.filter((o) => foreign(o)?.afterPackages);
  const first = objects.filter((o) => !foreign(o)?.afterPackages);
  const r1 = await applyInPhases(kc, first as ApplyObject[], { ...calls, dryRun: opts.dryRun, timeoutMs: opts.timeoutMs });

  const notValidated: string[] = [];
  const ready: K8sObject[] = [];
  const crds = [...new Set(later.map((o) => foreign(o)!.crd))];
  for (const crd of crds) {
    const objs = later.filter((o) => foreign(o)!.crd === crd);
    const by = foreign(objs[0]!)!.installedBy;
    if (opts.dryRun) {
      if (isEstablished(await reader.crd(crd))) ready.push(...objs);
      else {
        for (const o of objs) {
          notValidated.push(describe(o));
          log.info(`(dry run) not validated: ${describe(o)} (its CRD ${crd} comes with ${by}, which is not installed yet)`);
        }
      }
      continue;
    }
    log.info(`waiting for ${by} to install CustomResourceDefinition ${crd}`);
    await waitUntil({
      what: `CustomResourceDefinition ${crd} (installed by ${by} once Crossplane reports the package Healthy; see kubectl get providers)`,
      get: () => reader.crd(crd),
      check: (o) => (isEstablished(o) ? { done: true, value: undefined } : { done: false, seen: o ? 'not Established yet' : 'not installed yet' }),
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 2000,
      fallbackIntervalMs: 2000,
      signal: opts.signal,
    });
    ready.push(...objs);
  }
  // Keep the render's order among the ProviderConfigs.
  const second = later.filter((o) => ready.includes(o));
  const r2 = second.length
    ? await applyInPhases(kc, second as ApplyObject[], { ...calls, dryRun: opts.dryRun, timeoutMs: Math.max(1000, deadline - Date.now()) })
    : { applied: [] };
  const pruned = opts.prune ? await prune(reader, objects, opts.dryRun) : [];
  return { applied: r1.applied.length + r2.applied.length, notValidated, recognised, pruned };
}
