/**
 * The flag group of the control-plane sub-verbs (render, apply, check,
 * adopt): the cluster they talk to, the cookie-key and TLS flags. Each
 * sub-verb's options are in options/control-plane-<sub>.ts.
 */
import {
  callPolicyOf,
  kubeconfigOf,
  tlsOf,
  tlsOptions,
  type CallFlags,
  type KubeconfigFlags,
  type TlsFlags,
} from './flags.ts';

/** The cluster flags of render, apply, check and adopt. */
export interface ClusterOptions extends KubeconfigFlags, CallFlags, TlsFlags {
  env: NodeJS.ProcessEnv;
}

export function clusterOptions(argv: Record<string, unknown>, env: NodeJS.ProcessEnv): ClusterOptions {
  return { ...kubeconfigOf(argv), env, ...callPolicyOf(argv), ...tlsOf(argv) };
}

/** --previous and --seed (render, apply): where the backend's cookie keys come from. */
export const KEY_OPTIONS = {
  previous: {
    type: 'string',
    requiresArg: true,
    normalize: true,
    describe: 'a previous render (control-plane.yaml): keep its cookie keys',
  },
  seed: {
    type: 'string',
    requiresArg: true,
    describe: 'derive the cookie keys from this seed (prefer env:NAME or file:PATH over a literal)',
  },
} as const;

/** --ca-file and --insecure-skip-tls-verify as the control-plane sub-verbs word them. */
export const TLS_OPTIONS = tlsOptions(
  "the control plane's API",
  "the control plane's TLS certificate (prints a warning)",
);
