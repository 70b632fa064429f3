#!/usr/bin/env bash
# Regenerates what the record registry decides: the README's record
# reference, the man page's RECORDS section and schema/tapio-trace.schema.json.
# A unit test fails while any of them differs from the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake --build "$build" --target gen_docs -j"$(nproc)" >/dev/null
"$build/tools/gen_docs" "$root"
