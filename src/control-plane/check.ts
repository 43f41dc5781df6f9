/**
 * `control-plane check`: what is installed on a Control Plane Cluster and
 * whether it works. Every item gets one status:
 *  - ok;
 *  - missing: something apply installs (or a prerequisite) is absent;
 *  - invalid: present but wrong in a way that breaks binding (a k8sca that
 *    holds base64 text instead of PEM, pitfall 6; an Ingress annotation
 *    naming an issuer that does not exist, pitfall 10; a binder role for
 *    another API group);
 *  - not-ready: present, waiting for something that runs (Crossplane,
 *    provider-anynines, cert-manager, an ingress controller, a kubelet);
 *    the detail names what.
 * With values (-f) the expected data services and issuer are known;
 * without, they are discovered from ProviderConfigs and export templates.
 */
import { X509Certificate } from 'node:crypto';
import type { KObject } from '../kube/client.ts';
import { KLUTCH_GROUP } from '../render/crds.ts';
import { conditionsOf, isEstablished, type Reader } from './cluster.ts';
import { COOKIE_SECRET } from './keys.ts';
import { BACKEND_NAME, BACKEND_NAMESPACE, CA_SECRET, COMMON_TEMPLATES, credentialsSecretName, OIDC_SECRET, TEMPLATE_API_VERSION, TEMPLATE_GROUP } from './render.ts';
import { DATA_SERVICE_NAMES, DATA_SERVICES, DEFAULTS, type DataServiceName, type IssuerSettings } from './values.ts';

export type Status = 'ok' | 'missing' | 'invalid' | 'not-ready';

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
  items: CheckItem[];
}

export interface Expectations {
  crossplaneNamespace: string;
  binderClusterRole: string;
  /** undefined: discover. */
  dataServices: DataServiceName[] | undefined;
  /** undefined: whatever the Ingress annotation names. */
  issuer: IssuerSettings | undefined;
}

export const defaultExpectations = (): Expectations => ({
  crossplaneNamespace: DEFAULTS.crossplaneNamespace,
  binderClusterRole: DEFAULTS.binderClusterRole,
  dataServices: undefined,
  issuer: undefined,
});

const PACKAGES = [
  { kind: 'Provider', name: 'provider-anynines' },
  { kind: 'Provider', name: 'provider-kubernetes' },
  { kind: 'Configuration', name: 'anynines-dataservices' },
] as const;

export async function checkControlPlane(reader: Reader, server: string, exp: Expectations): Promise<CheckReport> {
  const items: CheckItem[] = [];
  const add = (status: Status, object: string, detail: string) => items.push({ status, object, detail });
  const ns = BACKEND_NAMESPACE;

  // Nodes: without one, no pod runs, whatever else is right.
  let readyNodes: number | undefined;
  try {
    const nodes = await reader.list('v1', 'Node');
    readyNodes = nodes.filter((n) => conditionsOf(n).some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (readyNodes) add('ok', 'Nodes', `${readyNodes} Ready`);
    else add('not-ready', 'Nodes', `${nodes.length ? `${nodes.length} node(s), none Ready` : 'no nodes'}: no kubelet runs pods here, so the backend, Crossplane and the providers cannot run`);
  } catch {
    // Listing nodes is not needed for anything else; a restricted kubeconfig may not.
  }
  const noPods = readyNodes === 0 ? '; the cluster has no Ready node (no kubelet) to run it' : '';

  // CRDs this setup installs.
  const ownCrds = ['apiservicebindings', 'apiserviceexportrequests', 'apiserviceexports', 'apiservicenamespaces', 'clusterbindings'].map((p) => `${p}.${KLUTCH_GROUP}`);
  ownCrds.push(`apiserviceexporttemplates.${TEMPLATE_GROUP}`);
  let templateCrd = false;
  for (const name of ownCrds) {
    const crd = await reader.crd(name);
    if (!crd) add('missing', `CustomResourceDefinition ${name}`, 'not installed');
    else if (!isEstablished(crd)) add('not-ready', `CustomResourceDefinition ${name}`, 'not Established');
    else add('ok', `CustomResourceDefinition ${name}`, 'Established');
    if (name.startsWith('apiserviceexporttemplates.')) templateCrd = isEstablished(crd);
  }

  // Crossplane and its packages.
  const crossplaneCrds: string[] = [];
  for (const name of ['providers.pkg.crossplane.io', 'configurations.pkg.crossplane.io', 'deploymentruntimeconfigs.pkg.crossplane.io']) {
    if (!(await reader.crd(name))) crossplaneCrds.push(name);
  }
  if (crossplaneCrds.length) add('missing', 'Crossplane', `not installed: no CustomResourceDefinition ${crossplaneCrds.join(', ')}`);
  else add('ok', 'Crossplane', 'package CRDs installed');
  if (await reader.get('v1', 'Namespace', exp.crossplaneNamespace)) add('ok', `Namespace ${exp.crossplaneNamespace}`, 'exists');
  else add('missing', `Namespace ${exp.crossplaneNamespace}`, 'Crossplane\'s namespace does not exist');
  if (!crossplaneCrds.length) {
    for (const p of PACKAGES) {
      const o = await reader.get('pkg.crossplane.io/v1', p.kind, p.name);
      const obj = `${p.kind} ${p.name}`;
      if (!o) {
        add('missing', obj, 'not installed');
        continue;
      }
      const conds = conditionsOf(o);
      const healthy = conds.find((c) => c.type === 'Healthy');
      const installed = conds.find((c) => c.type === 'Installed');
      if (healthy?.status === 'True' && installed?.status !== 'False') add('ok', obj, 'Installed and Healthy');
      else if (!conds.length) add('not-ready', obj, `no status: Crossplane has not processed it (is Crossplane running?)${noPods}`);
      else add('not-ready', obj, conds.filter((c) => c.type === 'Healthy' || c.type === 'Installed').map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`).join(', ') || 'not Healthy');
    }
    for (const name of ['provider-anynines', 'provider-kubernetes']) {
      if (await reader.get('pkg.crossplane.io/v1beta1', 'DeploymentRuntimeConfig', name)) add('ok', `DeploymentRuntimeConfig ${name}`, 'exists');
      else add('missing', `DeploymentRuntimeConfig ${name}`, 'not installed');
    }
  }
  const pkBinding = await reader.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'provider-kubernetes-admin-binding');
  add(pkBinding ? 'ok' : 'missing', 'ClusterRoleBinding provider-kubernetes-admin-binding', pkBinding ? 'exists' : 'not installed');

  // Export templates (needed to know the data services when no values are given).
  const templates = templateCrd ? await reader.list(TEMPLATE_API_VERSION, 'APIServiceExportTemplate', exp.crossplaneNamespace) : [];
  const resourceOf = (t: KObject) => ((t.spec as { APIServiceSelector?: { resource?: unknown } } | undefined)?.APIServiceSelector?.resource);

  // ProviderConfigs.
  const kpCrd = await reader.crd('providerconfigs.kubernetes.crossplane.io');
  if (!isEstablished(kpCrd)) add('not-ready', 'ProviderConfig kubernetes-provider', `its CRD providerconfigs.kubernetes.crossplane.io is not installed yet: provider-kubernetes is not running${noPods}`);
  else {
    const pc = await reader.get('kubernetes.crossplane.io/v1alpha1', 'ProviderConfig', 'kubernetes-provider');
    add(pc ? 'ok' : 'missing', 'ProviderConfig kubernetes-provider', pc ? 'exists' : 'not installed');
  }
  const dsCrd = isEstablished(await reader.crd('providerconfigs.dataservices.anynines.com'));
  const foundConfigs = dsCrd ? await reader.list('dataservices.anynines.com/v1', 'ProviderConfig') : [];
  let services = exp.dataServices;
  if (!services) {
    const names = new Set<DataServiceName>();
    for (const pc of foundConfigs) {
      const m = /^(.+)-(service-broker|backup-manager)$/.exec(pc.metadata?.name ?? '');
      if (m && (DATA_SERVICE_NAMES as string[]).includes(m[1]!)) names.add(m[1] as DataServiceName);
    }
    for (const t of templates) for (const n of DATA_SERVICE_NAMES) if (DATA_SERVICES[n].resource === resourceOf(t)) names.add(n);
    services = DATA_SERVICE_NAMES.filter((n) => names.has(n));
    if (!services.length) add('missing', 'Data services', 'no data-service ProviderConfig and no instance export template found: nothing can be bound');
  }
  for (const ds of services) {
    for (const endpoint of ['service-broker', 'backup-manager'] as const) {
      const name = `${ds}-${endpoint}`;
      const obj = `ProviderConfig ${name}`;
      const secretName = credentialsSecretName(ds, endpoint);
      const sec = await reader.get('v1', 'Secret', secretName, exp.crossplaneNamespace);
      const keys = Object.keys((sec?.data as Record<string, unknown> | undefined) ?? {});
      if (!sec) add('missing', `Secret ${exp.crossplaneNamespace}/${secretName}`, 'not installed');
      else if (!keys.includes('username') || !keys.includes('password')) add('invalid', `Secret ${exp.crossplaneNamespace}/${secretName}`, 'lacks username or password');
      else add('ok', `Secret ${exp.crossplaneNamespace}/${secretName}`, 'username and password set');
      if (!dsCrd) {
        add('not-ready', obj, `its CRD providerconfigs.dataservices.anynines.com is not installed yet: provider-anynines is not running${noPods}`);
        continue;
      }
      const pc = foundConfigs.find((p) => p.metadata?.name === name);
      if (!pc) {
        add('missing', obj, 'not installed');
        continue;
      }
      const health = (pc.status as { health?: { lastStatus?: unknown; lastMessage?: unknown } } | undefined)?.health;
      if (health?.lastStatus === true) add('ok', obj, 'healthy');
      else if (health?.lastStatus === false) add('not-ready', obj, `unhealthy${typeof health.lastMessage === 'string' ? `: ${health.lastMessage}` : ''} (check ${(pc.spec as { url?: string } | undefined)?.url ?? 'its url'} and the credentials)`);
      else add('not-ready', obj, `no health status: provider-anynines has not checked it (is it running?)${noPods}`);
    }
  }

  // The binder role.
  const role = await reader.get('rbac.authorization.k8s.io/v1', 'ClusterRole', exp.binderClusterRole);
  const rules = ((role as { rules?: Array<{ apiGroups?: string[]; resources?: string[] }> } | undefined)?.rules) ?? [];
  if (!role) add('missing', `ClusterRole ${exp.binderClusterRole}`, 'not installed');
  else if (!rules.some((r) => r.apiGroups?.includes(KLUTCH_GROUP) && r.resources?.includes('apiserviceexportrequests'))) {
    add('invalid', `ClusterRole ${exp.binderClusterRole}`, `grants nothing on ${KLUTCH_GROUP} apiserviceexportrequests (rules for kube-bind.io, as in the v1.4.0 guide, do not apply to these CRDs)`);
  } else add('ok', `ClusterRole ${exp.binderClusterRole}`, `grants ${KLUTCH_GROUP}`);

  // Export templates and the claim CRDs they export.
  if (templateCrd) {
    for (const resource of [...services.map((s) => DATA_SERVICES[s].resource), ...COMMON_TEMPLATES]) {
      const t = templates.find((x) => resourceOf(x) === resource);
      const obj = `APIServiceExportTemplate ${exp.crossplaneNamespace}/${t?.metadata?.name ?? resource}`;
      if (!t) {
        add('missing', obj, `no template exports ${resource}.anynines.com`);
        continue;
      }
      const claim = await reader.crd(`${resource}.anynines.com`);
      if (isEstablished(claim)) add('ok', obj, `exports ${resource}.anynines.com`);
      else add('not-ready', obj, `CustomResourceDefinition ${resource}.anynines.com is not served: the anynines-dataservices Configuration installs it once Crossplane runs; export requests for it fail until then`);
    }
  } else add('missing', 'APIServiceExportTemplates', `CustomResourceDefinition apiserviceexporttemplates.${TEMPLATE_GROUP} is not installed`);

  // The backend.
  const nsObj = await reader.get('v1', 'Namespace', ns);
  if (!nsObj) {
    add('missing', `Namespace ${ns}`, 'the backend is not installed');
  } else {
    add('ok', `Namespace ${ns}`, 'exists');
    // namespace null: cluster-scoped.
    const has = async (kind: string, name: string, apiVersion = 'v1', namespace: string | null = ns) => {
      const o = await reader.get(apiVersion, kind, name, namespace ?? undefined);
      if (!o) add('missing', `${kind} ${namespace ? `${namespace}/` : ''}${name}`, 'not installed');
      return o;
    };
    if (await has('ServiceAccount', BACKEND_NAME)) add('ok', `ServiceAccount ${ns}/${BACKEND_NAME}`, 'exists');
    const crb = await has('ClusterRoleBinding', BACKEND_NAME, 'rbac.authorization.k8s.io/v1', null);
    if (crb) add('ok', `ClusterRoleBinding ${BACKEND_NAME}`, `binds ${(crb as { roleRef?: { name?: string } }).roleRef?.name ?? '?'}`);
    const cm = await has('ConfigMap', BACKEND_NAME);
    if (cm) {
      const addr = (cm.data as Record<string, string> | undefined)?.['external-address'];
      if (addr && /^https?:\/\/\S+$/.test(addr)) add('ok', `ConfigMap ${ns}/${BACKEND_NAME}`, `external-address ${addr}`);
      else add('invalid', `ConfigMap ${ns}/${BACKEND_NAME}`, 'external-address is not a URL');
    }
    const secretData = (o: KObject) => Object.fromEntries(Object.entries((o.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const cookie = await has('Secret', COOKIE_SECRET);
    if (cookie) {
      const d = secretData(cookie);
      const bad = ['signing-key', 'encryption-key'].filter((k) => ![16, 24, 32].includes(Buffer.from(d[k] ?? '', 'base64').length));
      if (bad.length) add('invalid', `Secret ${ns}/${COOKIE_SECRET}`, `${bad.join(', ')} not base64 of 16, 24 or 32 bytes`);
      else add('ok', `Secret ${ns}/${COOKIE_SECRET}`, 'signing-key and encryption-key set');
    }
    const ca = await has('Secret', CA_SECRET);
    if (ca) {
      const pem = secretData(ca).ca ?? '';
      let problem = '';
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        problem = Buffer.from(pem, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----')
          ? 'ca holds base64 text of the PEM, not PEM: the mounted --external-ca-file is unreadable and App Clusters get a broken CA (put the PEM under data, base64-encoded once)'
          : 'ca holds no PEM certificate';
      } else {
        try {
          new X509Certificate(pem);
        } catch (err) {
          problem = `ca cannot be parsed: ${(err as Error).message}`;
        }
      }
      add(problem ? 'invalid' : 'ok', `Secret ${ns}/${CA_SECRET}`, problem || 'ca is a PEM certificate');
    }
    const oidc = await has('Secret', OIDC_SECRET);
    if (oidc) {
      const d = secretData(oidc);
      const absent = ['oidc-issuer-client-id', 'oidc-issuer-client-secret', 'oidc-issuer-url', 'oidc-callback-url'].filter((k) => !d[k]);
      add(absent.length ? 'invalid' : 'ok', `Secret ${ns}/${OIDC_SECRET}`, absent.length ? `lacks ${absent.join(', ')}` : `issuer ${d['oidc-issuer-url']}, client ${d['oidc-issuer-client-id']}`);
    }
    const dep = await has('Deployment', BACKEND_NAME, 'apps/v1');
    if (dep) {
      const st = (dep.status ?? {}) as { readyReplicas?: number; observedGeneration?: number };
      const want = (dep.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const ready = st.readyReplicas ?? 0;
      const obj = `Deployment ${ns}/${BACKEND_NAME}`;
      if (ready >= 1) add('ok', obj, `${ready}/${want} replicas ready`);
      else if (st.observedGeneration === undefined) add('not-ready', obj, `0/${want} replicas ready: no deployment controller has processed it (is kube-controller-manager running?)${noPods}`);
      else add('not-ready', obj, `0/${want} replicas ready${noPods || ` (kubectl -n ${ns} describe pods -l app=${BACKEND_NAME})`}`);
    }
    const svc = await has('Service', BACKEND_NAME);
    if (svc) {
      const slices = await reader.list('discovery.k8s.io/v1', 'EndpointSlice', ns, `kubernetes.io/service-name=${BACKEND_NAME}`);
      const readyEndpoints = slices.flatMap((s) => ((s as { endpoints?: Array<{ conditions?: { ready?: boolean } }> }).endpoints ?? [])).filter((e) => e.conditions?.ready !== false).length;
      if (readyEndpoints) add('ok', `Service ${ns}/${BACKEND_NAME}`, `${readyEndpoints} ready endpoint(s)`);
      else add('not-ready', `Service ${ns}/${BACKEND_NAME}`, 'no ready endpoints: no backend pod is running');
    }
    const ing = await has('Ingress', BACKEND_NAME, 'networking.k8s.io/v1');
    if (ing) await checkIngress(reader, ing, exp, add);
  }

  const counts: Record<Status, number> = { ok: 0, missing: 0, invalid: 0, 'not-ready': 0 };
  for (const i of items) counts[i.status]++;
  return { server, healthy: counts.missing + counts.invalid + counts['not-ready'] === 0, counts, items };
}

async function checkIngress(reader: Reader, ing: KObject, exp: Expectations, add: (s: Status, o: string, d: string) => void): Promise<void> {
  const ns = BACKEND_NAMESPACE;
  const ann = (ing.metadata?.annotations ?? {}) as Record<string, string>;
  const named: { kind: 'Issuer' | 'ClusterIssuer'; name: string } | undefined = ann['cert-manager.io/issuer']
    ? { kind: 'Issuer', name: ann['cert-manager.io/issuer'] }
    : ann['cert-manager.io/cluster-issuer'] ? { kind: 'ClusterIssuer', name: ann['cert-manager.io/cluster-issuer'] } : undefined;
  const obj = `Ingress ${ns}/${BACKEND_NAME}`;
  const expected = exp.issuer ? (exp.issuer.mode === 'acme' ? { kind: 'Issuer' as const, name: exp.issuer.name } : { kind: exp.issuer.kind, name: exp.issuer.name }) : undefined;
  if (!named) {
    add('invalid', obj, 'no cert-manager.io/issuer or cert-manager.io/cluster-issuer annotation: no certificate is issued for it');
  } else if (expected && (expected.kind !== named.kind || expected.name !== named.name)) {
    add('invalid', obj, `annotation names ${named.kind} ${named.name}, the values name ${expected.kind} ${expected.name}`);
  } else {
    const crd = named.kind === 'Issuer' ? 'issuers.cert-manager.io' : 'clusterissuers.cert-manager.io';
    const issuerObj = `${named.kind} ${named.kind === 'Issuer' ? `${ns}/` : ''}${named.name}`;
    if (!(await reader.crd(crd))) add('missing', 'cert-manager', `not installed: no CustomResourceDefinition ${crd}`);
    else {
      const issuer = await reader.get('cert-manager.io/v1', named.kind, named.name, named.kind === 'Issuer' ? ns : undefined);
      if (!issuer) add('invalid', obj, `its annotation names ${issuerObj}, which does not exist: no certificate is issued (the v1.4.0 guide's letsencrypt-prod/letsencrypt mismatch)`);
      else {
        const readyCond = conditionsOf(issuer).find((c) => c.type === 'Ready');
        if (readyCond?.status === 'True') add('ok', issuerObj, 'Ready');
        else add('not-ready', issuerObj, readyCond ? `Ready=${readyCond.status}${readyCond.message ? `: ${readyCond.message}` : ''}` : 'no status: cert-manager has not processed it (is cert-manager running?)');
      }
    }
  }
  const spec = (ing.spec ?? {}) as { tls?: Array<{ secretName?: string; hosts?: string[] }> };
  const tlsSecret = spec.tls?.[0]?.secretName;
  const host = spec.tls?.[0]?.hosts?.[0] ?? '?';
  if (!tlsSecret) add('invalid', obj, 'no spec.tls: the backend is not served over HTTPS');
  else if (await reader.get('v1', 'Secret', tlsSecret, ns)) add('ok', `Secret ${ns}/${tlsSecret}`, `certificate for ${host} issued`);
  else add('not-ready', `Secret ${ns}/${tlsSecret}`, `no certificate for ${host} yet (cert-manager issues it once the issuer is Ready and ${host} resolves to the ingress controller)`);
  const lb = ((ing.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)?.loadBalancer?.ingress) ?? [];
  if (lb.length) add('ok', obj, `served at ${lb.map((l) => l.hostname ?? l.ip).join(', ')} for ${host}`);
  else add('not-ready', obj, `no address: no ingress controller has admitted it (class ${(ing.spec as { ingressClassName?: string } | undefined)?.ingressClassName ?? 'unset'})`);
}

/** The report as aligned text lines. */
export function formatReport(r: CheckReport): string {
  const width = Math.max(...r.items.map((i) => i.object.length), 6);
  const lines = r.items.map((i) => `${i.status.padEnd(9)}  ${i.object.padEnd(width)}  ${i.detail}`);
  const c = r.counts;
  lines.push('', `${r.server}: ${c.ok} ok, ${c.missing} missing, ${c.invalid} invalid, ${c['not-ready']} not ready`);
  return `${'STATUS'.padEnd(9)}  ${'OBJECT'.padEnd(width)}  DETAIL\n${lines.join('\n')}\n`;
}
