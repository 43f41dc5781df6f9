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
exec bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" ensure-image-tools "the image build and tests will fail" "${need[@]}"
