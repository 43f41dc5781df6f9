/**
 * Fakes for the control-plane flows' tests: a values file and its
 * environment, and the control-plane Kubernetes factory with a recording apply.
 */
import { CA_PEM } from './certs.ts';
import { MemoryCluster } from './memory-cluster.ts';

export const VALUES =
  `backend:\n  host: bind.corp.test\n  externalAddress: https://api.corp.test:6443\n  caCertificate: ` +
  `env:CA\noidc:\n  issuerUrl: https://idp.corp.test\n  clientSecret: env:OIDC\ntls:\n  acme: { email: ` +
  `a@corp.test }\ndataServices:\n  search:\n    serviceBroker: { url: "https://sb", username: u, password: ` +
  `env:P }\n    backupManager: { url: "https://bm", username: u, password: env:P }\n`;
export const ENV = {
  CA: CA_PEM,
  OIDC: 'oidc-secret-not-real',
  P: 'broker-password-not-real',
  SEED: 'a seed of at least sixteen characters',
};
export const KUBECONFIG = {
  text:
    'apiVersion: v1\nkind: Config\nclusters: [{name: cp, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: ' +
    '[{name: admin, user: {token: abc}}]\ncontexts: [{name: cp, context: {cluster: cp, user: ' +
    'admin}}]\ncurrent-context: cp\n',
  files: ['cp.kubeconfig'],
  source: '--kubeconfig',
  label: 'cp.kubeconfig',
  where: '--kubeconfig cp.kubeconfig',
  context: 'cp',
};

export function kube(cp = new MemoryCluster('control plane'), failAfter?: number) {
  const applied: string[] = [];
  return {
    applied,
    resolve: () => KUBECONFIG,
    connect: () => ({
      server: 'https://127.0.0.1:6443',
      host: '127.0.0.1:6443',
      reader: () => cp,
      cookieKeys: async () => undefined,
      apply: async (
        objects: Array<{ kind: string; metadata: { name: string; namespace?: string } }>,
        _s: unknown,
        o: { onApplied?: ((w: string) => void) | undefined; dryRun: boolean },
      ) => {
        for (const [i, obj] of objects.entries()) {
          if (failAfter !== undefined && i >= failAfter) throw Object.assign(new Error('x'), { name: 'ClusterError' });
          applied.push(obj.kind);
          o.onApplied?.(`${obj.kind} ${obj.metadata.name}`);
        }
        return { applied: objects.length, notValidated: [], pruned: [] };
      },
    }),
  };
}
