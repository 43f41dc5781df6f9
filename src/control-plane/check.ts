/**
 * `control-plane check`: what is installed on a Control Plane Cluster and
 * whether it works. What it expects is what `render` produces for the same
 * values (with -f) or for the values `adopt` reads from the cluster
 * (without): every rendered object is probed by a probe for its kind, so a
 * name changed in render is the name check looks for.
 *
 * The report names root causes first: the prerequisites it can see
 * (Crossplane and its --enable-ssa-claims flag, cert-manager, the
 * IngressClass, a node to run pods), then the rendered objects, whose
 * details name the prerequisite they wait for rather than the symptom.
 * Each item has one status:
 *  - ok;
 *  - missing: something apply installs, or a prerequisite, is absent;
 *  - invalid: present but wrong in a way that breaks binding (Crossplane
 *    without --enable-ssa-claims, k8sca holding base64 text instead of PEM,
 *    an Ingress naming an issuer that does not exist, a binder role for
 *    another API group);
 *  - not-ready: present, waiting for something that runs;
 *  - cannot-see: outside what the cluster shows (DNS, the identity
 *    provider); said, neither passed nor failed.
 */
import { X509Certificate } from 'node:crypto';
import { kindOf, type KObject } from '../kube/resources.ts';
import { conditionsOf, isEstablished } from '../kube/conditions.ts';
import type { ObjectClient } from '../kube/objects.ts';
import { exportTemplateCrd, KLUTCH_GROUP } from '../render/crds.ts';
import { liveObjects } from './apply.ts';
import {
  CERT_MANAGER,
  CROSSPLANE,
  EXAMPLE_BACKEND_GROUP,
  packageRepository,
  PAGE,
  type IssuerKind,
} from './catalog.ts';
import { listAll, secretData, served } from './client.ts';
import { COOKIE_SECRET } from './keys.ts';
import {
  CA_KEY,
  CA_SECRET,
  crdNameOf,
  FOREIGN_KINDS,
  OIDC_KEYS,
  OIDC_SECRET,
  objectId,
  PROVIDER_ANYNINES,
  renderControlPlane,
  type K8sObject,
} from './render.ts';
import type { Settings } from './values.ts';
import { countVerdicts, formatTable, itemId, type Report, type ReportItem } from '../report/model.ts';

export type Status = 'ok' | 'missing' | 'invalid' | 'not-ready' | 'cannot-see';
export const STATUSES: readonly Status[] = ['ok', 'missing', 'invalid', 'not-ready', 'cannot-see'];

/** One item of the check (all on the control plane): a rendered object (`Deployment bind/anynines-backend`) or a thing
 * (`Crossplane`). */
export type CheckItem = ReportItem<Status>;

/** The check's verdict: incomplete (something missing or invalid), not-ready (installed, not all running), or healthy.
 * */
export type CheckVerdict = 'healthy' | 'not-ready' | 'incomplete';

export interface CheckReport extends Report<Status, CheckVerdict> {
  server: string;
  healthy: boolean;
  counts: Record<Status, number>;
  /** The root cause to fix first: the first missing or invalid item, else the first not-ready one. */
  firstProblem: CheckItem | undefined;
  items: CheckItem[];
}

/** An item of `-o json`: its status, `Kind ns/name` (or the thing's name) and detail. */
export interface CheckJsonItem {
  status: Status;
  object: string;
  detail: string;
}

/** An item from how the check names it: `Kind ns/name`, `Kind name`, or a thing (`Crossplane`, `Nodes`) as its kind
 * alone. */
export function checkItem(status: Status, object: string, detail: string): CheckItem {
  const space = object.indexOf(' ');
  const [kind, rest] = space < 0 ? [object, ''] : [object.slice(0, space), object.slice(space + 1)];
  const slash = rest.indexOf('/');
  const where = slash < 0 ? { name: rest } : { namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
  return { side: 'control-plane', kind, ...where, verdict: status, detail };
}

export interface CheckInput {
  settings: Settings;
  /** What render produces for these settings, in render order. */
  objects: K8sObject[];
}

/** The Crossplane version the data-services configuration package requires (its crossplane.yaml). */
export const MIN_CROSSPLANE = [1, 17, 1] as const;

type Add = (status: Status, object: string, detail: string) => void;

interface Ctx {
  client: ObjectClient;
  s: Settings;
  add: Add;
  /** '' when Crossplane is usable, else why not (for the details of what waits for it). */
  crossplaneWhy: string;
  certManagerWhy: string;
  noPods: string;
  live: Map<K8sObject, KObject | undefined>;
  rendered: K8sObject[];
}

/** How one live object of a kind is judged: status, detail, and the object's name when found under another. */
type Judgement = [Status, string, string?];
type Judge = (o: K8sObject, live: KObject | undefined, c: Ctx) => Promise<Judgement> | Judgement;

const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
type LbIngress = Array<{ ip?: string; hostname?: string }>;

const readyOf = (d: KObject) => {
  const st = (d.status ?? {}) as { readyReplicas?: number; observedGeneration?: number };
  return {
    ready: st.readyReplicas ?? 0,
    want: (d.spec as { replicas?: number } | undefined)?.replicas ?? 1,
    processed: st.observedGeneration !== undefined,
  };
};
const addressesOf = (o: KObject | undefined): LbIngress =>
  (o?.status as { loadBalancer?: { ingress?: LbIngress } } | undefined)?.loadBalancer?.ingress ?? [];
const addresses = (lb: LbIngress): string => lb.map((l) => l.hostname ?? l.ip).join(', ');
const rendered = (c: Ctx, kind: string) => c.rendered.find((o) => o.kind === kind);
const minCrossplane = `v${MIN_CROSSPLANE.join('.')}`;

function versionOf(image: string): number[] | undefined {
  const m = /:v?(\d+)\.(\d+)\.(\d+)/.exec(image);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
const older = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  return false;
};

/** Whether a kubelet can run pods: an item, and the note for everything that waits for a pod. */
async function nodes(client: ObjectClient): Promise<{ item: CheckItem | undefined; noPods: string }> {
  let list: KObject[] | undefined;
  try {
    list = await client.list({ apiVersion: 'v1', kind: 'Node' });
  } catch {
    // Listing nodes is not needed for anything else; a restricted kubeconfig may not.
  }
  if (!list) return { item: undefined, noPods: '' };
  const ready = list.filter((n) => conditionsOf(n).some((x) => x.type === 'Ready' && x.status === 'True')).length;
  if (ready) return { item: checkItem('ok', 'Nodes', `${ready} Ready`), noPods: '' };
  return {
    item: checkItem(
      'not-ready',
      'Nodes',
      `${list.length ? `${list.length} node(s), none Ready` : 'no nodes'}: no kubelet runs pods here, so the ` +
        `backend, Crossplane and the providers cannot run`,
    ),
    noPods: '; the cluster has no Ready node (no kubelet) to run it',
  };
}

async function findDeployment(
  client: ObjectClient,
  namespace: string,
  name: string,
  selector: string,
): Promise<KObject | undefined> {
  return (await client.get(DEPLOYMENT, name, namespace)) ?? (await listAll(client, DEPLOYMENT, undefined, selector))[0];
}

async function absentCrds(client: ObjectClient, crds: readonly string[]): Promise<string[]> {
  const absent: string[] = [];
  for (const name of crds) if (!(await served(client, name))) absent.push(name);
  return absent;
}

const depId = (dep: KObject) => `Deployment ${dep.metadata?.namespace}/${dep.metadata?.name}`;

/** Crossplane's package CRDs and its Deployment; sets crossplaneWhy for what waits for it. */
async function crossplane(c: Ctx): Promise<void> {
  const ns = c.s.crossplane.namespace;
  const crds = FOREIGN_KINDS.filter((f) => f.crd.endsWith(`.${CROSSPLANE.pkgGroup}`)).map((f) => f.crd);
  const absent = await absentCrds(c.client, crds);
  const dep = await findDeployment(c.client, ns, CROSSPLANE.deployment, CROSSPLANE.selector);
  const install = `install Crossplane >= ${minCrossplane} with helm, --set args='{"${PAGE.crossplaneFlag}"}'`;
  if (!dep && absent.length === crds.length) {
    c.add(
      'missing',
      'Crossplane',
      `not installed: no Deployment ${ns}/${CROSSPLANE.deployment} and no ${CROSSPLANE.pkgGroup} CRDs (${install})`,
    );
    c.crossplaneWhy = 'Crossplane is not installed';
    return;
  }
  if (absent.length) {
    c.add(
      'missing',
      'Crossplane',
      `CustomResourceDefinition ${absent.join(', ')} not installed (Crossplane older than ${minCrossplane}?)`,
    );
    c.crossplaneWhy = 'Crossplane lacks its package CRDs';
  } else c.add('ok', 'Crossplane', 'package CRDs installed');
  if (!dep) {
    c.add(
      'missing',
      `Deployment ${ns}/${CROSSPLANE.deployment}`,
      `not found: the package CRDs are installed, but no Crossplane Deployment is (looked for ${ns}/` +
        `${CROSSPLANE.deployment} and ${CROSSPLANE.selector})`,
    );
    c.crossplaneWhy ||= 'Crossplane is not running';
    return;
  }
  const [status, detail, why] = crossplaneDeployment(dep, c.noPods);
  c.add(status, depId(dep), detail);
  if (why) c.crossplaneWhy ||= why;
}

/** The running Crossplane: its flag, version and replicas; the third element is why what waits for it cannot run. */
function crossplaneDeployment(dep: KObject, noPods: string): Judgement {
  const containers =
    (dep.spec as { template?: { spec?: { containers?: Array<{ image?: string; args?: string[] }> } } } | undefined)
      ?.template?.spec?.containers ?? [];
  const flag = PAGE.crossplaneFlag;
  const set = containers.flatMap((x) => x.args ?? []).some((a) => a === flag || a === `${flag}=true`);
  const image = containers[0]?.image ?? '';
  const version = versionOf(image);
  const st = readyOf(dep);
  if (!set) {
    return [
      'invalid',
      `runs without ${flag}: the setup page installs Crossplane with --set args='{"${flag}"}', which claims ` +
        `applied by konnectors need (helm upgrade crossplane ... --set args='{"${flag}"}')`,
      `Crossplane runs without ${flag}`,
    ];
  }
  if (version && older(version, MIN_CROSSPLANE)) {
    return [
      'invalid',
      `${image} is Crossplane v${version.join('.')}; the data-services configuration package requires >= ` +
        `${minCrossplane}`,
      `Crossplane is older than ${minCrossplane}`,
    ];
  }
  if (st.ready >= 1) return ['ok', `${st.ready}/${st.want} ready, ${flag} set`];
  return [
    'not-ready',
    `${flag} set; 0/${st.want} replicas ready${noPods}`,
    `Crossplane is not running (0/${st.want} replicas ready${noPods})`,
  ];
}

/** cert-manager's CRDs and controller; sets certManagerWhy. */
async function certManager(c: Ctx): Promise<void> {
  const cm = CERT_MANAGER;
  const crds = [cm.issuers.Issuer.crd, cm.issuers.ClusterIssuer.crd, cm.certificateCrd];
  const absent = await absentCrds(c.client, crds);
  const dep = await findDeployment(c.client, cm.namespace, cm.deployment, cm.selector);
  const at = `${cm.namespace}/${cm.deployment}`;
  if (!dep && absent.length === crds.length) {
    c.add(
      'missing',
      'cert-manager',
      `not installed: no cert-manager CRDs and no Deployment ${at} (the backend's certificate comes from it)`,
    );
    c.certManagerWhy = 'cert-manager is not installed';
    return;
  }
  if (absent.length) {
    c.add('missing', 'cert-manager', `CustomResourceDefinition ${absent.join(', ')} not installed`);
    c.certManagerWhy = 'cert-manager lacks its CRDs';
  } else c.add('ok', 'cert-manager', 'CRDs installed');
  if (!dep) {
    c.add(
      'missing',
      `Deployment ${at}`,
      'not found: the CRDs are installed, but no cert-manager controller Deployment is',
    );
    c.certManagerWhy ||= 'cert-manager is not running';
    return;
  }
  const st = readyOf(dep);
  if (st.ready >= 1) c.add('ok', depId(dep), `${st.ready}/${st.want} ready`);
  else {
    c.add('not-ready', depId(dep), `0/${st.want} replicas ready${c.noPods}`);
    c.certManagerWhy ||= 'cert-manager is not running';
  }
}

/** The IngressClass the rendered Ingress names. */
async function ingressClass(c: Ctx): Promise<void> {
  const name =
    (rendered(c, 'Ingress')?.spec as { ingressClassName?: string } | undefined)?.ingressClassName ??
    c.s.tls.ingressClass;
  const ic = await c.client.get({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass' }, name);
  if (ic)
    c.add(
      'ok',
      `IngressClass ${name}`,
      `controller ${(ic.spec as { controller?: string } | undefined)?.controller ?? '?'}`,
    );
  else
    c.add(
      'missing',
      `IngressClass ${name}`,
      `no such IngressClass: no ingress controller serves class ${name} (install one, e.g. ingress-nginx, or ` +
        `set /tls/ingressClass)`,
    );
}

/** Installed and Healthy, for Crossplane packages. */
function packageHealth(o: KObject, c: Ctx): Judgement {
  const conds = conditionsOf(o);
  const healthy = conds.find((x) => x.type === 'Healthy');
  const installed = conds.find((x) => x.type === 'Installed');
  if (healthy?.status === 'True' && installed?.status !== 'False') return ['ok', 'Installed and Healthy'];
  if (!conds.length)
    return [
      'not-ready',
      `no status: Crossplane has not processed it` +
        `${c.crossplaneWhy ? ` (${c.crossplaneWhy})` : ' (is Crossplane running?)'}${c.noPods}`,
    ];
  return [
    'not-ready',
    conds
      .filter((x) => x.type === 'Healthy' || x.type === 'Installed')
      .map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason})` : ''}`)
      .join(', ') || 'not Healthy',
  ];
}

/** Whether the cluster serves the kind of a rendered object whose CRD comes from elsewhere. */
const kindServed = (o: K8sObject, c: Ctx): Promise<boolean> => served(c.client, crdNameOf(o, c.rendered) ?? '');
const cannotInstall = (c: Ctx) => `cannot be installed: ${c.crossplaneWhy || 'its CRD is not installed'}`;

const exists: Judge = (_o, live) => (live ? ['ok', 'exists'] : ['missing', 'not installed']);

const crdHealth: Judge = (_o, live) =>
  !live ? ['missing', 'not installed'] : isEstablished(live) ? ['ok', 'Established'] : ['not-ready', 'not Established'];

const runtimeConfig: Judge = async (o, live, c) =>
  live ? ['ok', 'exists'] : ['missing', (await kindServed(o, c)) ? 'not installed' : cannotInstall(c)];

/** A Crossplane package, under the rendered name or installed as the same package under another (the page's names). */
async function pkg(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<Judgement> {
  if (live) return packageHealth(live, c);
  if (!(await kindServed(o, c))) return ['missing', cannotInstall(c)];
  const repo = packageRepository((o.spec as { package?: string }).package ?? '');
  const same = (await listAll(c.client, kindOf(o))).find(
    (x) => packageRepository((x.spec as { package?: string } | undefined)?.package ?? '') === repo,
  );
  if (same) {
    const [status, detail] = packageHealth(same, c);
    return [
      status,
      `${detail} (installed as ${same.metadata?.name}; apply keeps that name)`,
      `${o.kind} ${same.metadata?.name}`,
    ];
  }
  return [
    'missing',
    o.kind === 'Function'
      ? 'not installed: every a9s composition calls it, and the configuration package does not declare it'
      : 'not installed',
  ];
}

const clusterRoleBinding: Judge = (o, live) => {
  if (!live) return ['missing', 'not installed'];
  const want = (o.roleRef as { name: string }).name;
  const got = (live.roleRef as { name?: string } | undefined)?.name;
  return got === want ? ['ok', `binds ${got}`] : ['invalid', `binds ${got}, not ${want}`];
};

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[] };
const grants = (rules: Rule[], group: string, resource: string, verb: string) =>
  rules.some(
    (r) =>
      (r.apiGroups?.includes(group) || r.apiGroups?.includes('*')) &&
      (r.resources?.includes(resource) || r.resources?.includes('*')) &&
      (r.verbs?.includes(verb) || r.verbs?.includes('*')),
  );

const clusterRole: Judge = (o, live) => {
  if (!live) return ['missing', 'not installed'];
  const rules = (live as { rules?: Rule[] }).rules ?? [];
  const wanted = (o as unknown as { rules: Array<Required<Rule>> }).rules;
  const lacking = wanted.filter(
    (w) => !w.resources.every((res) => w.verbs.every((v) => w.apiGroups.every((g) => grants(rules, g, res, v)))),
  );
  if (!lacking.length) return ['ok', `grants what the backend binds (${KLUTCH_GROUP})`];
  const klutch = lacking.some((w) => w.apiGroups.includes(KLUTCH_GROUP));
  const groups = [...new Set(rules.flatMap((r) => r.apiGroups ?? []).filter((g) => g))];
  return [
    'invalid',
    `lacks ${lacking.map((w) => `${w.resources.join(',')} (${w.apiGroups[0] || 'core'})`).join('; ')}` +
      (klutch && groups.length
        ? `: its rules name ${groups.join(', ')} (the setup page's kube-bind.io), not ${KLUTCH_GROUP}, ` +
          'the group of the CRDs installed here'
        : ''),
  ];
};

/** A ProviderConfig in the cluster may name its credentials differently (the release bundle's -credentials). */
async function secretNamedByProviderConfig(o: K8sObject, c: Ctx): Promise<{ found: KObject; as: string } | undefined> {
  const pc = c.rendered.find(
    (p) => p.kind === 'ProviderConfig' && JSON.stringify(p.spec).includes(`"name":"${o.metadata.name}"`),
  );
  const livePc = pc ? c.live.get(pc) : undefined;
  const ref = (
    livePc?.spec as
      | { providerCredentials?: { password?: { secretRef?: { name?: string; namespace?: string } } } }
      | undefined
  )?.providerCredentials?.password?.secretRef;
  if (!ref?.name || ref.name === o.metadata.name) return undefined;
  const ns = ref.namespace ?? o.metadata.namespace;
  const found = await c.client.get(SECRET, ref.name, ns);
  return found ? { found, as: `Secret ${ns}/${ref.name}` } : undefined;
}

async function secretHealth(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<Judgement> {
  const keys = Object.keys((o.data as Record<string, string> | undefined) ?? {});
  const other = live ? undefined : await secretNamedByProviderConfig(o, c);
  const found = live ?? other?.found;
  if (!found) return ['missing', 'not installed'];
  const d = secretData(found);
  const absent = keys.filter((k) => !d[k]);
  const named = other ? ` (the ProviderConfig uses ${other.as}; apply points it at ${o.metadata.name})` : '';
  if (absent.length) return ['invalid', `lacks ${absent.join(', ')}${named}`, other?.as];
  if (o.metadata.name === CA_SECRET) return caHealth(d[CA_KEY] ?? '');
  if (o.metadata.name === COOKIE_SECRET) {
    const bad = keys.filter((k) => ![16, 24, 32].includes(Buffer.from(d[k] ?? '', 'base64').length));
    if (bad.length) return ['invalid', `${bad.join(', ')} not base64 of 16, 24 or 32 bytes`];
  }
  if (d[OIDC_KEYS.issuerUrl])
    return [
      'ok',
      `issuer ${d[OIDC_KEYS.issuerUrl]}, client ${d[OIDC_KEYS.clientId]}, callback ${d[OIDC_KEYS.callbackUrl]}`,
    ];
  return ['ok', `${keys.join(' and ')} set${named}`, other?.as];
}

const PEM = '-----BEGIN CERTIFICATE-----';

/** The CA handed to App Clusters: PEM, once base64-encoded under data. */
function caHealth(pem: string): Judgement {
  if (!pem.includes(PEM)) {
    return [
      'invalid',
      Buffer.from(pem, 'base64').toString('utf8').includes(PEM)
        ? `${CA_KEY} holds base64 text of the PEM, not PEM: the mounted --external-ca-file is unreadable and ` +
          `App Clusters get a broken CA (put the PEM under data, base64-encoded once)`
        : `${CA_KEY} holds no PEM certificate`,
    ];
  }
  try {
    new X509Certificate(pem);
  } catch (err) {
    return ['invalid', `${CA_KEY} cannot be parsed: ${(err as Error).message}`];
  }
  return ['ok', `${CA_KEY} is a PEM certificate`];
}

async function providerConfig(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<Judgement> {
  const crd = crdNameOf(o, c.rendered) ?? '';
  if (!(await served(c.client, crd))) {
    const provider = c.rendered.find((p) => p.kind === 'Provider' && p.metadata.name === PROVIDER_ANYNINES);
    const pLive = provider ? c.live.get(provider) : undefined;
    const why =
      c.crossplaneWhy ||
      (pLive
        ? `${PROVIDER_ANYNINES} is not Healthy yet (${packageHealth(pLive, c)[1]})`
        : `${PROVIDER_ANYNINES} is not installed`);
    return ['not-ready', `its CRD ${crd} comes with ${PROVIDER_ANYNINES}, which cannot install it yet: ${why}`];
  }
  if (!live) return ['missing', 'not installed'];
  const health = (live.status as { health?: { lastStatus?: unknown; lastMessage?: unknown } } | undefined)?.health;
  if (health?.lastStatus === true) return ['ok', 'healthy'];
  if (health?.lastStatus === false)
    return [
      'not-ready',
      `unhealthy${typeof health.lastMessage === 'string' ? `: ${health.lastMessage}` : ''} (check ` +
        `${(live.spec as { url?: string } | undefined)?.url ?? 'its url'} and the credentials)`,
    ];
  return [
    'not-ready',
    `no health status: ${PROVIDER_ANYNINES} has not checked it (${c.crossplaneWhy || 'is it running?'})${c.noPods}`,
  ];
}

/** An export template, found by what it exports whatever its name (the release bundle names them postgresqls, mariadbs,
 * ...). */
async function template(o: K8sObject, _live: KObject | undefined, c: Ctx): Promise<Judgement> {
  const { resource, group } = (o.spec as { APIServiceSelector: { resource: string; group: string } })
    .APIServiceSelector;
  const crd = crdNameOf(o, c.rendered) ?? '';
  if (!(await served(c.client, crd))) return ['missing', `CustomResourceDefinition ${crd} is not installed`];
  const all = await listAll(c.client, kindOf(o), o.metadata.namespace);
  const t = all.find(
    (x) =>
      (x.spec as { APIServiceSelector?: { resource?: unknown } } | undefined)?.APIServiceSelector?.resource ===
      resource,
  );
  const claim = `${resource}.${group}`;
  if (!t) return ['missing', `no template exports ${claim}`];
  const as = t.metadata?.name !== o.metadata.name ? `${o.kind} ${o.metadata.namespace}/${t.metadata?.name}` : undefined;
  if (await served(c.client, claim)) return ['ok', `exports ${claim}`, as];
  return [
    'not-ready',
    `CustomResourceDefinition ${claim} is not served: the data-services Configuration installs it once ` +
      `Crossplane runs${c.crossplaneWhy ? ` (${c.crossplaneWhy})` : ''}; export requests for it fail until then`,
    as,
  ];
}

const deployment: Judge = (o, live, c) => {
  if (!live) return ['missing', 'not installed'];
  const st = readyOf(live);
  if (st.ready >= 1) return ['ok', `${st.ready}/${st.want} replicas ready`];
  if (!st.processed)
    return [
      'not-ready',
      `0/${st.want} replicas ready: no deployment controller has processed it (is kube-controller-manager ` +
        `running?)${c.noPods}`,
    ];
  const labels =
    (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    'not-ready',
    `0/${st.want} replicas ready` +
      `${c.noPods || ` (kubectl -n ${live.metadata?.namespace} describe pods -l ${selector})`}`,
  ];
};

const service: Judge = async (o, live, c) => {
  if (!live) return ['missing', 'not installed'];
  const slices = await listAll(
    c.client,
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
    o.metadata.namespace,
    `kubernetes.io/service-name=${o.metadata.name}`,
  );
  const ready = slices
    .flatMap((s) => (s as { endpoints?: Array<{ conditions?: { ready?: boolean } }> }).endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false).length;
  if (!ready) return ['not-ready', `no ready endpoints: no backend pod answers${c.noPods}`];
  const type = (live.spec as { type?: string } | undefined)?.type;
  const lb = addressesOf(live);
  if (type === 'LoadBalancer' && !lb.length)
    return [
      'not-ready',
      `${ready} ready endpoint(s), but no external address: no load-balancer controller has given this ` +
        `LoadBalancer one`,
    ];
  return ['ok', `${ready} ready endpoint(s)${lb.length ? `, external address ${addresses(lb)}` : ''}`];
};

const issuer: Judge = (_o, live, c) => {
  if (!live) return ['missing', c.certManagerWhy ? `cannot be installed: ${c.certManagerWhy}` : 'not installed'];
  const ready = conditionsOf(live).find((x) => x.type === 'Ready');
  if (ready?.status === 'True') return ['ok', 'Ready'];
  return [
    'not-ready',
    ready
      ? `Ready=${ready.status}${ready.message ? `: ${ready.message}` : ''}`
      : `no status: cert-manager has not processed it (${c.certManagerWhy || 'is cert-manager running?'})`,
  ];
};

/** The issuer an Ingress's cert-manager annotation names. */
function issuerNamed(annotations: Record<string, string> | undefined): { kind: IssuerKind; name: string } | undefined {
  for (const [kind, i] of Object.entries(CERT_MANAGER.issuers) as Array<[IssuerKind, { annotation: string }]>) {
    const name = annotations?.[i.annotation];
    if (name) return { kind, name };
  }
  return undefined;
}

/** The Ingress's issuer: named, existing, and the one the values name. */
async function ingressIssuer(o: K8sObject, live: KObject, c: Ctx): Promise<Judgement | undefined> {
  const ns = o.metadata.namespace!;
  const named = issuerNamed(live.metadata?.annotations as Record<string, string> | undefined);
  const want = issuerNamed(o.metadata.annotations) ?? { kind: 'ClusterIssuer', name: '' };
  const [a, b] = Object.values(CERT_MANAGER.issuers).map((i) => i.annotation);
  if (!named) return ['invalid', `no ${a} or ${b} annotation: no certificate is issued for it`];
  const scoped = named.kind === 'Issuer';
  if (await served(c.client, CERT_MANAGER.issuers[named.kind].crd)) {
    if (
      !(await c.client.get(
        { apiVersion: CERT_MANAGER.apiVersion, kind: named.kind },
        named.name,
        scoped ? ns : undefined,
      ))
    ) {
      return [
        'invalid',
        `its annotation names ${named.kind} ${scoped ? `${ns}/` : ''}${named.name}, which does not exist: no ` +
          `certificate is issued (the setup page's letsencrypt-prod/letsencrypt mismatch` +
          `${named.name !== want.name ? `; apply sets ${want.name}` : ''})`,
      ];
    }
  }
  if (named.kind !== want.kind || named.name !== want.name)
    return ['invalid', `annotation names ${named.kind} ${named.name}, the values name ${want.kind} ${want.name}`];
  return undefined;
}

async function ingress(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<Judgement> {
  if (!live) return ['missing', 'not installed'];
  const wrongIssuer = await ingressIssuer(o, live, c);
  if (wrongIssuer) return wrongIssuer;
  const spec = (live.spec ?? {}) as {
    tls?: Array<{ secretName?: string; hosts?: string[] }>;
    ingressClassName?: string;
  };
  const tlsSecret = spec.tls?.[0]?.secretName;
  const host = spec.tls?.[0]?.hosts?.[0] ?? '?';
  if (!tlsSecret) return ['invalid', 'no spec.tls: the backend is not served over HTTPS'];
  const lb = addressesOf(live);
  if (!lb.length)
    return [
      'not-ready',
      `no address: no ingress controller has admitted it (class ${spec.ingressClassName ?? 'unset'})`,
    ];
  if (!(await c.client.get(SECRET, tlsSecret, o.metadata.namespace))) {
    return [
      'not-ready',
      `served at ${addresses(lb)}, but no certificate for ${host} yet in Secret ${tlsSecret} (cert-manager ` +
        `issues it once the issuer is Ready and ${host} resolves to the ingress controller)` +
        `${c.certManagerWhy ? ` (${c.certManagerWhy})` : ''}`,
    ];
  }
  return ['ok', `served at ${addresses(lb)} for ${host}, certificate in Secret ${tlsSecret}`];
}

/** The health table: how a live object of each rendered kind is judged (kinds not listed: it exists). */
const HEALTH: Record<string, Judge> = {
  CustomResourceDefinition: crdHealth,
  Namespace: exists,
  ServiceAccount: exists,
  DeploymentRuntimeConfig: runtimeConfig,
  Provider: pkg,
  Function: pkg,
  Configuration: pkg,
  ClusterRoleBinding: clusterRoleBinding,
  ClusterRole: clusterRole,
  Secret: secretHealth,
  ProviderConfig: providerConfig,
  APIServiceExportTemplate: template,
  Deployment: deployment,
  Service: service,
  Issuer: issuer,
  Ingress: ingress,
};

/** The certificate cert-manager writes for the rendered Ingress is not rendered, so it is its own item. */
async function tlsCertificate(ing: K8sObject, c: Ctx): Promise<void> {
  const ns = ing.metadata.namespace!;
  const tls = (ing.spec as { tls: Array<{ secretName: string; hosts: string[] }> }).tls[0]!;
  const [name, host] = [tls.secretName, tls.hosts[0]];
  if (await c.client.get(SECRET, name, ns)) c.add('ok', `Secret ${ns}/${name}`, `certificate for ${host} issued`);
  else
    c.add(
      'not-ready',
      `Secret ${ns}/${name}`,
      `no certificate for ${host} yet (cert-manager issues it once the issuer is Ready and ${host} resolves ` +
        `to the ingress controller)${c.certManagerWhy ? `: ${c.certManagerWhy}` : ''}`,
    );
}

/** The API of a CRD: its group/version of the first version, and its kind. */
const apiOf = (crd: K8sObject) => {
  const spec = crd.spec as { group: string; names: { kind: string }; versions: Array<{ name: string }> };
  return { apiVersion: `${spec.group}/${spec.versions[0]!.name}`, kind: spec.names.kind };
};

/** Whether anything binds today: the backend's APIServiceExports, and templates under the open-source backend's group.
 * */
async function bindings(c: Ctx): Promise<void> {
  const exportCrd = c.rendered.find(
    (o) => o.kind === 'CustomResourceDefinition' && apiOf(o).kind === 'APIServiceExport',
  );
  if (exportCrd && (await served(c.client, exportCrd.metadata.name))) {
    const exports = await listAll(c.client, apiOf(exportCrd));
    const namespaces = new Set(exports.map((e) => e.metadata?.namespace));
    c.add('ok', 'Bindings', `${exports.length} APIServiceExport(s) in ${namespaces.size} cluster namespace(s)`);
  }
  const template = rendered(c, 'APIServiceExportTemplate');
  const oss = exportTemplateCrd(EXAMPLE_BACKEND_GROUP) as K8sObject;
  if (template && (await served(c.client, oss.metadata.name))) {
    const n = (await listAll(c.client, apiOf(oss))).length;
    const ours = template.apiVersion.split('/')[0];
    if (n)
      c.add(
        'invalid',
        `CustomResourceDefinition ${oss.metadata.name}`,
        `${n} export template(s) under ${EXAMPLE_BACKEND_GROUP}, the open-source example-backend's group: ` +
          `the anynines backend reads ${ours}, so those do not export anything`,
      );
  }
}

/** What the cluster cannot show: DNS of the backend's host, the identity provider's client. */
function cannotSee(c: Ctx): void {
  const ing = rendered(c, 'Ingress');
  const lb = addressesOf(ing ? c.live.get(ing) : undefined);
  const host = c.s.backend.host;
  c.add(
    'cannot-see',
    `DNS ${host}`,
    `cannot see from the cluster whether ${host} resolves to the ingress controller` +
      `${lb.length ? ` (${addresses(lb)})` : ' (which has no address yet)'}; check with: dig ${host}`,
  );
  const o = c.s.oidc;
  c.add(
    'cannot-see',
    `OIDC client ${o.clientId}`,
    `cannot see the identity provider from the cluster: ${o.issuerUrl} needs a client ${o.clientId} whose ` +
      `secret is in ${OIDC_SECRET}, the redirect URI ${o.callbackUrl}, the client-credentials grant (for ` +
      `helper bootstrap-env) and an audience mapper that puts ${o.clientId} into the tokens`,
  );
}

/**
 * What render produces for these settings, with stand-ins for the secrets
 * (check looks at which Secrets and keys exist, never at their values).
 */
export function expectedObjects(settings: Settings, server: string): K8sObject[] {
  const stand = { username: 'x', password: 'x' };
  return renderControlPlane({
    settings,
    secrets: {
      oidcClientSecret: 'x',
      endpoints: Object.fromEntries(
        settings.dataServices.map((d) => [d.name, { serviceBroker: stand, backupManager: stand }]),
      ),
    },
    externalAddress: settings.backend.externalAddress ?? server,
    caPem: '',
    cookieKeys: { signingKey: '', encryptionKey: '' },
  });
}

function summary(server: string, items: CheckItem[]): CheckReport {
  const counts = countVerdicts(STATUSES, items);
  const firstProblem =
    items.find((i) => i.verdict === 'missing' || i.verdict === 'invalid') ??
    items.find((i) => i.verdict === 'not-ready');
  const verdict: CheckVerdict =
    counts.missing + counts.invalid ? 'incomplete' : counts['not-ready'] ? 'not-ready' : 'healthy';
  return { verdict, server, healthy: verdict === 'healthy', counts, firstProblem, items };
}

export async function checkControlPlane(client: ObjectClient, server: string, input: CheckInput): Promise<CheckReport> {
  const items: CheckItem[] = [];
  const add: Add = (status, object, detail) => items.push(checkItem(status, object, detail));
  const c: Ctx = {
    client,
    s: input.settings,
    add,
    crossplaneWhy: '',
    certManagerWhy: '',
    noPods: '',
    live: new Map(),
    rendered: input.objects,
  };

  // Root causes first: what everything else waits for (the nodes listed after the installs they run).
  const n = await nodes(client);
  c.noPods = n.noPods;
  await crossplane(c);
  await certManager(c);
  await ingressClass(c);
  if (n.item) items.push(n.item);

  c.live = await liveObjects(client, input.objects);
  for (const o of input.objects) {
    const [status, detail, as] = await (HEALTH[o.kind] ?? exists)(o, c.live.get(o), c);
    add(status, as ?? objectId(o), detail);
    if (o.kind === 'Ingress') await tlsCertificate(o, c);
  }
  if (!input.settings.dataServices.length)
    add(
      'missing',
      'Data services',
      'no data-service ProviderConfig (<data-service>-service-broker and -backup-manager) found or named in ' +
        'the values: App Clusters can bind only servicebindings, backups and restores, which need an instance',
    );
  await bindings(c);
  cannotSee(c);
  return summary(server, items);
}

/** The report as the one table (a header row, one row per item), then the counts and what to fix first. */
export function formatReport(r: CheckReport): string {
  const c = r.counts;
  const lines = [
    ...formatTable(r.items),
    '',
    `${r.server}: ${c.ok} ok, ${c.missing} missing, ${c.invalid} invalid, ${c['not-ready']} not ready, ` +
      `${c['cannot-see']} cannot see`,
  ];
  if (r.firstProblem) lines.push(`first to fix: ${itemId(r.firstProblem)}: ${r.firstProblem.detail}`);
  return `${lines.join('\n')}\n`;
}

const jsonItem = (i: CheckItem): CheckJsonItem => ({ status: i.verdict, object: itemId(i), detail: i.detail });

/**
 * The report as `-o json` has it (schemas/control-plane-check.schema.json):
 * the one envelope (schemaVersion, kind, verdict, counts, items), then the
 * server, healthy and the first problem; an item is {status, object, detail}.
 */
export function checkJson(r: CheckReport): {
  schemaVersion: 1;
  kind: 'ControlPlaneCheck';
  verdict: CheckVerdict;
  counts: Record<Status, number>;
  items: CheckJsonItem[];
  server: string;
  healthy: boolean;
  firstProblem: CheckJsonItem | undefined;
} {
  return {
    schemaVersion: 1,
    kind: 'ControlPlaneCheck',
    verdict: r.verdict,
    counts: r.counts,
    items: r.items.map(jsonItem),
    server: r.server,
    healthy: r.healthy,
    firstProblem: r.firstProblem && jsonItem(r.firstProblem),
  };
}
