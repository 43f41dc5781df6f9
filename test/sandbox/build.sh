#!/usr/bin/env bash
# Builds the sandbox's Go binaries from the wrapper modules under test/sandbox/
# and caches them under the home directory, keyed by the hash of each module's
# go.mod + go.sum and the Go version. A warm run only checks that the binaries
# are there. Prints the bin directory of every module on stdout, one
# "name=dir" line each; progress goes to stderr.
#
# Modules: kube (kube-apiserver, kube-controller-manager and kubectl in one
# binary, embedded etcd) and bind (Klutch v1.4.0's konnector and
# example-backend from github.com/anynines/klutchio/bind), hydra (Ory Hydra
# v2.3.0, the federated token endpoint of the keyless tests; cgo and the
# sqlite tag for its in-memory storage, DSN=memory), tofu (the OpenTofu CLI,
# for the Terraform module's test). Arguments name the modules to build
# (default: all).
#
# The proxy here refuses github.com/anynines/klutchio/bind; the file-based
# proxy in ../shared/goproxy (beside the checkout) serves that one module, so
# when that folder exists it is put in front of $(go env GOPROXY). Elsewhere
# GOPROXY is left alone and the public proxy serves it. go.sum pins the hashes
# either way.
#
# Environment: HELPER_SANDBOX_CACHE overrides the cache root
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/helper-sandbox).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${HELPER_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/helper-sandbox}"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly

log() { printf 'sandbox build: %s\n' "$*" >&2; }

command -v go >/dev/null || { log "go is not on PATH (Go 1.26 is required)"; exit 1; }
go_version="$(go env GOVERSION)"

shared_proxy="$here/../../../shared/goproxy"
if [[ -d "$shared_proxy" ]]; then
  GOPROXY="file://$(cd "$shared_proxy" && pwd),$(go env GOPROXY)"
  export GOPROXY
fi

# build_module NAME PACKAGE... : builds the packages of test/sandbox/NAME into
# the cache directory for its key and prints NAME=DIR.
build_module() {
  local name="$1"; shift
  local dir="$here/$name"
  local key
  local sources=("$dir/go.mod" "$dir/go.sum")
  shopt -s nullglob; sources+=("$dir"/*.go); shopt -u nullglob
  [[ -f "$dir/VERSION" ]] && sources+=("$dir/VERSION")
  key="$(cat "${sources[@]}" | { cat; echo "$go_version"; } | sha256sum | cut -c1-16)"
  local out="$cache_root/$name-$key"
  if [[ -f "$out/.complete" ]]; then
    log "$name: cached ($out)"
    printf '%s=%s\n' "$name" "$out"
    return
  fi
  log "$name: building with $go_version (cold builds take tens of minutes on 2 cores)"
  local tmp="$out.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  local start=$SECONDS
  local cgo=0 tags=()
  # Hydra's in-memory storage is sqlite (mattn/go-sqlite3): cgo and the sqlite tag, for it alone.
  [[ "$name" == hydra ]] && cgo=1 tags=(-tags sqlite)
  (cd "$dir" && CGO_ENABLED=$cgo go build -trimpath "${tags[@]}" -ldflags "-s -w $(ldflags "$name")" -o "$tmp/" "$@")
  finish_module "$name" "$tmp"
  touch "$tmp/.complete"
  rm -rf "$out"; mv "$tmp" "$out"
  log "$name: built in $((SECONDS - start))s"
  printf '%s=%s\n' "$name" "$out"
}

# Version variables: without them the apiserver reports v0.0.0-master and
# clients that check semver (kubectl among them) complain.
ldflags() {
  case "$1" in
    kube)
      local v major minor
      v="$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/kube/go.mod")"
      [[ -n "$v" ]] || v="$(grep -oE 'k8s.io/kubernetes v[0-9.]+' "$here/kube/go.mod" | head -1 | cut -d' ' -f2)"
      major="${v#v}"; major="${major%%.*}"
      minor="${v#v*.}"; minor="${minor%%.*}"
      local f=""
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        f+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
      done
      printf '%s' "$f"
      ;;
    bind)
      # As klutchio's Makefile sets them: "<client-go as v1.x>+kube-bind-<Klutch
      # version>" (bind/VERSION). The konnector parses the part after
      # "+kube-bind-" and reports it in its ClusterBinding
      # (status.konnectorVersion); a plain "v1.4.0" fails its parse.
      local cg minor klutch
      cg="$(awk '$1=="k8s.io/client-go" {print $2; exit}' "$here/bind/go.mod")"
      minor="${cg#v0.}"; minor="${minor%%.*}"
      klutch="$(tr -d '[:space:]' < "$here/bind/VERSION")"
      local f=""
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        f+=" -X $pkg.gitVersion=v1.${cg#v0.}+kube-bind-$klutch -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
      done
      printf '%s' "$f"
      ;;
    # As OpenTofu's .goreleaser.yaml: a release, not "-dev".
    tofu) printf '%s' "-X github.com/opentofu/opentofu/version.dev=no" ;;
  esac
}

finish_module() {
  case "$1" in
    kube) ln -sf kube "$2/kubectl" ;;
  esac
}

mkdir -p "$cache_root"
modules=("$@")
[[ ${#modules[@]} -gt 0 ]] || modules=(kube bind hydra tofu)
for m in "${modules[@]}"; do
  case "$m" in
    kube) build_module kube . ;;
    bind)
      build_module bind github.com/anynines/klutchio/bind/cmd/konnector github.com/anynines/klutchio/bind/cmd/example-backend
      # Where the module's CRDs are: the sandbox installs them from there.
      printf 'bind-src=%s\n' "$(cd "$here/bind" && go list -m -f '{{.Dir}}' github.com/anynines/klutchio/bind)"
      ;;
    hydra) build_module hydra github.com/ory/hydra/v2 ;;
    tofu) build_module tofu github.com/opentofu/opentofu/cmd/tofu ;;
    *) log "unknown module $m (kube, bind, hydra, tofu)"; exit 2 ;;
  esac
done
