#!/usr/bin/env bash
# Installs missing build dependencies, configures and builds into build/.
#   scripts/build.sh [--bench] [TARGET...]
# --bench goes to scripts/deps.sh; TARGETs (tapio-trace, unit_tests, ...)
# build only those, and what they need; without any, everything.
set -euo pipefail
cd "$(dirname "$0")/.."
deps_args=()
targets=()
for arg in "$@"; do
  case "$arg" in
    -*) deps_args+=("$arg") ;;
    *) targets+=("$arg") ;;
  esac
done
scripts/deps.sh "${deps_args[@]}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build build -j"$(nproc)" --target "${targets[@]}"
else
  cmake --build build -j"$(nproc)"
fi
