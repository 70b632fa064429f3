#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/, built with clang, ASan and UBSan into
# build-fuzz/ and each run for a bounded time from its seed corpus.
#   scripts/fuzz.sh [SECONDS]     (default 60 per target)
# Fails on any finding (a crash, ASan or UBSan report, leak, failed check,
# timeout); the input that caused it is kept in build-fuzz/findings/.
# New inputs the runs find go to build-fuzz/corpus/, kept between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DTAPIO_FUZZ=ON -DTAPIO_BUILD_TESTS=OFF -DTAPIO_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_targets
mkdir -p build-fuzz/findings
status=0
for target in decode cli; do
  mkdir -p "build-fuzz/corpus/$target"
  echo "fuzz_$target: ${seconds}s"
  if ! build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -timeout=10 -error_exitcode=86 \
      -timeout_exitcode=87 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$target-" \
      "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" 2> "build-fuzz/fuzz_$target.log"; then
    status=1
    echo "fuzz_$target: FINDING (build-fuzz/fuzz_$target.log, build-fuzz/findings/):"
    grep -E "ERROR|runtime error|fuzz finding|SUMMARY|Test unit written" "build-fuzz/fuzz_$target.log" | head -20
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:" "build-fuzz/fuzz_$target.log" | tail -3
done
exit $status
