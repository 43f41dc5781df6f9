/**
 * Pure: the Kubernetes name rules, written once. The JSON Schemas in schemas/
 * spell the same patterns as strings (JSON cannot import them);
 * test/unit/validate/names.test.ts checks that every name pattern there is
 * one of these.
 */

/** A DNS-1123 label (namespace names, prefixes): lower-case alphanumerics and '-', alphanumeric at both ends. */
export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A DNS-1123 subdomain as our schemas check object names (Secrets, Issuers, ClusterRoles): labels joined by '.'. */
export const DNS1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/** An API group: "" (the core group) or dot-separated DNS-1123 labels. */
export const API_GROUP_PATTERN = '^(|[a-z0-9]([-a-z0-9]*[a-z0-9](\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?)$';
/** A plural resource name: a lower-case letter first, at least two characters. */
export const RESOURCE_PATTERN = '^[a-z][-a-z0-9]*[a-z0-9]$';
/** A claimed resource as binding.json's acceptClaims names it: `<resource>` (core group) or `<resource>.<group>`. */
export const CLAIMED_RESOURCE_PATTERN = '^[a-z][-a-z0-9]*[a-z0-9](\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** Longest DNS-1123 label (and so namespace name). */
export const DNS1123_LABEL_MAX = 63;

const DNS1123_LABEL = new RegExp(DNS1123_LABEL_PATTERN);

/** Whether `name` is a DNS-1123 label of at most 63 characters, e.g. a namespace name. */
export function isDnsLabel(name: string): boolean {
  return name.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(name);
}

/**
 * Problems with `name` as an App Cluster namespace whose control-plane twin
 * will be `<clusterNamespace>-<name>` (itself at most 63 characters).
 */
export function namespaceNameProblems(name: string, clusterNamespace: string): string[] {
  const problems: string[] = [];
  if (!name) return ['the name is empty'];
  if (!DNS1123_LABEL.test(name)) {
    problems.push(
      `${JSON.stringify(name)} is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ` +
        `ending with a letter or digit`,
    );
  }
  const budget = DNS1123_LABEL_MAX - clusterNamespace.length - 1;
  if (name.length > budget) {
    problems.push(
      `${JSON.stringify(name)} is ${name.length} characters; the control-plane namespace "${clusterNamespace}` +
        `-${name}" must be at most 63, so at most ${Math.max(0, budget)} are left for the name (` +
        `${name.length - budget} too many)`,
    );
  }
  return problems;
}
