#!/usr/bin/env bash
# apt-install.sh WHO WHAT-FAILS PKG...: installs Debian packages with apt-get (update once if the
# first try fails), as root or through sudo -n. WHO names the caller in its messages; WHAT-FAILS
# says what will not work without them. Without apt-get, or when the install fails, it says so and
# exits 0: the build step or test that needs a package then reports it missing as a failure.
# Used by bin/ensure-qemu.sh and bin/ensure-image-tools.sh, which decide what is missing.
set -uo pipefail
who="$1"; fails="$2"; shift 2
(($#)) || exit 0
log() { printf '%s: %s\n' "$who" "$*" >&2; }
if ! command -v apt-get >/dev/null; then
  log "missing $* and no apt-get here: install them, or $fails"
  exit 0
fi
sudo=()
[[ $(id -u) == 0 ]] || sudo=(sudo -n)
log "installing $* (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1; then
  "${sudo[@]}" apt-get update -q >/dev/null 2>&1
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" >&2 || log "could not install $*; $fails"
fi
exit 0
