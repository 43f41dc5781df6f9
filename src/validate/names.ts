/** Pure: Kubernetes name rules for create-ns. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Problems with `name` as an App Cluster namespace whose control-plane twin
 * will be `<clusterNamespace>-<name>` (itself at most 63 characters).
 */
export function namespaceNameProblems(name: string, clusterNamespace: string): string[] {
  const problems: string[] = [];
  if (!name) return ['the name is empty'];
  if (!DNS1123_LABEL.test(name)) {
    problems.push(`${JSON.stringify(name)} is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit`);
  }
  const budget = 63 - clusterNamespace.length - 1;
  if (name.length > budget) {
    problems.push(`${JSON.stringify(name)} is ${name.length} characters; the control-plane namespace "${clusterNamespace}-${name}" must be at most 63, so at most ${Math.max(0, budget)} are left for the name (${name.length - budget} too many)`);
  }
  return problems;
}
