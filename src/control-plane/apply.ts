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
import type { KubeClient } from '../kube/client.ts';
import { isEstablished } from '../kube/conditions.ts';
import { ClusterError } from '../errors.ts';
import { applyInPhases, type ApplyObject, type ApplyResult, type PhasedApplyOptions } from '../kube/apply.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { KINDS, kindOf, type KObject, type Kind } from '../kube/resources.ts';
import { waitUntil } from '../kube/wait.ts';
import { log } from '../log.ts';
import { CERT_MANAGER, CROSSPLANE, packageRepository } from './catalog.ts';
import { listAll, readCrd, served } from './client.ts';
import { asApplied } from './diff.ts';
import { COOKIE_SECRET, keysFromSecret, type CookieKeys } from './keys.ts';
import {
  BACKEND_NAMESPACE,
  crdNameOf,
  FOREIGN_KINDS,
  foreignOf,
  INSTALLATION_LABEL,
  installationId,
  MANAGED_BY,
  objectId,
  TEMPLATE_API_VERSION,
  TEMPLATE_GROUP,
  type K8sObject,
} from './render.ts';
import type { Settings } from './values.ts';

export interface ControlPlaneApplyOptions {
  dryRun: boolean;
  /** Bound of the whole apply, including the waits for CRDs. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called after each object is applied (so an interruption can say what exists). */
  onApplied?: ((what: string) => void) | undefined;
  /** Delete objects labelled as this installation's (managed-by helper and INSTALLATION_LABEL) that the render no
   * longer has (never CRDs or Namespaces). */
  prune?: boolean | undefined;
}

export interface ControlPlaneApplyResult {
  applied: number;
  /** Objects a dry run could not validate (their CRD is not installed yet). */
  notValidated: string[];
  /** Objects found under another name than the render's (the setup page's or an earlier helper's), as "rendered →
   * found". */
  recognised: string[];
  /** Objects --prune deleted (or, in a dry run, would delete). */
  pruned: string[];
}

/** What apply needs of the cluster: reads and deletes, and server-side apply in phases (kube/apply.ts). */
export interface ApplyDeps {
  client: ObjectClient;
  apply: (objects: ApplyObject[], opts: Pick<PhasedApplyOptions, 'dryRun' | 'timeoutMs'>) => Promise<ApplyResult>;
}

const foreignKind = (kind: string, namespaced = false): Kind & { crd: string; namespaced: boolean } => ({
  ...FOREIGN_KINDS.find((f) => f.kind === kind)!,
  namespaced,
});

/**
 * Kinds helper renders or rendered before (provider-kubernetes and its
 * binding, the backend ConfigMap), which --prune looks through. CRDs and
 * Namespaces are never pruned: deleting them deletes everything in them.
 */
const PRUNABLE: ReadonlyArray<Kind & { crd?: string; namespaced: boolean }> = [
  ...['Provider', 'Configuration', 'Function', 'DeploymentRuntimeConfig', 'ProviderConfig'].map((k) => foreignKind(k)),
  {
    apiVersion: 'kubernetes.crossplane.io/v1alpha1',
    kind: 'ProviderConfig',
    crd: 'providerconfigs.kubernetes.crossplane.io',
    namespaced: false,
  },
  {
    apiVersion: TEMPLATE_API_VERSION,
    kind: 'APIServiceExportTemplate',
    crd: `apiserviceexporttemplates.${TEMPLATE_GROUP}`,
    namespaced: true,
  },
  foreignKind('Issuer', true),
  KINDS.secret,
  KINDS.configMap,
  KINDS.service,
  KINDS.serviceAccount,
  KINDS.deployment,
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespaced: true },
  KINDS.clusterRole,
  KINDS.clusterRoleBinding,
];

/** The cookie keys in the cluster's Secret bind/cookie-config, if it exists. */
export async function cookieKeysIn(client: ObjectClient): Promise<CookieKeys | undefined> {
  const s = await client.get(KINDS.secret, COOKIE_SECRET, BACKEND_NAMESPACE);
  return s ? keysFromSecret(s, `Secret ${BACKEND_NAMESPACE}/${COOKIE_SECRET} in the cluster`) : undefined;
}

/** Throws ClusterError HELPER_CP_PREREQUISITES naming everything that must be installed first. */
export async function preflight(client: ObjectClient, objects: K8sObject[], settings: Settings): Promise<void> {
  const needed = new Map<string, string>();
  for (const o of objects) {
    const f = foreignOf(o);
    if (f && !f.afterPackages) needed.set(f.crd, f.installedBy);
  }
  const missing: string[] = [];
  for (const [crd, by] of needed) {
    if (!(await readCrd(client, crd))) missing.push(`CustomResourceDefinition ${crd} (installed by ${by})`);
  }
  if (!(await client.get(KINDS.namespace, settings.crossplane.namespace)))
    missing.push(`Namespace ${settings.crossplane.namespace} (Crossplane's namespace, /crossplane/namespace)`);
  if (settings.tls.issuer.mode === 'own') {
    const i = settings.tls.issuer;
    const crd = CERT_MANAGER.issuers[i.kind].crd;
    const ns = i.kind === 'Issuer' ? BACKEND_NAMESPACE : undefined;
    if (!(await readCrd(client, crd))) missing.push(`CustomResourceDefinition ${crd} (installed by cert-manager)`);
    else if (!(await client.get({ apiVersion: CERT_MANAGER.apiVersion, kind: i.kind }, i.name, ns))) {
      log.warn(
        `${i.kind} ${ns ? `${ns}/` : ''}${i.name} (/tls/issuer) does not exist yet: the Ingress gets no ` +
          `certificate until it does`,
      );
    }
  }
  if (missing.length) {
    throw new ClusterError(
      'HELPER_CP_PREREQUISITES',
      `${client.server} lacks prerequisites; nothing was applied:\n${missing.map((m) => `  - ${m}`).join('\n')}`,
      {
        hint: 'install Crossplane >= 1.17.1 (helm, with --set args=\'{"--enable-ssa-claims"}\') and cert-manager first',
      },
    );
  }
}

/**
 * The objects in the cluster under the rendered names (undefined: absent),
 * read once before anything is applied.
 */
export async function liveObjects(
  client: ObjectClient,
  objects: K8sObject[],
): Promise<Map<K8sObject, KObject | undefined>> {
  const crds = new Map<string, boolean>();
  const out = new Map<K8sObject, KObject | undefined>();
  for (const o of objects) {
    const crd = o.kind === 'CustomResourceDefinition' ? undefined : crdNameOf(o, objects);
    if (crd !== undefined) {
      if (!crds.has(crd)) crds.set(crd, await served(client, crd));
      if (!crds.get(crd)) {
        out.set(o, undefined);
        continue;
      }
    }
    out.set(o, await client.get(kindOf(o), o.metadata.name, o.metadata.namespace));
  }
  return out;
}

const packageOf = (o: { [k: string]: unknown }) =>
  packageRepository((o.spec as { package?: string } | undefined)?.package ?? '');

/** A Configuration or Function installing the same package as `o` under another name. */
async function samePackage(
  client: ObjectClient,
  o: K8sObject,
  listed: Map<string, KObject[]>,
): Promise<KObject | undefined> {
  if (
    o.apiVersion !== `${CROSSPLANE.pkgGroup}/v1` ||
    (o.kind !== 'Configuration' && o.kind !== 'Function') ||
    !(await served(client, foreignKind(o.kind).crd))
  )
    return undefined;
  if (!listed.has(o.kind)) listed.set(o.kind, await listAll(client, kindOf(o)));
  const repo = packageOf(o);
  return listed.get(o.kind)!.find((x) => packageOf(x) === repo);
}

/**
 * What apply sends, given the cluster: an object that exists without helper's
 * label keeps it that way (helper does not claim what it did not create, so
 * --prune never deletes it), and a Configuration or Function of the same
 * package under another name (the page's `crossplane xpkg install` name, the
 * release bundle's anynines-dataservices) is applied under that name instead
 * of being installed a second time.
 */
export async function adaptToCluster(
  client: ObjectClient,
  objects: K8sObject[],
): Promise<{ objects: K8sObject[]; recognised: string[] }> {
  const live = await liveObjects(client, objects);
  const recognised: string[] = [];
  const out: K8sObject[] = [];
  const listed = new Map<string, KObject[]>();
  for (const o of objects) {
    let l = live.get(o);
    let obj = o;
    const same = l ? undefined : await samePackage(client, o, listed);
    if (same?.metadata?.name) {
      obj = { ...o, metadata: { ...o.metadata, name: same.metadata.name } };
      l = same;
      recognised.push(`${objectId(o)} → ${objectId(obj)}`);
      log.info(
        `${o.kind} ${same.metadata.name} installs the same package (${packageOf(o)}): applying it under that ` +
          `name, not installing the package twice`,
      );
    }
    const applied = asApplied(obj, l as Record<string, unknown> | undefined);
    // A Namespace that exists, applied without the label, would give server-side apply no field to own.
    if (l && applied.kind === 'Namespace' && !applied.metadata.labels && !applied.metadata.annotations) continue;
    out.push(applied);
  }
  return { objects: out, recognised };
}

/**
 * Deletes (dryRun: lists) this installation's objects that are not among
 * `keep`: selected by MANAGED_BY and INSTALLATION_LABEL = `installation`,
 * cluster-scoped kinds across the cluster, namespaced kinds only in the
 * namespaces `keep` has. An object labelled managed-by helper without this
 * installation's label (a second installation's, another tool's, or one an
 * older helper labelled before the installation label existed) is never
 * deleted; such objects of a pruned kind in those namespaces are named in a
 * warning, for the user to judge.
 */
export async function prune(
  client: ObjectClient,
  keep: K8sObject[],
  dryRun: boolean,
  installation: string,
): Promise<string[]> {
  const kept = new Set(keep.map((o) => `${o.apiVersion}|${objectId(o)}`));
  const managed = `${MANAGED_BY.key}=${MANAGED_BY.value}`;
  const label = `${managed},${INSTALLATION_LABEL}=${installation}`;
  const namespaces = [...new Set(keep.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n)))].sort();
  const out: string[] = [];
  const unowned: string[] = [];
  for (const k of PRUNABLE) {
    if (k.crd && !(await served(client, k.crd))) continue;
    const where = k.namespaced ? namespaces : [undefined];
    for (const ns of where) {
      for (const o of await listAll(client, k, ns, managed)) {
        const id = objectId({ kind: k.kind, metadata: o.metadata as { name?: string; namespace?: string } });
        if (kept.has(`${k.apiVersion}|${id}`)) continue;
        const labels = (o.metadata?.labels ?? {}) as Record<string, string>;
        // The label selector already asked for it; check again, as the answer comes from a server.
        if (labels[MANAGED_BY.key] !== MANAGED_BY.value || (k.namespaced && o.metadata?.namespace !== ns)) continue;
        if (labels[INSTALLATION_LABEL] === undefined) unowned.push(id);
        if (labels[INSTALLATION_LABEL] !== installation) continue;
        if (!dryRun) await client.delete(k, o.metadata!.name!, o.metadata!.namespace);
        log.info(`${dryRun ? '(dry run) would prune' : 'pruned'} ${id} (labelled ${label}, no longer rendered)`);
        out.push(id);
      }
    }
  }
  if (unowned.length) {
    log.warn(
      `not pruned, labelled ${managed} but without ${INSTALLATION_LABEL} (an older helper's, or another ` +
        `tool's): ${unowned.join(', ')}; if they belonged to this installation, delete them yourself`,
    );
  }
  return out;
}

/**
 * Stage 2's ProviderConfigs, per CRD: a dry run keeps those whose CRD is
 * served and lists the others as not validated; a real run waits for each
 * CRD (its provider installs it) until the deadline.
 */
async function readyLater(
  client: ObjectClient,
  later: K8sObject[],
  opts: ControlPlaneApplyOptions,
  deadline: number,
): Promise<{ ready: K8sObject[]; notValidated: string[] }> {
  const notValidated: string[] = [];
  const ready: K8sObject[] = [];
  for (const crd of [...new Set(later.map((o) => foreignOf(o)!.crd))]) {
    const objs = later.filter((o) => foreignOf(o)!.crd === crd);
    const by = foreignOf(objs[0]!)!.installedBy;
    if (opts.dryRun) {
      if (await served(client, crd)) ready.push(...objs);
      else {
        for (const o of objs) {
          notValidated.push(objectId(o));
          log.info(
            `(dry run) not validated: ${objectId(o)} (its CRD ${crd} comes with ${by}, which is not installed yet)`,
          );
        }
      }
      continue;
    }
    log.info(`waiting for ${by} to install CustomResourceDefinition ${crd}`);
    await waitUntil({
      what:
        `CustomResourceDefinition ${crd} (installed by ${by} once Crossplane reports the package Healthy; see ` +
        `kubectl get providers)`,
      get: () => readCrd(client, crd),
      check: (o) =>
        isEstablished(o)
          ? { done: true, value: undefined }
          : { done: false, seen: o ? 'not Established yet' : 'not installed yet' },
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 2000,
      fallbackIntervalMs: 2000,
      signal: opts.signal,
    });
    ready.push(...objs);
  }
  return { ready, notValidated };
}

export async function applyControlPlane(
  client: KubeClient,
  rendered: K8sObject[],
  settings: Settings,
  opts: ControlPlaneApplyOptions,
): Promise<ControlPlaneApplyResult> {
  return applyWith(
    {
      client,
      apply: (objects, o) => applyInPhases(client, objects, { signal: opts.signal, onApplied: opts.onApplied, ...o }),
    },
    rendered,
    settings,
    opts,
  );
}

/** applyControlPlane with its cluster injected. */
export async function applyWith(
  deps: ApplyDeps,
  rendered: K8sObject[],
  settings: Settings,
  opts: ControlPlaneApplyOptions,
): Promise<ControlPlaneApplyResult> {
  const deadline = Date.now() + opts.timeoutMs;
  await preflight(deps.client, rendered, settings);
  const { objects, recognised } = await adaptToCluster(deps.client, rendered);
  const later = objects.filter((o) => foreignOf(o)?.afterPackages);
  const first = objects.filter((o) => !foreignOf(o)?.afterPackages);
  const r1 = await deps.apply(first as ApplyObject[], { dryRun: opts.dryRun, timeoutMs: opts.timeoutMs });
  const { ready, notValidated } = await readyLater(deps.client, later, opts, deadline);
  // Keep the render's order among the ProviderConfigs.
  const second = later.filter((o) => ready.includes(o));
  const r2 = second.length
    ? await deps.apply(second as ApplyObject[], {
        dryRun: opts.dryRun,
        timeoutMs: Math.max(1000, deadline - Date.now()),
      })
    : { applied: [] };
  const pruned = opts.prune ? await prune(deps.client, objects, opts.dryRun, installationId(settings)) : [];
  return { applied: r1.applied.length + r2.applied.length, notValidated, recognised, pruned };
}
