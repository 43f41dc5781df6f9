/**
 * The real Kubernetes client factories, one per flow: the only place flows
 * load kubeconfigs and construct Kubernetes clients. Each flow takes its
 * factory as `deps.kube`, so its tests pass an in-memory one (see
 * test/helpers/memory-cluster.ts) and a change of the Kubernetes layer
 * touches this file only (and flows/control-plane-kube.ts, the control
 * plane's, kept apart so the binding commands do not load the control-plane modules).
 */
import { ClusterError, InputError } from '../errors.ts';
import { log } from '../log.ts';
import { readCaFile } from '../http.ts';
import { applyInPhases, type ApplyObject, type ApplyResult } from '../kube/apply.ts';
import { waitForBindingsReady } from '../kube/bindings-ready.ts';
import { connect, type BindingClients, type ConnectOptions } from '../kube/binding-clients.ts';
import { connect as kubeClient, ControlPlane, type KubeClient } from '../kube/client.ts';
import { kubeconfigClient, type KubeconfigSource } from '../kube/connect.ts';
import { createExportRequests, waitForExportRequests, type CreatedRequest } from '../kube/export-requests.ts';
import { checkBindingSecret, writeBindingSecret, type SecretOutcome, type SecretRef } from '../kube/binding-secret.ts';
import { trust, type Connection } from '../kube/kubeconfig.ts';
import { resolveKubeconfig, type ResolvedKubeconfig, type ResolveOptions } from '../kube/kubeconfig-file.ts';
import { ensureServiceNamespace, type NamespaceResult } from '../kube/namespaces.ts';
import { readBindingKubeconfig } from '../kube/binding-kubeconfig.ts';
import { guardRebind, konnectorKubeconfig } from '../kube/rebind.ts';
import { adoptBoundCrds, checkBoundCrds, type BoundCrdCheck } from '../kube/bound-crds.ts';
import type { CallPolicy } from '../kube/transport.ts';
import type { ExportRequest } from '../types.ts';

export interface Tls {
  caPem: string | undefined;
  insecure: boolean;
}

/** A cluster that all.yaml (or any manifest) is applied to. */
export interface ApplyTarget {
  /** How messages name it: `App Cluster 127.0.0.1:7443`. */
  readonly server: string;
  apply(
    objects: ApplyObject[],
    opts: { dryRun?: boolean; timeoutMs: number; onApplied: (what: string) => void; onObject?: (line: string) => void },
  ): Promise<ApplyResult>;
  /** Bounded wait until every APIServiceBinding among the objects is Ready. */
  waitBindings(objects: ApplyObject[], timeoutMs: number): Promise<void>;
}

/** A binding's cluster namespace on the control plane, as bootstrap-env and create-ns use it. */
export interface BindingNamespace {
  createExportRequests(requests: ExportRequest[], onCreated: (r: CreatedRequest) => void): Promise<CreatedRequest[]>;
  waitForExportRequests(names: string[], timeoutMs: number): Promise<void>;
  ensureServiceNamespace(name: string, timeoutMs: number): Promise<NamespaceResult>;
}

/** A client of a kubeconfig's current context, or InputError `<where> is not a usable kubeconfig<for>: <every
 * problem>`. */
function client(src: KubeconfigSource, tls: Tls, label: string, policy: CallPolicy, forWhat = ''): KubeClient {
  return kubeconfigClient(src, {
    tls,
    label,
    policy,
    describe: (why) => `${src.where} is not a usable kubeconfig${forWhat}: ${why}`,
  }).client;
}

function applyTarget(c: KubeClient, policy: CallPolicy): ApplyTarget {
  return {
    server: c.server,
    apply: async (objects, o) => {
      const dryRun = o.dryRun ?? false;
      const crds = await beforeKonnector(c, objects, policy, dryRun);
      const result = await applyInPhases(c, objects, {
        dryRun: o.dryRun,
        report: true,
        timeoutMs: o.timeoutMs,
        signal: policy.signal,
        onApplied: o.onApplied,
        onObject: o.onObject,
      });
      // Once the manifest made the APIServiceBindings: the CRDs an unbind kept become theirs again.
      for (const line of await adoptBoundCrds(c, crds.adopt, dryRun)) log.info(`${line} (${c.server})`);
      return result;
    },
    waitBindings: (objects, timeoutMs) => waitForBindingsReady(c, objects, { timeoutMs, signal: policy.signal }),
  };
}

/**
 * Before a manifest that starts a konnector is applied (apply, bootstrap-env
 * --apply-to): the bound CRDs its APIServiceBindings need (kube/bound-crds.ts:
 * one that is not the binding's stops the apply, one an unbind of the binding
 * kept is handed over after it), then the re-bind guard (kube/rebind.ts) on the control plane of
 * the provider kubeconfig the manifest carries, then the namespaces the
 * binding's APIServiceNamespaces need on the App Cluster. A control plane it
 * cannot read stops the apply: a konnector started blind may delete claims.
 */
async function beforeKonnector(
  app: KubeClient,
  objects: ApplyObject[],
  policy: CallPolicy,
  dryRun: boolean,
): Promise<BoundCrdCheck> {
  const text = konnectorKubeconfig(objects);
  if (text === undefined) return { adopt: [] };
  const what = "the provider kubeconfig in the manifest's Secret klutch-bind/kubeconfig";
  // The strict reader first: this kubeconfig is the konnector's, and the manifest may come from anywhere;
  // read as a user kubeconfig, an exec or token-file in it would run a program or read a file here.
  const strict = readBindingKubeconfig(text);
  if (!strict.ok)
    throw new InputError(
      'HELPER_MANIFEST',
      `${what} is not a kubeconfig helper writes (the konnector would load it with cluster-admin rights); ` +
        `nothing was applied:`,
      strict.problems,
    );
  const { client: cp, read: k } = kubeconfigClient(
    { text: strict.value.text, where: what },
    {
      provider: true,
      label: 'control plane',
      policy,
      heading: `${what} cannot be used to check the binding's claims before the konnector starts; nothing was applied:`,
      describe: (why) => `${what}: ${why}; nothing was applied`,
    },
  );
  // Read-only, first: a CRD the konnector would refuse stops the apply before anything changes.
  const crds = await checkBoundCrds(app, objects, k.facts!.namespace);
  let r: Awaited<ReturnType<typeof guardRebind>>;
  try {
    r = await guardRebind(cp, app, k.facts!.namespace, { dryRun });
  } catch (err) {
    if (!(err instanceof ClusterError)) throw err;
    throw new ClusterError(
      err.code,
      `${err.message}; nothing was applied: before a konnector starts, helper reads the binding's claims on ` +
        `the control plane (a v1.4.0 konnector deletes marked claims whose copy its App Cluster lacks)`,
      {
        status: err.status,
        hint:
          'make the control plane reachable with the provider kubeconfig (the konnector needs that too) and ' +
          'run the same command again',
        cause: err,
      },
    );
  }
  const dry = dryRun ? '(dry run) would ' : '';
  for (const u of r.unmarked)
    log.warn(
      `${dry}${dryRun ? 'unmark' : 'unmarked'} ${u} on the control plane: the App Cluster has no copy of it ` +
        `(a new App Cluster for an existing binding?); without its klutch.anynines.com/bound mark the ` +
        `konnector copies it here instead of deleting it`,
    );
  for (const ns of r.namespaces) {
    await app.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { fieldManager: 'helper', dryRun, label: { action: `create Namespace ${ns}`, short: 'create Namespace' } },
    );
    log.info(
      `${dry}${dryRun ? 'create' : 'created'} namespace ${ns} on ${app.server}: the binding's ` +
        `APIServiceNamespace ${ns} needs it before the konnector starts (else the konnector deletes it, and ` +
        `the backend its claims)`,
    );
  }
  return crds;
}

function bindingNamespace(conn: Connection, namespace: string, tls: Tls, policy: CallPolicy): BindingNamespace {
  const cp = new ControlPlane(kubeClient(trust(conn, tls), { label: 'control plane', ...policy }), namespace);
  return {
    createExportRequests: (requests, onCreated) =>
      createExportRequests(cp, requests, onCreated, { signal: policy.signal }),
    waitForExportRequests: (names, timeoutMs) => waitForExportRequests(cp, names, { timeoutMs, signal: policy.signal }),
    ensureServiceNamespace: (name, timeoutMs) => ensureServiceNamespace(cp, name, { timeoutMs, signal: policy.signal }),
  };
}

/** bootstrap-env: the binding's control plane (the returned kubeconfig, read once by parseBindingResponse) and the
 * --apply-to App Cluster. */
export interface BootstrapKube {
  controlPlane(connection: Connection, namespace: string, tls: Tls, policy: CallPolicy): BindingNamespace;
  /** Reads the --apply-to kubeconfig (before any network call); InputError when unusable. */
  appCluster(path: string, context: string | undefined, tls: Tls, policy: CallPolicy): ApplyTarget;
  /**
   * The cluster of --write-secret: --secret-kubeconfig, else the kubeconfig as
   * kubectl finds it (in a Pod: its ServiceAccount); read before any network call.
   */
  secretCluster(path: string | undefined, env: NodeJS.ProcessEnv, tls: Tls, policy: CallPolicy): SecretTarget;
}

/** The cluster --write-secret writes to (kube/binding-secret.ts). */
export interface SecretTarget {
  /** How messages name it: `cluster 10.0.0.1:443`. */
  readonly server: string;
  /** Refuses (ClusterError HELPER_SECRET_FOREIGN) a Secret of that name that is not this binding's. */
  check(ref: SecretRef, clusterID: string): Promise<void>;
  write(ref: SecretRef, clusterID: string, data: { kubeconfig: string; manifest: string }): Promise<SecretOutcome>;
}

export const bootstrapKube: BootstrapKube = {
  controlPlane: bindingNamespace,
  appCluster: (path, context, tls, policy) => {
    const { text } = resolveKubeconfig({ flag: path, flagName: '--apply-to', context, env: {}, fallback: false });
    return applyTarget(client({ text, where: `--apply-to ${path}` }, tls, 'App Cluster', policy), policy);
  },
  secretCluster: (path, env, tls, policy) => {
    const c = client(
      resolveKubeconfig({ flag: path, flagName: '--secret-kubeconfig', env }),
      tls,
      'cluster',
      policy,
      ' for --write-secret',
    );
    return {
      server: c.server,
      check: async (ref, clusterID) => {
        await checkBindingSecret(c, ref, clusterID);
      },
      write: (ref, clusterID, data) => writeBindingSecret(c, ref, clusterID, data),
    };
  },
};

/** create-ns and apply: the kubeconfig as kubectl finds it, then a client of it. */
export interface KubeconfigKube {
  resolve(opts: ResolveOptions): ResolvedKubeconfig;
  /** The CA bundle of --ca-file (InputError when unreadable or not PEM). */
  caPem(caFile: string | undefined): string | undefined;
}

export interface CreateNsKube extends KubeconfigKube {
  controlPlane(connection: Connection, namespace: string, tls: Tls, policy: CallPolicy): BindingNamespace;
}

export const createNsKube: CreateNsKube = {
  resolve: resolveKubeconfig,
  caPem: readCaFile,
  controlPlane: bindingNamespace,
};

export interface ApplyKube extends KubeconfigKube {
  /** The cluster of the resolved kubeconfig's context; InputError when it names none. */
  target(resolved: ResolvedKubeconfig, tls: Tls, policy: CallPolicy): ApplyTarget;
}

export const applyKube: ApplyKube = {
  resolve: resolveKubeconfig,
  caPem: readCaFile,
  target: (resolved, tls, policy) => {
    const where = `kubeconfig ${resolved.label}`;
    const noCluster =
      `${where} has no cluster for context ${JSON.stringify(resolved.context ?? '')}` +
      `${resolved.context ? '' : ' (no current-context; pass --context)'}`;
    return applyTarget(
      kubeconfigClient({ text: resolved.text, where }, { tls, label: 'cluster', policy, noCluster }).client,
      policy,
    );
  },
};

/** status and unbind: both kubeconfigs, checked, then one ObjectClient per cluster. */
export interface BindingKube {
  connect(opts: ConnectOptions): BindingClients;
}

export const bindingKube: BindingKube = { connect };
