/**
 * Step 5b, pure: the backend's answer must match the question. Checked after
 * the BindingResponse is parsed and before anything is created, written or
 * applied; a mismatch is a BackendError (exit 5) naming every problem.
 *
 * - Every resource of every export request is one binding.json asked for
 *   (group + resource), each exactly once, and every API asked for is
 *   answered. A request's name is a valid object name, used once; a request
 *   naming a namespace names the cluster namespace.
 * - Permission claims are accepted only within a policy. The default policy
 *   is what Klutch's own export templates claim: core `secrets` and
 *   `configmaps`, version v1, owner Provider, nothing replaced, adopted,
 *   donated, read or updated beyond the default (selector names, namespaces,
 *   label and field selectors only narrow a claim and are fine). Any other
 *   claim is refused unless binding.json's `acceptClaims` names its resource
 *   (`<resource>` for the core group, else `<resource>.<group>`): then it is
 *   accepted as the backend sent it, and listed.
 */
import { BackendError } from '../errors.ts';
import { log } from '../log.ts';
import { bindingName } from '../render/app-cluster.ts';
import type { Binding, ExportRequest, PermissionClaim } from '../types.ts';
import { DNS1123_SUBDOMAIN_PATTERN } from '../validate/names.ts';

/** One accepted claim, as listed on stderr and in a fleet's JSON summary. */
export interface AcceptedClaim {
  /** The APIServiceBinding (exported API, `<resource>.<group>`) the claim comes with. */
  api: string;
  group: string;
  resource: string;
  version: string;
  /** selector.owner; absent when the claim names none (objects of both sides). */
  owner?: string;
  acceptedBy: 'policy' | 'acceptClaims';
  /** What the claim asks beyond the default policy's options (e.g. create.replaceExisting); only when acceptClaims
   * accepted it. */
  options?: string[];
}

/** The resources the default policy accepts claims on (core group, version v1, owner Provider). */
export const DEFAULT_CLAIM_RESOURCES: readonly string[] = ['secrets', 'configmaps'];

const OBJECT_NAME = new RegExp(DNS1123_SUBDOMAIN_PATTERN);
/** Keys of a claim the policy does not judge: what it claims is judged below; `required` only says whether a refusal
 * breaks the binding; `state` is ours to set. */
const NEUTRAL_KEYS = new Set(['group', 'resource', 'version', 'required', 'state']);
/** Selector keys that only narrow which objects are claimed. */
const NARROWING_SELECTOR_KEYS = new Set(['names', 'namespaces', 'labelSelectors', 'fieldSelectors']);

/** `<resource>.<group>`, or `<resource>` for the core group (the names acceptClaims and the messages use). */
export function claimName(c: { group?: string | undefined; resource: string }): string {
  return bindingName(c.resource, c.group);
}

/** An acceptClaims entry → group and resource: the resource is up to the first dot (resources have none), the group the
 * rest. */
export function parseAcceptClaim(entry: string): { group: string; resource: string } {
  const dot = entry.indexOf('.');
  return dot < 0 ? { group: '', resource: entry } : { group: entry.slice(dot + 1), resource: entry.slice(0, dot) };
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** The non-empty keys of an options object, as `<prefix>.<key>`; a non-object value is itself one option. */
function nonEmptyKeys(prefix: string, v: unknown, allowed: (k: string, v: unknown) => boolean = () => false): string[] {
  if (isEmpty(v)) return [];
  if (typeof v !== 'object' || Array.isArray(v)) return [prefix];
  return Object.entries(v as Record<string, unknown>)
    .filter(([k, x]) => !isEmpty(x) && !allowed(k, x))
    .map(([k]) => `${prefix}.${k}`);
}

/**
 * What a claim asks beyond the default policy: `resource` when its
 * group/version/resource is not one the policy accepts, `options` the
 * settings it adds (owner, create.replaceExisting, autoAdopt, ...). Both empty:
 * inside the policy.
 */
export function judgeClaim(claim: PermissionClaim): { resource: boolean; options: string[] } {
  const c = claim as Record<string, unknown>;
  const resource =
    (claim.group ?? '') !== '' || !DEFAULT_CLAIM_RESOURCES.includes(claim.resource) || claim.version !== 'v1';
  const options: string[] = [];
  const selector = c.selector;
  if (selector === undefined || selector === null) options.push('no selector (every object of both sides)');
  else if (typeof selector !== 'object' || Array.isArray(selector)) options.push('selector');
  else {
    const s = selector as Record<string, unknown>;
    if (s.owner !== 'Provider')
      options.push(s.owner === undefined ? 'no owner (objects of both sides)' : `owner ${String(s.owner)}`);
    for (const [k, v] of Object.entries(s))
      if (k !== 'owner' && !NARROWING_SELECTOR_KEYS.has(k) && !isEmpty(v)) options.push(`selector.${k}`);
  }
  for (const [k, v] of Object.entries(c)) {
    if (NEUTRAL_KEYS.has(k) || k === 'selector') continue;
    // onConflict.recreateWhenConsumerSideDeleted: true is the default.
    if (k === 'onConflict')
      options.push(...nonEmptyKeys(k, v, (key, x) => key === 'recreateWhenConsumerSideDeleted' && x === true));
    else if (k === 'create' || k === 'read' || k === 'update') options.push(...nonEmptyKeys(k, v));
    else if (!isEmpty(v)) options.push(k);
  }
  // recreateWhenConsumerSideDeleted: false is a choice too (isEmpty treats false as unset).
  const onConflict = c.onConflict as Record<string, unknown> | undefined;
  if (onConflict && typeof onConflict === 'object' && onConflict.recreateWhenConsumerSideDeleted === false)
    options.push('onConflict.recreateWhenConsumerSideDeleted false');
  return { resource, options };
}

/** A claim as the stderr line lists it: `secrets (owner Provider)`, `secrets (owner Provider, create.replaceExisting;
 * accepted by acceptClaims)`. */
function describe(claim: PermissionClaim, options: string[], explicit: boolean): string {
  const owner = (claim.selector as { owner?: unknown } | undefined)?.owner;
  const parts = [
    ...(claim.version !== 'v1' ? [`version ${claim.version}`] : []),
    ...(typeof owner === 'string' ? [`owner ${owner}`] : []),
    ...options.filter((o) => !o.startsWith('owner ')),
  ];
  return `${claimName(claim)} (${parts.join(', ')}${explicit ? '; accepted by acceptClaims' : ''})`;
}

/**
 * Checks the answer against binding.json and the claim policy; returns the
 * accepted claims (and logs one line per APIServiceBinding with claims).
 * Throws BackendError listing every problem; nothing has been created then.
 */
export function checkAnswer(
  binding: Binding,
  requests: readonly ExportRequest[],
  clusterNamespace: string,
): AcceptedClaim[] {
  const asked = new Map(binding.apis.map((a) => [claimName(a), a]));
  const answered = new Set<string>();
  const problems: string[] = [];
  const requestNames = new Set<string>();
  for (const [i, req] of requests.entries()) {
    const name = req.metadata?.name;
    const first = req.spec.resources[0]!;
    const effective = name || claimName(first);
    if (name !== undefined && (!OBJECT_NAME.test(name) || name.length > 253))
      problems.push(`request ${i + 1} is named ${JSON.stringify(name)}, which is not a valid object name`);
    else if (requestNames.has(effective))
      problems.push(`request ${i + 1}: more than one request is named ${effective}`);
    requestNames.add(effective);
    const ns = (req.metadata as { namespace?: unknown } | undefined)?.namespace;
    if (ns !== undefined && ns !== clusterNamespace)
      problems.push(
        `request ${effective} names namespace ${JSON.stringify(ns)}, not the cluster namespace ${clusterNamespace}`,
      );
    for (const res of req.spec.resources) {
      const api = claimName(res);
      if (!asked.has(api)) problems.push(`${api}: binding.json did not ask for it`);
      else if (answered.has(api)) problems.push(`${api}: answered more than once`);
      answered.add(api);
    }
  }
  for (const api of asked.keys())
    if (!answered.has(api)) problems.push(`${api}: binding.json asked for it, but it is not in the backend's answer`);
  if (problems.length) {
    throw new BackendError(
      'HELPER_BACKEND_ANSWER_MISMATCH',
      `the backend's answer does not match binding.json (nothing was created):\n` +
        `${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return checkClaims(binding, requests);
}

function checkClaims(binding: Binding, requests: readonly ExportRequest[]): AcceptedClaim[] {
  const acceptList = (binding.acceptClaims ?? []).map((e) => claimName(parseAcceptClaim(e)));
  const used = new Set<string>();
  const accepted: AcceptedClaim[] = [];
  const refused: string[] = [];
  const refusedNames = new Set<string>();
  const lines: string[] = [];
  for (const req of requests) {
    for (const res of req.spec.resources) {
      const api = claimName(res);
      const described: string[] = [];
      for (const claim of res.permissionClaims ?? []) {
        const name = claimName(claim);
        const { resource, options } = judgeClaim(claim);
        const inPolicy = !resource && options.length === 0;
        const explicit = acceptList.includes(name);
        if (explicit) used.add(name);
        if (!inPolicy && !explicit) {
          refusedNames.add(name);
          refused.push(
            `${api} claims ${name}${claim.version !== 'v1' ? ` version ${claim.version}` : ''}` +
              `${options.length ? ` with ${options.join(', ')}` : ''}`,
          );
          continue;
        }
        const owner = (claim.selector as { owner?: unknown } | undefined)?.owner;
        accepted.push({
          api,
          group: claim.group ?? '',
          resource: claim.resource,
          version: claim.version,
          ...(typeof owner === 'string' ? { owner } : {}),
          acceptedBy: inPolicy ? 'policy' : 'acceptClaims',
          ...(!inPolicy && options.length ? { options: options.filter((o) => !o.startsWith('owner ')) } : {}),
        });
        described.push(describe(claim, options, !inPolicy));
      }
      if (described.length) lines.push(`APIServiceBinding ${api} accepts claims ${described.join(', ')}`);
    }
  }
  if (refused.length) {
    throw new BackendError(
      'HELPER_BACKEND_CLAIM_REFUSED',
      `the backend's answer asks for permission claims outside the default policy (core secrets and ` +
        `configmaps, owner Provider, nothing replaced, adopted or donated); nothing was created:\n` +
        `${refused.map((p) => `  - ${p}`).join('\n')}`,
      {
        hint:
          `if you trust them, list their resources in binding.json's acceptClaims, e.g. "acceptClaims": [` +
          `${[...refusedNames].map((n) => JSON.stringify(n)).join(', ')}]`,
      },
    );
  }
  const prefix = `cluster ${JSON.stringify(binding.clusterID)}: `;
  for (const l of lines) log.info(prefix + l);
  for (const name of acceptList)
    if (!used.has(name))
      log.warn(`${prefix}binding.json's acceptClaims names ${name}, but the backend's answer has no claim on it`);
  return accepted;
}

/**
 * The question as the backend gets it: binding.json's bytes unchanged, or,
 * when it has acceptClaims (helper's own policy, not the backend's business),
 * the same JSON without that field.
 */
export function questionBody(raw: Buffer, binding: Binding): Buffer {
  if (binding.acceptClaims === undefined) return raw;
  const { acceptClaims: _local, ...rest } = binding;
  return Buffer.from(JSON.stringify(rest));
}
