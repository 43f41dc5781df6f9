# Only Terraform's built-in pieces: terraform_data (the built-in "terraform"
# provider) and the local-exec provisioner. `init` downloads nothing.
terraform {
  # terraform_data exists since Terraform 1.4; every OpenTofu release has it.
  required_version = ">= 1.4"
}
