#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Exit cost: time from SIGINT to the end of stdout and to the process being
# gone, median of RUNS, for tapio-trace (each area and all) beside opensnoop
# and bpftrace; then what each tracer adds to a syscall it does not trace
# (a getppid() loop, best of 5, with the tracer attached minus without;
# COST_ROUNDS, default 3, rounds per tracer, untraced runs around each).
#
#   sudo bench/exit_bench.sh [BUILD_DIR] [RUNS]
#
# BASELINE=/path/to/older/tapio-trace adds that build's rows beside this
# one's, measured in the same run (before/after figures for a change).
# FLOOR=1 adds the getppid() cost of build/bench/floor's empty programs
# (bench/floor.bpf.c): on raw_syscalls:sys_exit, on sys_enter and sys_exit,
# and on the per-syscall openat tracepoints, the floor of each design.
#
# A benchmark, not a test: the figures depend on the machine and its load.
set -u
build=${1:-build}
runs=${2:-5}
et=$build/bench/exit_time
sc=$build/bench/syscall_cost
tt=$build/tapio-trace
for tool in "$et" "$sc" "$tt"; do
    [ -x "$tool" ] || { echo "exit_bench: $tool is missing (build the project)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "exit_bench: run as root" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bt_probes='tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_exit_openat,tracepoint:syscalls:sys_enter_unlinkat,tracepoint:syscalls:sys_exit_unlinkat,tracepoint:syscalls:sys_enter_kill,tracepoint:syscalls:sys_exit_kill,tracepoint:syscalls:sys_enter_execve,tracepoint:syscalls:sys_exit_execve,tracepoint:syscalls:sys_enter_mkdirat,tracepoint:syscalls:sys_exit_mkdirat { @[probe] = count(); }'

exit_row() {
    local label=$1; shift
    local eofs exits
    local results
    results=$(for _ in $(seq "$runs"); do "$et" "$@"; done)
    eofs=$(awk '{print $1}' <<<"$results" | median)
    exits=$(awk '{print $2}' <<<"$results" | median)
    printf '%-28s %12s %12s\n' "$label" "$eofs" "$exits"
}

printf '%-28s %12s %12s\n' "tracer" "stdout EOF" "gone (ms)"
for area in proc net file mem all; do
    exit_row "tapio-trace $area" --ready -- "$tt" "$area" --json -v
    if [ -n "${BASELINE:-}" ]; then
        exit_row "  baseline $area" --ready -- "$BASELINE" "$area" --json -v
    fi
done
command -v opensnoop >/dev/null && exit_row "opensnoop" --settle 1500 -- opensnoop
command -v bpftrace >/dev/null && exit_row "bpftrace (10 tracepoints)" --settle 3000 -- bpftrace -e "$bt_probes"

echo
# Each row: ROUNDS times an untraced run, a run with the tracer attached and
# an untraced run again (the machine drifts); the added ns is the traced
# run minus the mean of the two around it, median over the rounds.
cost_rounds=${COST_ROUNDS:-3}
printf '%-28s %12s %12s\n' "tracer attached" "getppid ns" "added ns"
cost_row() {
    local label=$1; shift
    local traced=() added=() b1 t b2 pid
    for _ in $(seq "$cost_rounds"); do
        b1=$("$sc")
        "$@" >/dev/null 2>&1 &
        pid=$!
        sleep 2
        t=$("$sc")
        kill -INT "$pid"; wait "$pid" 2>/dev/null
        b2=$("$sc")
        traced+=("$t")
        added+=("$(awk -v t="$t" -v a="$b1" -v b="$b2" 'BEGIN { printf "%.1f", t - (a + b) / 2 }')")
    done
    printf '%-28s %12s %12s\n' "$label" "$(printf '%s\n' "${traced[@]}" | median)" \
        "$(printf '%s\n' "${added[@]}" | median)"
}
printf '%-28s %12s\n' "none" "$("$sc")"
cost_row "tapio-trace all" "$tt" all --json
[ -n "${BASELINE:-}" ] && cost_row "  baseline all" "$BASELINE" all --json
cost_row "tapio-trace file" "$tt" file --json
[ -n "${BASELINE:-}" ] && cost_row "  baseline file" "$BASELINE" file --json
cost_row "tapio-trace proc --syscalls" "$tt" proc --syscalls --json
[ -n "${BASELINE:-}" ] && cost_row "  baseline proc --syscalls" "$BASELINE" proc --syscalls --json
if [ -n "${FLOOR:-}" ]; then
    cost_row "floor: empty sys_exit" "$build/bench/floor" empty-exit
    cost_row "floor: empty sys_enter+exit" "$build/bench/floor" empty-both
    cost_row "floor: empty perf openat" "$build/bench/floor" perf-openat
fi
command -v opensnoop >/dev/null && cost_row "opensnoop" opensnoop
