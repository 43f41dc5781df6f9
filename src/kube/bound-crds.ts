/**
 * The bound CRDs a manifest's APIServiceBindings need, checked on the App
 * Cluster before the manifest is applied (apply, bootstrap-env --apply-to).
 *
 * v1.4.0's konnector creates the CRD of each APIServiceBinding and takes an
 * existing one only when an ownerReference names that binding with its uid;
 * any other CRD of that name ends the binding as Connected=False
 * ForeignCustomResourceDefinition, and `apply --wait-bindings` would wait its
 * whole timeout for it. The usual such CRD is the one `helper unbind` kept (it
 * orphans the bound CRDs so their objects, the App Cluster's copies of the
 * claims, stay) when the same App Cluster is bound again. So, per CRD of a
 * manifest's APIServiceBinding:
 * - absent, or owned by this konnector's APIServiceBinding of that name: fine;
 * - orphaned by an unbind of this binding's cluster namespace (no binding owns
 *   it, annotation ORPHANED_FROM_ANNOTATION names the cluster namespace, which
 *   only an App Cluster admin can write): handed to the binding once the
 *   manifest created it (the ownerReference the konnector sets), its objects
 *   untouched; the konnector then manages it again;
 * - anything else: refused before anything is applied (exit 6), naming the CRD,
 *   why it is not the binding's and what to do. Nothing is deleted, ever.
 */
import { ClusterError } from '../errors.ts';
import type { ApplyObject } from './apply.ts';
import { crdOwnership, ORPHANED_FROM_ANNOTATION } from './binding-objects.ts';
import type { ObjectClient } from './objects.ts';
import { KINDS, KLUTCH_GROUP } from './resources.ts';

/** What the check found: the CRDs to hand to their APIServiceBinding once the manifest is applied. */
export interface BoundCrdCheck {
  adopt: string[];
}

/** The names of the manifest's APIServiceBindings (and so of their bound CRDs). */
export function manifestBindings(objects: readonly ApplyObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'APIServiceBinding' && String(o.apiVersion).split('/')[0] === KLUTCH_GROUP)
    .map((o) => o.metadata.name)
    .filter((n): n is string => typeof n === 'string' && n !== '');
}

/** What to do about a bound CRD that is not its binding's (status and the refusal say it the same way). */
export function foreignCrdAdvice(name: string, clusterNamespace: string, orphanedHere: boolean): string {
  if (orphanedHere)
    return (
      `it was kept by an unbind of ${clusterNamespace}: \`helper apply -f all.yaml\` on this App Cluster ` +
      'hands it to its APIServiceBinding, its objects stay'
    );
  return (
    `if it holds this binding's objects (kept by an older unbind), record that: ` +
    `\`kubectl annotate crd ${name} ${ORPHANED_FROM_ANNOTATION}=${clusterNamespace}\`, then apply again ` +
    `(helper hands it to the binding, its objects stay); else \`kubectl delete crd ${name}\` ` +
    '(deletes every object of it) and apply again'
  );
}

/**
 * Reads the bound CRDs of the manifest's APIServiceBindings; refuses (ClusterError HELPER_CRD_FOREIGN, exit 6) when
 * one is not provably this binding's; else returns those to hand over after the apply. Read-only.
 */
export async function checkBoundCrds(
  app: ObjectClient,
  objects: readonly ApplyObject[],
  clusterNamespace: string,
): Promise<BoundCrdCheck> {
  const names = manifestBindings(objects);
  const out: BoundCrdCheck = { adopt: [] };
  if (!names.length) return out;
  // undefined: the App Cluster does not serve APIServiceBindings yet (a new one).
  const bindings = (await app.list(KINDS.serviceBinding)) ?? [];
  const foreign: string[] = [];
  for (const name of names) {
    const crd = await app.get(KINDS.crd, name);
    if (!crd || crd.metadata?.deletionTimestamp) continue;
    const own = crdOwnership(crd, bindings, clusterNamespace);
    if (own.owner === 'binding') continue;
    if (own.owner === 'orphaned') {
      out.adopt.push(name);
      continue;
    }
    if (own.owner !== undefined) continue;
    foreign.push(`CustomResourceDefinition ${name}: ${own.why}; ${foreignCrdAdvice(name, clusterNamespace, false)}`);
  }
  if (foreign.length)
    throw new ClusterError(
      'HELPER_CRD_FOREIGN',
      `${app.server}: ${foreign.length} bound CRD(s) of the manifest's APIServiceBindings exist and are not ` +
        `this binding's (cluster namespace ${clusterNamespace}); the konnector would refuse them ` +
        `(ForeignCustomResourceDefinition) and the binding would never be Ready; nothing was applied: ` +
        `${foreign.join('; ')}`,
    );
  return out;
}

/**
 * Hands each orphaned CRD to the manifest's APIServiceBinding of its name: the ownerReference v1.4.0's konnector sets
 * (controller, the binding's uid), and the unbind's annotation removed. Nothing else of the CRD changes. Returns a line
 * per CRD for the log; dry run: what it would do (the binding does not exist yet).
 */
export async function adoptBoundCrds(app: ObjectClient, names: string[], dryRun: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const binding = await app.get(KINDS.serviceBinding, name);
    const crd = await app.get(KINDS.crd, name);
    if (!crd) continue;
    const what = `CustomResourceDefinition ${name} (kept by an unbind) to APIServiceBinding ${name}; its objects stay`;
    if (!binding?.metadata?.uid) {
      if (dryRun) out.push(`(dry run) would hand ${what}`);
      continue;
    }
    // Every other ownerReference stays; one to an APIServiceBinding of this name (a binding that is gone) is replaced.
    const refs = (Array.isArray(crd.metadata?.ownerReferences) ? crd.metadata.ownerReferences : []) as Array<{
      kind?: unknown;
      name?: unknown;
    }>;
    const others = refs.filter((r) => !(r.kind === 'APIServiceBinding' && r.name === name));
    const ref = {
      apiVersion: KINDS.serviceBinding.apiVersion,
      kind: 'APIServiceBinding',
      name,
      uid: binding.metadata.uid,
      controller: true,
    };
    const patch = {
      metadata: {
        resourceVersion: crd.metadata?.resourceVersion,
        ownerReferences: [...others, ref],
        annotations: { [ORPHANED_FROM_ANNOTATION]: null },
      },
    };
    await app.mergePatch(KINDS.crd, name, undefined, patch, { dryRun });
    out.push(`${dryRun ? '(dry run) would hand' : 'handed'} ${what}`);
  }
  return out;
}
