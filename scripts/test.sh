#!/usr/bin/env bash
# The whole test suite: unit tests (no root) and live tests (root, real BPF
# programs in the running kernel), then each fuzz target for a bounded time
# (scripts/fuzz.sh; TAPIO_FUZZ_SECONDS, default 60; 0 skips them). Installs
# and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
(cd build && ctest --output-on-failure "$@")
fuzz_seconds=${TAPIO_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
  scripts/fuzz.sh "$fuzz_seconds"
fi
