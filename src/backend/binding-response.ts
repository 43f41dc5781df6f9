/**
 * Step 5, pure: the backend's 200 body → what the rest of the run needs: the
 * provider kubeconfig (rebuilt from the backend's by kube/binding-kubeconfig.ts:
 * only what a binding needs, never the backend's text), its cluster
 * namespace and server, and the export requests. Anything unusable or
 * refused is a BackendError listing every problem.
 */
import { BackendError } from '../errors.ts';
import { readBindingKubeconfig } from '../kube/binding-kubeconfig.ts';
import { isStrictBase64, readKubeconfig, type Connection, type ProviderKubeconfig } from '../kube/kubeconfig.ts';
import { registerKubeconfigSecrets } from '../kube/kubeconfig-file.ts';
import type { ExportRequest } from '../types.ts';
import { validateBindingResponse } from '../validate/schemas.ts';

export interface BindingResult {
  /** The provider kubeconfig helper writes and uses: rebuilt from the backend's, never its text. */
  kubeconfig: string;
  provider: ProviderKubeconfig;
  /** The control plane connection of the kubeconfig (read once, here). */
  connection: Connection;
  requests: ExportRequest[];
}

/** Validates and decodes a BindingResponse; throws BackendError. */
export function parseBindingResponse(body: unknown): BindingResult {
  const res = validateBindingResponse(body);
  if (!isStrictBase64(res.kubeconfig)) {
    throw new BackendError(
      'HELPER_BACKEND_RESPONSE_INVALID',
      "the backend's BindingResponse.kubeconfig is not valid standard base64",
    );
  }
  const given = Buffer.from(res.kubeconfig, 'base64').toString('utf8');
  registerKubeconfigSecrets(given);
  const rebuilt = readBindingKubeconfig(given);
  const k = rebuilt.ok ? readKubeconfig(rebuilt.value.text, { provider: true, fromBackend: true }) : undefined;
  if (!rebuilt.ok || !k || k.problems.length || !k.facts || !k.connection) {
    const problems = !rebuilt.ok
      ? rebuilt.problems
      : k?.problems.length
        ? k.problems
        : ['its current context names no cluster'];
    throw new BackendError(
      'HELPER_BACKEND_KUBECONFIG',
      `the kubeconfig in the backend's BindingResponse is unusable:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return { kubeconfig: rebuilt.value.text, provider: k.facts, connection: k.connection, requests: res.requests };
}
