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
import type * as k8s from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { applyInPhases, type ApplyObject } from '../kube/apply.ts';
import { waitUntil } from '../kube/wait.ts';
import { log } from '../log.ts';
import { isEstablished, Reader } from './cluster.ts';
import { COOKIE_SECRET, keysFromSecret, type CookieKeys } from './keys.ts';
import { BACKEND_NAMESPACE, FOREIGN_KINDS, type K8sObject } from './render.ts';
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
}

export interface ControlPlaneApplyResult {
  applied: number;
  /** Objects a dry run could not validate (their CRD is not installed yet). */
  notValidated: string[];
}

const foreign = (o: K8sObject) => FOREIGN_KINDS.find((f) => f.apiVersion === o.apiVersion && f.kind === o.kind);
const describe = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The cookie keys in the cluster's Secret bind/cookie-config, if it exists. */
export async function clusterCookieKeys(kc: k8s.KubeConfig, opts: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined; attempts?: number | undefined } = {}): Promise<CookieKeys | undefined> {
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
      hint: 'install Crossplane >= 1.15 (helm, with --set args=\'{"--enable-ssa-claims"}\') and cert-manager first',
    });
  }
}

export async function applyControlPlane(kc: k8s.KubeConfig, objects: K8sObject[], settings: Settings, opts: ControlPlaneApplyOptions): Promise<ControlPlaneApplyResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const reader = new Reader(kc, { signal: opts.signal, timeoutMs: opts.requestTimeoutMs, attempts: opts.attempts });
  const calls = { serverLabel: 'control plane', requestTimeoutMs: opts.requestTimeoutMs, attempts: opts.attempts, signal: opts.signal, onApplied: opts.onApplied };
  await preflight(reader, objects, settings);

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
  return { applied: r1.applied.length + r2.applied.length, notValidated };
}
