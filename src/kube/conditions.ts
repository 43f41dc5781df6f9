/** Conditions of any Kubernetes object, and the one "Established" test for a CustomResourceDefinition. */
import type { KObject } from './resources.ts';

export type Condition = { type?: string; status?: string; reason?: string; message?: string };

export function conditionsOf(o: KObject | undefined): Condition[] {
  const c = (o?.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

/** True when the CustomResourceDefinition's Established condition is True (its API is served). */
export function isEstablished(crd: KObject | undefined): boolean {
  return conditionsOf(crd).some((c) => c.type === 'Established' && c.status === 'True');
}
