output "namespace" {
  # No provider may read a file after apply (hashicorp/local is a download),
  # so the namespace is read with file() from the provider kubeconfig that
  # create wrote: its current context names the cluster namespace. The path
  # comes from the resource's output, which is unknown until the resource is
  # created, so the plan that creates it shows "(known after apply)" instead
  # of failing on a file that does not exist yet. Null when the file is gone.
  description = "The binding's cluster namespace on the control plane (from the provider kubeconfig's current context)."
  value = fileexists(terraform_data.binding.output.provider_kubeconfig) ? one([
    for c in yamldecode(file(terraform_data.binding.output.provider_kubeconfig)).contexts : c.context.namespace
    if c.name == yamldecode(file(terraform_data.binding.output.provider_kubeconfig))["current-context"]
  ]) : null
}

output "provider_kubeconfig" {
  description = "The path of the provider kubeconfig (mode 0600; its token is the binding's credential)."
  value       = terraform_data.binding.output.provider_kubeconfig
}

output "all_yaml" {
  description = "The path of all.yaml (what was applied to the App Cluster; mode 0600, it holds the provider kubeconfig)."
  value       = terraform_data.binding.output.all_yaml
}
