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
import type { KObject } from '../kube/client.ts';
import { KLUTCH_GROUP } from '../render/crds.ts';
import { liveObjects } from './apply.ts';
import { packageRepository, PAGE } from './catalog.ts';
import { conditionsOf, isEstablished, type Reader } from './cluster.ts';
import { COOKIE_SECRET } from './keys.ts';
import { BACKEND_NAME, BACKEND_NAMESPACE, CA_SECRET, objectId, PROVIDER_ANYNINES, TEMPLATE_API_VERSION, type K8sObject } from './render.ts';
import { renderControlPlane } from './render.ts';
import type { Settings } from './values.ts';

export type Status = 'ok' | 'missing' | 'invalid' | 'not-ready' | 'cannot-see';
export const STATUSES: readonly Status[] = ['ok', 'missing', 'invalid', 'not-ready', 'cannot-see'];

export interface CheckItem {
  status: Status;
  /** Kind and name, e.g. "Deployment bind/anynines-backend". */
  object: string;
  detail: string;
}

export interface CheckReport {
  server: string;
  healthy: boolean;
  counts: Record<Status, number>;
  /** The root cause to fix first: the first missing or invalid item, else the first not-ready one. */
  firstProblem: CheckItem | undefined;
  items: CheckItem[];
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
  reader: Reader;
  s: Settings;
  add: Add;
  /** '' when Crossplane is usable, else why not (for the details of what waits for it). */
  crossplaneWhy: string;
  certManagerWhy: string;
  noPods: string;
  live: Map<K8sObject, KObject | undefined>;
  rendered: K8sObject[];
}

const decode = (o: KObject | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries((o?.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const readyOf = (d: KObject) => {
  const st = (d.status ?? {}) as { readyReplicas?: number; observedGeneration?: number };
  return { ready: st.readyReplicas ?? 0, want: (d.spec as { replicas?: number } | undefined)?.replicas ?? 1, processed: st.observedGeneration !== undefined };
};

function versionOf(image: string): number[] | undefined {
  const m = /:v?(\d+)\.(\d+)\.(\d+)/.exec(image);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
const older = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  return false;
};

/** Whether a kubelet can run pods: an item, and the note for everything that waits for a pod. */
async function nodes(r: Reader): Promise<{ item: CheckItem | undefined; noPods: string }> {
  try {
    const list = await r.list('v1', 'Node');
    const ready = list.filter((n) => conditionsOf(n).some((x) => x.type === 'Ready' && x.status === 'True')).length;
    if (ready) return { item: { status: 'ok', object: 'Nodes', detail: `${ready} Ready` }, noPods: '' };
    return {
      item: { status: 'not-ready', object: 'Nodes', detail: `${list.length ? `${list.length} node(s), none Ready` : 'no nodes'}: no kubelet runs pods here, so the backend, Crossplane and the providers cannot run` },
      noPods: '; the cluster has no Ready node (no kubelet) to run it',
    };
  } catch {
    // Listing nodes is not needed for anything else; a restricted kubeconfig may not.
    return { item: undefined, noPods: '' };
  }
}

async function findDeployment(r: Reader, namespace: string, name: string, selector: string): Promise<KObject | undefined> {
  return (await r.get('apps/v1', 'Deployment', name, namespace)) ?? (await r.list('apps/v1', 'Deployment', undefined, selector))[0];
}

async function crossplane(c: Ctx): Promise<void> {
  const ns = c.s.crossplane.namespace;
  const crds = ['providers', 'configurations', 'functions', 'deploymentruntimeconfigs'].map((p) => `${p}.pkg.crossplane.io`);
  const absent: string[] = [];
  for (const name of crds) if (!isEstablished(await c.reader.crd(name))) absent.push(name);
  const dep = await findDeployment(c.reader, ns, 'crossplane', 'app=crossplane');
  const install = `install Crossplane >= v${MIN_CROSSPLANE.join('.')} with helm, --set args='{"${PAGE.crossplaneFlag}"}'`;
  if (!dep && absent.length === crds.length) {
    c.add('missing', 'Crossplane', `not installed: no Deployment ${ns}/crossplane and no pkg.crossplane.io CRDs (${install})`);
    c.crossplaneWhy = 'Crossplane is not installed';
    return;
  }
  if (absent.length) {
    c.add('missing', 'Crossplane', `CustomResourceDefinition ${absent.join(', ')} not installed (Crossplane older than v${MIN_CROSSPLANE.join('.')}?)`);
    c.crossplaneWhy = 'Crossplane lacks its package CRDs';
  } else c.add('ok', 'Crossplane', 'package CRDs installed');
  if (!dep) {
    c.add('missing', `Deployment ${ns}/crossplane`, `not found: the package CRDs are installed, but no Crossplane Deployment is (looked for ${ns}/crossplane and app=crossplane)`);
    c.crossplaneWhy ||= 'Crossplane is not running';
    return;
  }
  const obj = `Deployment ${dep.metadata?.namespace}/${dep.metadata?.name}`;
  const containers = ((dep.spec as { template?: { spec?: { containers?: Array<{ image?: string; args?: string[] }> } } } | undefined)?.template?.spec?.containers) ?? [];
  const args = containers.flatMap((x) => x.args ?? []);
  const flag = args.some((a) => a === PAGE.crossplaneFlag || a === `${PAGE.crossplaneFlag}=true`);
  const image = containers[0]?.image ?? '';
  const version = versionOf(image);
  const st = readyOf(dep);
  if (!flag) {
    c.add('invalid', obj, `runs without ${PAGE.crossplaneFlag}: the setup page installs Crossplane with --set args='{"${PAGE.crossplaneFlag}"}', which claims applied by konnectors need (helm upgrade crossplane ... --set args='{"${PAGE.crossplaneFlag}"}')`);
    c.crossplaneWhy ||= `Crossplane runs without ${PAGE.crossplaneFlag}`;
  } else if (version && older(version, MIN_CROSSPLANE)) {
    c.add('invalid', obj, `${image} is Crossplane v${version.join('.')}; the data-services configuration package requires >= v${MIN_CROSSPLANE.join('.')}`);
    c.crossplaneWhy ||= `Crossplane is older than v${MIN_CROSSPLANE.join('.')}`;
  } else if (st.ready >= 1) c.add('ok', obj, `${st.ready}/${st.want} ready, ${PAGE.crossplaneFlag} set`);
  else {
    c.add('not-ready', obj, `${PAGE.crossplaneFlag} set; 0/${st.want} replicas ready${c.noPods}`);
    c.crossplaneWhy ||= `Crossplane is not running (0/${st.want} replicas ready${c.noPods})`;
  }
}

async function certManager(c: Ctx): Promise<void> {
  const crds = ['issuers', 'clusterissuers', 'certificates'].map((p) => `${p}.cert-manager.io`);
  const absent: string[] = [];
  for (const name of crds) if (!isEstablished(await c.reader.crd(name))) absent.push(name);
  const dep = await findDeployment(c.reader, 'cert-manager', 'cert-manager', 'app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller');
  if (!dep && absent.length === crds.length) {
    c.add('missing', 'cert-manager', 'not installed: no cert-manager CRDs and no Deployment cert-manager/cert-manager (the backend\'s certificate comes from it)');
    c.certManagerWhy = 'cert-manager is not installed';
    return;
  }
  if (absent.length) {
    c.add('missing', 'cert-manager', `CustomResourceDefinition ${absent.join(', ')} not installed`);
    c.certManagerWhy = 'cert-manager lacks its CRDs';
  } else c.add('ok', 'cert-manager', 'CRDs installed');
  if (!dep) {
    c.add('missing', 'Deployment cert-manager/cert-manager', 'not found: the CRDs are installed, but no cert-manager controller Deployment is');
    c.certManagerWhy ||= 'cert-manager is not running';
    return;
  }
  const st = readyOf(dep);
  const obj = `Deployment ${dep.metadata?.namespace}/${dep.metadata?.name}`;
  if (st.ready >= 1) c.add('ok', obj, `${st.ready}/${st.want} ready`);
  else {
    c.add('not-ready', obj, `0/${st.want} replicas ready${c.noPods}`);
    c.certManagerWhy ||= 'cert-manager is not running';
  }
}

async function ingressClass(c: Ctx): Promise<void> {
  const name = c.s.tls.ingressClass;
  const ic = await c.reader.get('networking.k8s.io/v1', 'IngressClass', name);
  if (ic) c.add('ok', `IngressClass ${name}`, `controller ${(ic.spec as { controller?: string } | undefined)?.controller ?? '?'}`);
  else c.add('missing', `IngressClass ${name}`, `no such IngressClass: no ingress controller serves class ${name} (install one, e.g. ingress-nginx, or set /tls/ingressClass)`);
}

/** Installed and Healthy, for Crossplane packages. */
function packageHealth(o: KObject, c: Ctx): [Status, string] {
  const conds = conditionsOf(o);
  const healthy = conds.find((x) => x.type === 'Healthy');
  const installed = conds.find((x) => x.type === 'Installed');
  if (healthy?.status === 'True' && installed?.status !== 'False') return ['ok', 'Installed and Healthy'];
  if (!conds.length) return ['not-ready', `no status: Crossplane has not processed it${c.crossplaneWhy ? ` (${c.crossplaneWhy})` : ' (is Crossplane running?)'}${c.noPods}`];
  return ['not-ready', conds.filter((x) => x.type === 'Healthy' || x.type === 'Installed').map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason})` : ''}`).join(', ') || 'not Healthy'];
}

type Probe = (o: K8sObject, live: KObject | undefined, c: Ctx) => Promise<[Status, string, string?]> | [Status, string, string?];

const exists: Probe = (_o, live) => (live ? ['ok', 'exists'] : ['missing', 'not installed']);

const PROBES: Record<string, Probe> = {
  CustomResourceDefinition: (_o, live) => (!live ? ['missing', 'not installed'] : isEstablished(live) ? ['ok', 'Established'] : ['not-ready', 'not Established']),
  Namespace: exists,
  ServiceAccount: exists,
  DeploymentRuntimeConfig: async (o, live, c) => (live ? ['ok', 'exists'] : ['missing', (await served(o, c)) ? 'not installed' : `cannot be installed: ${c.crossplaneWhy || 'its CRD is not installed'}`]),
  Provider: (o, live, c) => pkg(o, live, c),
  Function: (o, live, c) => pkg(o, live, c),
  Configuration: (o, live, c) => pkg(o, live, c),
  ClusterRoleBinding: (o, live) => {
    if (!live) return ['missing', 'not installed'];
    const want = (o.roleRef as { name: string }).name;
    const got = (live.roleRef as { name?: string } | undefined)?.name;
    return got === want ? ['ok', `binds ${got}`] : ['invalid', `binds ${got}, not ${want}`];
  },
  ClusterRole: (o, live) => {
    if (!live) return ['missing', 'not installed'];
    const rules = ((live as { rules?: Array<{ apiGroups?: string[]; resources?: string[]; verbs?: string[] }> }).rules) ?? [];
    const wanted = (o as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }).rules;
    const lacking = wanted.filter((w) => !w.resources.every((res) => w.verbs.every((v) => rules.some((r) =>
      w.apiGroups.every((g) => r.apiGroups?.includes(g) || r.apiGroups?.includes('*')) && (r.resources?.includes(res) || r.resources?.includes('*')) && (r.verbs?.includes(v) || r.verbs?.includes('*'))))));
    if (!lacking.length) return ['ok', `grants what the backend binds (${KLUTCH_GROUP})`];
    const klutch = lacking.some((w) => w.apiGroups.includes(KLUTCH_GROUP));
    const groups = [...new Set(rules.flatMap((r) => r.apiGroups ?? []).filter((g) => g))];
    return ['invalid', `lacks ${lacking.map((w) => `${w.resources.join(',')} (${w.apiGroups[0] || 'core'})`).join('; ')}${klutch && groups.length ? `: its rules name ${groups.join(', ')} (the setup page's kube-bind.io), not ${KLUTCH_GROUP}, the group of the CRDs installed here` : ''}`];
  },
  Secret: (o, live, c) => secretProbe(o, live, c),
  ProviderConfig: (o, live, c) => providerConfig(o, live, c),
  APIServiceExportTemplate: (o, _live, c) => template(o, c),
  Deployment: (_o, live, c) => {
    if (!live) return ['missing', 'not installed'];
    const st = readyOf(live);
    if (st.ready >= 1) return ['ok', `${st.ready}/${st.want} replicas ready`];
    if (!st.processed) return ['not-ready', `0/${st.want} replicas ready: no deployment controller has processed it (is kube-controller-manager running?)${c.noPods}`];
    return ['not-ready', `0/${st.want} replicas ready${c.noPods || ` (kubectl -n ${live.metadata?.namespace} describe pods -l app=${BACKEND_NAME})`}`];
  },
  Service: async (o, live, c) => {
    if (!live) return ['missing', 'not installed'];
    const ns = o.metadata.namespace!;
    const slices = await c.reader.list('discovery.k8s.io/v1', 'EndpointSlice', ns, `kubernetes.io/service-name=${o.metadata.name}`);
    const ready = slices.flatMap((s) => ((s as { endpoints?: Array<{ conditions?: { ready?: boolean } }> }).endpoints ?? [])).filter((e) => e.conditions?.ready !== false).length;
    if (!ready) return ['not-ready', `no ready endpoints: no backend pod answers${c.noPods}`];
    const type = (live.spec as { type?: string } | undefined)?.type;
    const lb = ((live.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)?.loadBalancer?.ingress) ?? [];
    if (type === 'LoadBalancer' && !lb.length) return ['not-ready', `${ready} ready endpoint(s), but no external address: no load-balancer controller has given this LoadBalancer one`];
    return ['ok', `${ready} ready endpoint(s)${lb.length ? `, external address ${lb.map((l) => l.hostname ?? l.ip).join(', ')}` : ''}`];
  },
  Issuer: (_o, live, c) => {
    if (!live) return ['missing', c.certManagerWhy ? `cannot be installed: ${c.certManagerWhy}` : 'not installed'];
    const ready = conditionsOf(live).find((x) => x.type === 'Ready');
    if (ready?.status === 'True') return ['ok', 'Ready'];
    return ['not-ready', ready ? `Ready=${ready.status}${ready.message ? `: ${ready.message}` : ''}` : `no status: cert-manager has not processed it (${c.certManagerWhy || 'is cert-manager running?'})`];
  },
  Ingress: (o, live, c) => ingress(o, live, c),
};

/** Whether the cluster serves the kind of a Crossplane package object (its pkg.crossplane.io CRD is Established). */
async function served(o: K8sObject, c: Ctx): Promise<boolean> {
  const plural = o.kind === 'DeploymentRuntimeConfig' ? 'deploymentruntimeconfigs' : `${o.kind.toLowerCase()}s`;
  return isEstablished(await c.reader.crd(`${plural}.pkg.crossplane.io`));
}

async function pkg(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<[Status, string, string?]> {
  if (live) return packageHealth(live, c);
  if (!(await served(o, c))) return ['missing', `cannot be installed: ${c.crossplaneWhy || 'its CRD is not installed'}`];
  // The page's names: the same package installed under another name (crossplane xpkg install, the release bundle).
  const repo = packageRepository((o.spec as { package?: string }).package ?? '');
  const same = (await c.reader.list(o.apiVersion, o.kind)).find((x) => packageRepository((x.spec as { package?: string } | undefined)?.package ?? '') === repo);
  if (same) {
    const [status, detail] = packageHealth(same, c);
    return [status, `${detail} (installed as ${same.metadata?.name}; apply keeps that name)`, `${o.kind} ${same.metadata?.name}`];
  }
  return ['missing', o.kind === 'Function' ? 'not installed: every a9s composition calls it, and the configuration package does not declare it' : 'not installed'];
}

async function secretProbe(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<[Status, string, string?]> {
  const keys = Object.keys((o.data as Record<string, string> | undefined) ?? {});
  let found = live;
  let as: string | undefined;
  if (!found) {
    // A ProviderConfig in the cluster may name its credentials differently (the release bundle's -credentials).
    const pc = c.rendered.find((p) => p.kind === 'ProviderConfig' && JSON.stringify(p.spec).includes(`"name":"${o.metadata.name}"`));
    const livePc = pc ? c.live.get(pc) : undefined;
    const ref = (livePc?.spec as { providerCredentials?: { password?: { secretRef?: { name?: string; namespace?: string } } } } | undefined)?.providerCredentials?.password?.secretRef;
    if (ref?.name && ref.name !== o.metadata.name) {
      found = await c.reader.get('v1', 'Secret', ref.name, ref.namespace ?? o.metadata.namespace);
      if (found) as = `Secret ${ref.namespace ?? o.metadata.namespace}/${ref.name}`;
    }
  }
  if (!found) return ['missing', 'not installed'];
  const d = decode(found);
  const absent = keys.filter((k) => !d[k]);
  const named = as ? ` (the ProviderConfig uses ${as}; apply points it at ${o.metadata.name})` : '';
  if (absent.length) return ['invalid', `lacks ${absent.join(', ')}${named}`, as];
  if (o.metadata.name === CA_SECRET) {
    const pem = d.ca ?? '';
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      return ['invalid', Buffer.from(pem, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----')
        ? 'ca holds base64 text of the PEM, not PEM: the mounted --external-ca-file is unreadable and App Clusters get a broken CA (put the PEM under data, base64-encoded once)'
        : 'ca holds no PEM certificate'];
    }
    try {
      new X509Certificate(pem);
    } catch (err) {
      return ['invalid', `ca cannot be parsed: ${(err as Error).message}`];
    }
    return ['ok', 'ca is a PEM certificate'];
  }
  if (o.metadata.name === COOKIE_SECRET) {
    const bad = ['signing-key', 'encryption-key'].filter((k) => ![16, 24, 32].includes(Buffer.from(d[k] ?? '', 'base64').length));
    if (bad.length) return ['invalid', `${bad.join(', ')} not base64 of 16, 24 or 32 bytes`];
  }
  if (d['oidc-issuer-url']) return ['ok', `issuer ${d['oidc-issuer-url']}, client ${d['oidc-issuer-client-id']}, callback ${d['oidc-callback-url']}`];
  return ['ok', `${keys.join(' and ')} set${named}`, as];
}

async function providerConfig(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<[Status, string]> {
  const crd = 'providerconfigs.dataservices.anynines.com';
  if (!isEstablished(await c.reader.crd(crd))) {
    const provider = c.rendered.find((p) => p.kind === 'Provider' && p.metadata.name === PROVIDER_ANYNINES);
    const pLive = provider ? c.live.get(provider) : undefined;
    const why = c.crossplaneWhy || (pLive ? `provider-anynines is not Healthy yet (${packageHealth(pLive, c)[1]})` : 'provider-anynines is not installed');
    return ['not-ready', `its CRD ${crd} comes with provider-anynines, which cannot install it yet: ${why}`];
  }
  if (!live) return ['missing', 'not installed'];
  const health = (live.status as { health?: { lastStatus?: unknown; lastMessage?: unknown } } | undefined)?.health;
  if (health?.lastStatus === true) return ['ok', 'healthy'];
  if (health?.lastStatus === false) return ['not-ready', `unhealthy${typeof health.lastMessage === 'string' ? `: ${health.lastMessage}` : ''} (check ${(live.spec as { url?: string } | undefined)?.url ?? 'its url'} and the credentials)`];
  return ['not-ready', `no health status: provider-anynines has not checked it (${c.crossplaneWhy || 'is it running?'})${c.noPods}`];
}

async function template(o: K8sObject, c: Ctx): Promise<[Status, string, string?]> {
  const resource = (o.spec as { APIServiceSelector: { resource: string } }).APIServiceSelector.resource;
  const crd = await c.reader.crd(`apiserviceexporttemplates.${TEMPLATE_API_VERSION.split('/')[0]}`);
  if (!isEstablished(crd)) return ['missing', `CustomResourceDefinition apiserviceexporttemplates.${TEMPLATE_API_VERSION.split('/')[0]} is not installed`];
  // Found by what it exports, whatever its name (the release bundle names them postgresqls, mariadbs, ...).
  const all = await c.reader.list(TEMPLATE_API_VERSION, 'APIServiceExportTemplate', o.metadata.namespace);
  const t = all.find((x) => (x.spec as { APIServiceSelector?: { resource?: unknown } } | undefined)?.APIServiceSelector?.resource === resource);
  if (!t) return ['missing', `no template exports ${resource}.anynines.com`];
  const as = t.metadata?.name !== o.metadata.name ? `APIServiceExportTemplate ${o.metadata.namespace}/${t.metadata?.name}` : undefined;
  const claim = await c.reader.crd(`${resource}.anynines.com`);
  if (isEstablished(claim)) return ['ok', `exports ${resource}.anynines.com`, as];
  return ['not-ready', `CustomResourceDefinition ${resource}.anynines.com is not served: the data-services Configuration installs it once Crossplane runs${c.crossplaneWhy ? ` (${c.crossplaneWhy})` : ''}; export requests for it fail until then`, as];
}

async function ingress(o: K8sObject, live: KObject | undefined, c: Ctx): Promise<[Status, string]> {
  if (!live) return ['missing', 'not installed'];
  const ns = o.metadata.namespace!;
  const ann = (live.metadata?.annotations ?? {}) as Record<string, string>;
  const named = ann['cert-manager.io/issuer'] ? { kind: 'Issuer', name: ann['cert-manager.io/issuer'] } : ann['cert-manager.io/cluster-issuer'] ? { kind: 'ClusterIssuer', name: ann['cert-manager.io/cluster-issuer'] } : undefined;
  const wantAnn = (o.metadata.annotations ?? {}) as Record<string, string>;
  const want = wantAnn['cert-manager.io/issuer'] ? { kind: 'Issuer', name: wantAnn['cert-manager.io/issuer'] } : { kind: 'ClusterIssuer', name: wantAnn['cert-manager.io/cluster-issuer'] ?? '' };
  if (!named) return ['invalid', 'no cert-manager.io/issuer or cert-manager.io/cluster-issuer annotation: no certificate is issued for it'];
  if (isEstablished(await c.reader.crd(named.kind === 'Issuer' ? 'issuers.cert-manager.io' : 'clusterissuers.cert-manager.io'))) {
    const issuer = await c.reader.get('cert-manager.io/v1', named.kind, named.name, named.kind === 'Issuer' ? ns : undefined);
    if (!issuer) return ['invalid', `its annotation names ${named.kind} ${named.kind === 'Issuer' ? `${ns}/` : ''}${named.name}, which does not exist: no certificate is issued (the setup page's letsencrypt-prod/letsencrypt mismatch${named.name !== want.name ? `; apply sets ${want.name}` : ''})`];
  }
  if (named.kind !== want.kind || named.name !== want.name) return ['invalid', `annotation names ${named.kind} ${named.name}, the values name ${want.kind} ${want.name}`];
  const spec = (live.spec ?? {}) as { tls?: Array<{ secretName?: string; hosts?: string[] }>; ingressClassName?: string };
  const tlsSecret = spec.tls?.[0]?.secretName;
  const host = spec.tls?.[0]?.hosts?.[0] ?? '?';
  if (!tlsSecret) return ['invalid', 'no spec.tls: the backend is not served over HTTPS'];
  const lb = ((live.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)?.loadBalancer?.ingress) ?? [];
  if (!lb.length) return ['not-ready', `no address: no ingress controller has admitted it (class ${spec.ingressClassName ?? 'unset'})`];
  if (!(await c.reader.get('v1', 'Secret', tlsSecret, ns))) {
    return ['not-ready', `served at ${lb.map((l) => l.hostname ?? l.ip).join(', ')}, but no certificate for ${host} yet in Secret ${tlsSecret} (cert-manager issues it once the issuer is Ready and ${host} resolves to the ingress controller)${c.certManagerWhy ? ` (${c.certManagerWhy})` : ''}`];
  }
  return ['ok', `served at ${lb.map((l) => l.hostname ?? l.ip).join(', ')} for ${host}, certificate in Secret ${tlsSecret}`];
}

/** The certificate cert-manager writes is not rendered, so it is its own item. */
async function tlsCertificate(c: Ctx): Promise<void> {
  const ns = BACKEND_NAMESPACE;
  const name = c.s.tls.secretName;
  if (await c.reader.get('v1', 'Secret', name, ns)) c.add('ok', `Secret ${ns}/${name}`, `certificate for ${c.s.backend.host} issued`);
  else c.add('not-ready', `Secret ${ns}/${name}`, `no certificate for ${c.s.backend.host} yet (cert-manager issues it once the issuer is Ready and ${c.s.backend.host} resolves to the ingress controller)${c.certManagerWhy ? `: ${c.certManagerWhy}` : ''}`);
}

/** Whether anything binds today: the backend's APIServiceExports, and templates under the open-source backend's group. */
async function bindings(c: Ctx): Promise<void> {
  if (isEstablished(await c.reader.crd(`apiserviceexports.${KLUTCH_GROUP}`))) {
    const exports = await c.reader.list(`${KLUTCH_GROUP}/v1alpha1`, 'APIServiceExport');
    const namespaces = new Set(exports.map((e) => e.metadata?.namespace));
    c.add('ok', 'Bindings', `${exports.length} APIServiceExport(s) in ${namespaces.size} cluster namespace(s)`);
  }
  const oss = 'apiserviceexporttemplates.example-backend.klutch.anynines.com';
  if (isEstablished(await c.reader.crd(oss))) {
    const n = (await c.reader.list('example-backend.klutch.anynines.com/v1alpha1', 'APIServiceExportTemplate')).length;
    if (n) c.add('invalid', `CustomResourceDefinition ${oss}`, `${n} export template(s) under example-backend.klutch.anynines.com, the open-source example-backend's group: the anynines backend reads ${TEMPLATE_API_VERSION.split('/')[0]}, so those do not export anything`);
  }
}

/**
 * What render produces for these settings, with stand-ins for the secrets
 * (check looks at which Secrets and keys exist, never at their values).
 */
export function expectedObjects(settings: Settings, server: string): K8sObject[] {
  const stand = { username: 'x', password: 'x' };
  return renderControlPlane({
    settings,
    secrets: { oidcClientSecret: 'x', endpoints: Object.fromEntries(settings.dataServices.map((d) => [d.name, { serviceBroker: stand, backupManager: stand }])) },
    externalAddress: settings.backend.externalAddress ?? server,
    caPem: '',
    cookieKeys: { signingKey: '', encryptionKey: '' },
  });
}

export async function checkControlPlane(reader: Reader, server: string, input: CheckInput): Promise<CheckReport> {
  const items: CheckItem[] = [];
  const add: Add = (status, object, detail) => items.push({ status, object, detail });
  const c: Ctx = { reader, s: input.settings, add, crossplaneWhy: '', certManagerWhy: '', noPods: '', live: new Map(), rendered: input.objects };

  // Root causes first: what everything else waits for (the nodes listed after the installs they run).
  const n = await nodes(reader);
  c.noPods = n.noPods;
  await crossplane(c);
  await certManager(c);
  await ingressClass(c);
  if (n.item) items.push(n.item);

  c.live = await liveObjects(reader, input.objects);
  for (const o of input.objects) {
    const probe = PROBES[o.kind] ?? exists;
    const [status, detail, as] = await probe(o, c.live.get(o), c);
    add(status, as ?? objectId(o), detail);
    if (o.kind === 'Ingress') await tlsCertificate(c);
  }
  if (!input.settings.dataServices.length) add('missing', 'Data services', 'no data-service ProviderConfig (<data-service>-service-broker and -backup-manager) found or named in the values: App Clusters can bind only servicebindings, backups and restores, which need an instance');
  await bindings(c);

  // What the cluster cannot show.
  const ingLive = [...c.live.entries()].find(([o]) => o.kind === 'Ingress')?.[1];
  const lb = ((ingLive?.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)?.loadBalancer?.ingress) ?? [];
  const host = input.settings.backend.host;
  add('cannot-see', `DNS ${host}`, `cannot see from the cluster whether ${host} resolves to the ingress controller${lb.length ? ` (${lb.map((l) => l.hostname ?? l.ip).join(', ')})` : ' (which has no address yet)'}; check with: dig ${host}`);
  const o = input.settings.oidc;
  add('cannot-see', `OIDC client ${o.clientId}`, `cannot see the identity provider from the cluster: ${o.issuerUrl} needs a client ${o.clientId} whose secret is in oidc-config, the redirect URI ${o.callbackUrl}, the client-credentials grant (for helper bootstrap-env) and an audience mapper that puts ${o.clientId} into the tokens`);

  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const i of items) counts[i.status]++;
  const firstProblem = items.find((i) => i.status === 'missing' || i.status === 'invalid') ?? items.find((i) => i.status === 'not-ready');
  return { server, healthy: counts.missing + counts.invalid + counts['not-ready'] === 0, counts, firstProblem, items };
}

/** The report as aligned text lines. */
export function formatReport(r: CheckReport): string {
  const width = Math.max(...r.items.map((i) => i.object.length), 6);
  const lines = r.items.map((i) => `${i.status.padEnd(10)}  ${i.object.padEnd(width)}  ${i.detail}`);
  const c = r.counts;
  lines.push('', `${r.server}: ${c.ok} ok, ${c.missing} missing, ${c.invalid} invalid, ${c['not-ready']} not ready, ${c['cannot-see']} cannot see`);
  if (r.firstProblem) lines.push(`first to fix: ${r.firstProblem.object}: ${r.firstProblem.detail}`);
  return `${'STATUS'.padEnd(10)}  ${'OBJECT'.padEnd(width)}  DETAIL\n${lines.join('\n')}\n`;
}
