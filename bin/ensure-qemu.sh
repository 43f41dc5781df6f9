#!/usr/bin/env bash
# Part of `npm test`: the arm64 executable's test (test/e2e/binary-arm64.test.ts) runs it under
# qemu user-mode emulation. Installs, with apt-get and only when missing, Debian's
# qemu-user-static and the arm64 C/C++ runtime the Node binary links against (the *-arm64-cross
# packages, under /usr/aarch64-linux-gnu). Without apt-get, or when the install fails, it says so
# and the test reports the missing piece as a failure.
set -uo pipefail

sysroot=/usr/aarch64-linux-gnu
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
[[ -e $sysroot/lib/ld-linux-aarch64.so.1 ]] || need+=(libc6-arm64-cross)
[[ -e $sysroot/lib/libstdc++.so.6 ]] || need+=(libstdc++6-arm64-cross)
[[ -e $sysroot/lib/libgcc_s.so.1 ]] || need+=(libgcc-s1-arm64-cross)
exec bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" ensure-qemu "the arm64 test will fail" "${need[@]}"
