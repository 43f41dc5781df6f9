#!/usr/bin/env bash
# Builds the sandbox's Go binaries from the wrapper modules under test/sandbox/
# and caches them under the home directory, keyed by the hash of each module's
# go.mod + go.sum and the Go version. A warm run only checks that the binaries
# are there. Prints the bin directory of every module on stdout, one
# "name=dir" line each; progress goes to stderr.
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

# build_module NAME PACKAGE... : builds the packages of test/sandbox/NAME into
# the cache directory for its key and prints NAME=DIR.
build_module() {
  local name="$1"; shift
  local dir="$here/$name"
  local key
  key="$(cat "$dir/go.mod" "$dir/go.sum" "$dir"/*.go 2>/dev/null | { cat; echo "$go_version"; } | sha256sum | cut -c1-16)"
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
  (cd "$dir" && go build -trimpath -ldflags "-s -w $(ldflags "$name")" -o "$tmp/" "$@")
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
  esac
}

finish_module() {
  case "$1" in
    kube) ln -sf kube "$2/kubectl" ;;
  esac
}

mkdir -p "$cache_root"
build_module kube .
