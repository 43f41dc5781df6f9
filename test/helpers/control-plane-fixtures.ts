/**
 * What a working control plane holds, for the in-process tests of check,
 * apply and adopt: the prerequisites the setup page installs (Crossplane with
 * its flag, cert-manager, an IngressClass, a Ready node) and render's objects
 * with the status their controllers give them.
 */
import { CA_PEM } from './certs.ts';
import { keysFromSeed } from '../../src/control-plane/keys.ts';
import { renderControlPlane, type K8sObject, type RenderInputs } from '../../src/control-plane/render.ts';
import { parseValues, settingsOf, type Settings } from '../../src/control-plane/values.ts';

/** A values file with one data service, its secrets as env: and file: references and a literal user name. */
export const MINIMAL_VALUES = `backend:
  host: bind.example.com
oidc:
  issuerUrl: https://idp.example.com/realms/klutch
  clientSecret: env:OIDC_SECRET
tls:
  acme:
    email: ops@example.com
dataServices:
  postgresql:
    serviceBroker: { url: "https://sb.example.com", username: admin, password: env:SB_PASSWORD }
    backupManager: { url: "https://bm.example.com", username: file:bm-user, password: file:bm-pass }
`;

export const VALUES = `backend: { host: bind.corp.test, externalAddress: "https://api.corp.test:6443" }
oidc: { issuerUrl: "https://idp.corp.test", clientSecret: env:X }
tls: { acme: { email: ops@corp.test } }
dataServices:
  postgresql:
    serviceBroker: { url: "https://sb.corp.test", username: env:U, password: env:P }
    backupManager: { url: "https://bm.corp.test", username: env:U, password: env:P }
`;
export const settings: Settings = settingsOf(parseValues(VALUES, 'v'));

export function inputsFor(s: Settings): RenderInputs {
  const creds = { username: 'broker-user', password: 'broker-pass-1' };
  return {
    settings: s,
    secrets: {
      oidcClientSecret: 'oidc-secret-1',
      endpoints: Object.fromEntries(
        s.dataServices.map((d) => [d.name, { serviceBroker: creds, backupManager: creds }]),
      ),
    },
    externalAddress: 'https://api.corp.test:6443',
    caPem: CA_PEM,
    cookieKeys: keysFromSeed('a seed for the control-plane unit tests'),
  };
}

export const rendered = (s: Settings = settings): K8sObject[] => renderControlPlane(inputsFor(s));

const crd = (name: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
  status: { conditions: [{ type: 'Established', status: 'True' }] },
});
const deployment = (namespace: string, name: string, labels: Record<string, string>, args: string[] = []) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels },
  spec: {
    replicas: 1,
    template: { spec: { containers: [{ name, image: `xpkg.crossplane.io/crossplane/crossplane:v1.20.0`, args }] } },
  },
  status: { readyReplicas: 1, observedGeneration: 1 },
});

/** Crossplane (with --enable-ssa-claims), cert-manager, the nginx IngressClass, one Ready node. */
export function prerequisites(crossplaneArgs = ['core', 'start', '--enable-ssa-claims']): object[] {
  return [
    ...['providers', 'configurations', 'functions', 'deploymentruntimeconfigs'].map((p) =>
      crd(`${p}.pkg.crossplane.io`),
    ),
    ...['issuers', 'clusterissuers', 'certificates'].map((p) => crd(`${p}.cert-manager.io`)),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crossplane-system' } },
    deployment('crossplane-system', 'crossplane', { app: 'crossplane' }, crossplaneArgs),
    deployment('cert-manager', 'cert-manager', {
      'app.kubernetes.io/name': 'cert-manager',
      'app.kubernetes.io/component': 'controller',
    }),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx' },
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    },
  ];
}

const lb = { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } };
const healthy = {
  conditions: [
    { type: 'Installed', status: 'True' },
    { type: 'Healthy', status: 'True' },
  ],
};

/** Each object as a working cluster holds it, with what its controllers add (endpoints, the certificate, the claim
 * CRDs). */
export function running(objects: readonly K8sObject[]): object[] {
  return objects.flatMap((o): object[] => {
    switch (o.kind) {
      // The provider, once Healthy, installs its ProviderConfig CRD.
      case 'Provider':
        return [{ ...o, status: healthy }, crd('providerconfigs.dataservices.anynines.com')];
      case 'Function':
      case 'Configuration':
        return [{ ...o, status: healthy }];
      case 'ProviderConfig':
        return [{ ...o, status: { health: { lastStatus: true } } }];
      case 'Deployment':
        return [{ ...o, status: { readyReplicas: 1, observedGeneration: 1 } }];
      case 'Issuer':
        return [{ ...o, status: { conditions: [{ type: 'Ready', status: 'True' }] } }];
      case 'Service':
        return [
          { ...o, status: lb },
          {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: {
              name: `${o.metadata.name}-abcde`,
              namespace: o.metadata.namespace,
              labels: { 'kubernetes.io/service-name': o.metadata.name },
            },
            endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }],
          },
        ];
      case 'Ingress': {
        const tls = (o.spec as { tls: Array<{ secretName: string }> }).tls[0]!;
        return [
          { ...o, status: lb },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: tls.secretName, namespace: o.metadata.namespace },
            data: { 'tls.crt': 'eA==' },
          },
        ];
      }
      case 'APIServiceExportTemplate': {
        const sel = (o.spec as { APIServiceSelector: { group: string; resource: string } }).APIServiceSelector;
        return [o, crd(`${sel.resource}.${sel.group}`)];
      }
      default:
        return [o];
    }
  });
}
