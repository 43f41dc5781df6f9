#!/usr/bin/env bash
# Part of `npm run build:image` and `npm test`: the container image is built with Debian's podman
# (bin/build-image.ts) and checked with skopeo and umoci (test/e2e/image.test.ts,
# test/e2e/job.test.ts). Installs them with apt-get, only when missing. Without apt-get, or when
# the install fails, it says so; the build then stops and the tests report the missing tool as a
# failure.
set -uo pipefail

need=()
command -v podman >/dev/null || need+=(podman)
command -v skopeo >/dev/null || need+=(skopeo)
command -v umoci >/dev/null || need+=(umoci)
((${#need[@]})) || exit 0

log() { printf 'ensure-image-tools: %s\n' "$*" >&2; }
if ! command -v apt-get >/dev/null; then
  log "missing ${need[*]} and no apt-get here: install them to build and test the image"
  exit 0
fi
sudo=()
[[ $(id -u) == 0 ]] || sudo=(sudo -n)
log "installing ${need[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  "${sudo[@]}" apt-get update -q >/dev/null 2>&1
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || log "could not install ${need[*]}; the image build and tests will fail"
fi
exit 0
