variable "binding_json" {
  description = "The content of binding.json ({\"clusterID\": ..., \"apis\": [...]}). Set this or binding_file."
  type        = string
  default     = null
}

variable "binding_file" {
  description = "The path of binding.json (read at plan time). Set this or binding_json."
  type        = string
  default     = null
}

variable "bind_url" {
  description = "The backend URL (bootstrap-env -u; /bind-noninteractive is appended when absent)."
  type        = string
}

variable "app_kubeconfig" {
  description = "The path of the App Cluster's kubeconfig: all.yaml is applied there on create, and unbind cleans it on destroy."
  type        = string
}

variable "output_dir" {
  description = "Where helper writes provider.kfg.yaml and all.yaml (mode 0600). Relative paths are relative to the directory tofu runs in. Keep it with the state: destroy needs the provider kubeconfig."
  type        = string
}

variable "konnector_image" {
  description = "The konnector image (bootstrap-env --konnector-image); null: helper's default."
  type        = string
  default     = null
}

variable "helper" {
  description = "The command that runs helper, as a list of words (e.g. [\"/usr/local/bin/helper\"] or [\"node\", \"/src/helper/bin/helper\"])."
  type        = list(string)
  default     = ["helper"]
}

variable "ca_file" {
  description = "An extra CA (PEM file) trusted for the token endpoint, the backend and both clusters (--ca-file); null: none."
  type        = string
  default     = null
}

variable "wait_bindings" {
  description = "When set (e.g. \"5m\"), create waits until every APIServiceBinding is Ready on the App Cluster, i.e. the konnector runs and connected (apply --wait-bindings)."
  type        = string
  default     = null
}

variable "bootstrap_args" {
  description = "More flags for helper bootstrap-env (e.g. [\"--timeout\", \"10m\", \"-v\"], or [\"--client-key-file\", \"/run/keys/helper.key\"] to name the key file here instead of OIDC_CLIENT_KEY_FILE: a path, in the configuration, never in the state). Never a secret: a flag's value is printed in tofu's output."
  type        = list(string)
  default     = []
}

variable "unbind_args" {
  description = "Flags for helper unbind on destroy. The default --delete-crds removes the bound CRDs (and the App Cluster's copies of the claims; the claims on the control plane stay) so that the same App Cluster can be bound again; [] keeps them."
  type        = list(string)
  default     = ["--delete-crds"]
}
