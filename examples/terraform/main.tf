# Binds an App Cluster on create and unbinds it on destroy by running helper
# from local-exec provisioners; helper's exit code decides whether the step
# succeeded. How helper authenticates comes from the environment tofu runs in,
# which local-exec inherits, exactly as README "Keyless authentication" says:
# OIDC_CLIENT_ID and OIDC_TOKEN_URL, and one of OIDC_CLIENT_KEY_FILE (a private
# key, private_key_jwt), OIDC_CLIENT_ASSERTION_FILE (a platform's token, e.g. a
# CI job's id_token, with OIDC_GRANT_TYPE / OIDC_AUDIENCE as the provider
# wants) or, as the alternative, OIDC_CLIENT_SECRET / HELPER_CLIENT_SECRET_FILE.
# No variable holds a credential, so none is in the plan or the state; only
# create needs one (unbind uses the provider kubeconfig).

locals {
  # Whitespace-only edits of binding.json do not replace the binding; content
  # that is not JSON goes to helper as it is, which rejects it (exit 3).
  binding_raw = var.binding_json != null ? var.binding_json : (var.binding_file != null ? file(var.binding_file) : "")
  binding     = try(jsonencode(jsondecode(local.binding_raw)), local.binding_raw)

  kubeconfig = "${var.output_dir}/provider.kfg.yaml"
  all_yaml   = "${var.output_dir}/all.yaml"

  # Single-quoted for sh: a path with spaces or quotes stays one word.
  quote = { for k, words in {
    helper = var.helper
    bootstrap = concat(
      ["bootstrap-env", "-f", "-", "-u", var.bind_url, "--write-kubeconfig", local.kubeconfig, "--output-file", local.all_yaml, "--apply-to", var.app_kubeconfig],
      var.ca_file != null ? ["--ca-file", var.ca_file] : [],
      var.konnector_image != null ? ["--konnector-image", var.konnector_image] : [],
      var.wait_bindings != null ? ["--wait-bindings", var.wait_bindings] : [],
      var.bootstrap_args,
    )
    unbind = concat(
      ["unbind", "--kubeconfig", local.kubeconfig, "--app-kubeconfig", var.app_kubeconfig],
      var.ca_file != null ? ["--ca-file", var.ca_file] : [],
      var.unbind_args,
    )
    files = [local.kubeconfig, local.all_yaml]
    dir   = [var.output_dir]
  } : k => join(" ", [for w in words : "'${replace(w, "'", "'\\''")}'"]) }
}

resource "terraform_data" "binding" {
  # What makes a binding another one: a change here unbinds (destroy first)
  # and binds again. Paths and flags are not here: changing them updates the
  # stored input in place and runs nothing.
  triggers_replace = {
    binding         = local.binding
    bind_url        = var.bind_url
    konnector_image = var.konnector_image
  }

  # A destroy provisioner may only read self: everything unbind needs is kept
  # here, in the state (paths and flags only, no secret).
  input = {
    provider_kubeconfig = local.kubeconfig
    all_yaml            = local.all_yaml
    unbind              = "${local.quote.helper} ${local.quote.unbind} && rm -f ${local.quote.files} && { rmdir ${local.quote.dir} 2>/dev/null || true; }"
  }

  lifecycle {
    precondition {
      condition     = (var.binding_json == null) != (var.binding_file == null)
      error_message = "Set exactly one of binding_json and binding_file."
    }
  }

  # helper validates binding.json, gets a token, binds, waits until the export
  # requests Succeeded, writes both files (0600, atomically) and applies
  # all.yaml to the App Cluster. Any exit code but 0 fails the apply; the
  # resource is then tainted and the next apply runs the same command again
  # (bootstrap-env and apply converge on a re-run).
  provisioner "local-exec" {
    command = "umask 077 && mkdir -p ${local.quote.dir} && printf '%s' \"$KLUTCH_BINDING_JSON\" | ${local.quote.helper} ${local.quote.bootstrap}"
    environment = {
      KLUTCH_BINDING_JSON = local.binding
    }
  }

  # helper unbind: the konnector, APIServiceBindings and their RBAC go from the
  # App Cluster, the export requests from the control plane; the claims stay.
  # Then the credential files are removed. A non-zero exit fails the destroy
  # and keeps the resource, so running destroy again continues.
  provisioner "local-exec" {
    when    = destroy
    command = self.input.unbind
  }
}
