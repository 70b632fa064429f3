#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What tracing opens costs the traced program: an open+close loop
# (file_workload) run untraced, under opensnoop (libbpf-tools), under
# bpftrace and under `tapio-trace file --json`, each tracer writing to a
# file. Tracer on one CPU, workload on another. Prints, per tracer, the ns
# each traced open adds (median over ROUNDS rounds, each against an untraced
# run of the same round) and how many of the workload's opens it recorded.
#
#   sudo bench/file_bench.sh [BUILD_DIR] [ITERATIONS] [ROUNDS]
#
# BASELINE=/path/to/older/tapio-trace adds that build as a fourth tracer,
# measured in the same rounds (before/after figures for a change).
#
# FLOOR=1 adds three yardsticks from build/bench/floor (bench/floor.bpf.c),
# which show what the kernel's machinery costs whatever the program does:
# floor-empty, an empty program on raw_syscalls:sys_exit (what the
# dispatcher's hook costs before any code of ours); floor-record, the least
# an open record can be there (time, thread, result, path into the ring
# buffer, nothing else); floor-perf, empty programs on the per-syscall
# openat tracepoints that tapio-trace used before its dispatcher.
# floor-record counts every openat of the host while it runs, not only the
# workload's.
#
# A benchmark, not a test: the figures depend on the machine and its load.
set -u

build=${1:-build}
iterations=${2:-500000}
rounds=${3:-3}
tracer_cpu=${TRACER_CPU:-0}
workload_cpu=${WORKLOAD_CPU:-1}

workload=$build/bench/file_workload
tapio=$build/tapio-trace
floor=$build/bench/floor
for tool in "$workload" "$tapio" ${FLOOR:+"$floor"} /usr/sbin/opensnoop /usr/bin/bpftrace taskset; do
    if ! command -v "$tool" >/dev/null; then
        echo "file_bench: $tool is missing (build the project; apt-get install libbpf-tools bpftrace)" >&2
        exit 1
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "file_bench: run as root (the tracers load BPF programs)" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/tt-file-bench.$$.XXXX)
trap 'kill $tracer 2>/dev/null; rm -rf "$dir"' EXIT
target=$dir/target
touch "$target"
tracer=

# Runs the workload pinned; prints its ns per iteration.
run_workload() {
    taskset -c "$workload_cpu" "$workload" "$iterations" "$target"
}

# Waits until file $1 contains $2 (at most 30 s).
wait_for_text() {
    for _ in $(seq 300); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "file_bench: '$2' never showed up in $1" >&2
    return 1
}

stop_tracer() {
    kill -INT "$tracer" 2>/dev/null
    wait "$tracer" 2>/dev/null
    tracer=
}

# One traced run: $1 name; the tracer command follows. Prints "ns seen".
traced_run() {
    local name=$1
    shift
    local out=$dir/$name.out err=$dir/$name.err
    : >"$out"
    : >"$err"
    taskset -c "$tracer_cpu" "$@" >"$out" 2>"$err" &
    tracer=$!
    case $name in
    tapio | baseline) wait_for_text "$err" "^tapio-trace: ready:" || return 1 ;;
    floor-*) wait_for_text "$err" "^floor: ready:" || return 1 ;;
    bpftrace) wait_for_text "$out" "Attaching" || return 1; sleep 1 ;;
    *) sleep 3 ;;  # opensnoop buffers its header: give it time to attach
    esac
    local ns
    ns=$(run_workload)
    sleep 1  # let the tracer drain
    local rss
    # Resident memory apart from the BPF/perf buffers it maps (anon_inode:...;
    # a BPF ring buffer's data pages are mapped twice).
    rss=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { buf = ($6 ~ /^anon_inode:/) } /^Rss:/ { if (!buf) sum += $2 } END { print sum }' \
        "/proc/$tracer/smaps")
    stop_tracer
    local count
    case $name in
    floor-record) count=$(sed -n 's/^floor: \([0-9]*\) records.*/\1/p' "$err") ;;
    floor-*) count=- ;;  # records nothing
    *) count=$(grep -c -F "$target" "$out") ;;
    esac
    echo "$ns $count $rss"
}

declare -A added seen rss
names="opensnoop bpftrace tapio"
[ -n "${BASELINE:-}" ] && names="$names baseline"
[ -n "${FLOOR:-}" ] && names="$names floor-empty floor-record floor-perf"
for round in $(seq "$rounds"); do
    base=$(run_workload)
    for name in $names; do
        case $name in
        opensnoop) r=$(traced_run opensnoop /usr/sbin/opensnoop) ;;
        bpftrace) r=$(traced_run bpftrace /usr/bin/bpftrace -e \
            'tracepoint:syscalls:sys_enter_openat { printf("%d %s %s\n", pid, comm, str(args->filename)); }') ;;
        tapio) r=$(traced_run tapio "$tapio" file --json -v) ;;
        baseline) r=$(traced_run baseline "$BASELINE" file --json -v) ;;
        floor-empty) r=$(traced_run floor-empty "$floor" empty-exit) ;;
        floor-record) r=$(traced_run floor-record "$floor" open-record) ;;
        floor-perf) r=$(traced_run floor-perf "$floor" perf-openat) ;;
        esac
        read -r ns count rss_kb <<<"$r"
        added[$name]+="$(awk -v a="$ns" -v b="$base" 'BEGIN { printf "%.0f", a - b }') "
        seen[$name]+="$count "
        rss[$name]+="$rss_kb "
        echo "round $round: untraced $base ns/iter, $name $ns ns/iter, saw $count of $iterations, RSS $rss_kb kB" >&2
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '\n%-12s %12s %14s %14s %8s %12s\n' tracer "added ns/open" "vs opensnoop" "seen/opens" "lost" "RSS w/o bufs"
base_added=$(echo "${added[opensnoop]}" | median)
for name in $names; do
    a=$(echo "${added[$name]}" | median)
    s=$(echo "${seen[$name]}" | median)
    r=$(echo "${rss[$name]}" | median)
    ratio=$(awk -v a="$a" -v b="$base_added" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
    if [ "$s" = - ]; then
        seen_col=- lost_col=-
    elif [ "$name" = floor-record ]; then
        seen_col="$s (host)" lost_col=-
    else
        seen_col=$s/$iterations lost_col=$((iterations - s))
    fi
    printf '%-12s %12s %14s %14s %8s %9s MB\n' "$name" "$a" "$ratio" "$seen_col" "$lost_col" \
        "$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')"
done
echo "(median of $rounds rounds; CPU time of the workload thread; tracer on CPU $tracer_cpu, workload on CPU $workload_cpu)"
