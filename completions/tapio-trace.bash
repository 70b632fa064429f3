# bash completion for tapio-trace(8)
#
# bash-completion loads this file by itself from
# <prefix>/share/bash-completion/completions. Without that package, source
# it from ~/.bashrc: it then completes with bash's own COMP_WORDS.
_tapio_trace() {
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
        # bash splits --flag=value at the '=': complete the value.
        if [[ $cur == = && $prev == -* ]]; then
            cur=""
        elif [[ $prev == = && $cword -ge 2 && ${words[cword - 2]} == -* ]]; then
            prev=${words[cword - 2]}
        fi
    fi

    local subcommands="proc net file mem all doctor schema help"
    local global="-j --json -o --output -p --pid --children --comm -u --uid --cgroup --container --pod --namespace --no-enrich --pod-logs --kubelet-root -x --failed -d --duration -n --count
        -e --events --rate-limit --sample --limit-critical --sampling-interval --ring-buffer-size -v --verbose --color --time --version -h --help"
    local proc_flags="--max-args --threads --syscalls --syscalls-top"
    local net_flags="--port --lport --rport -4 --ipv4 -6 --ipv6 --drops --states"
    local file_flags="--path --min-latency --slow-any-file --top"
    local mem_flags="--min-latency --min-size --pressure-threshold --no-pressure --file-mappings"
    local all_flags="--no-proc --no-net --no-file --no-mem $proc_flags $net_flags $file_flags $mem_flags"
    # The record types -e/--events takes, and each area's glob.
    # events:begin (generated from the record registry by scripts/gen-docs.sh)
    local events="proc.* proc.exec proc.fork proc.exit proc.signal proc.setuid proc.syscalls net.* net.connect net.accept net.close net.retransmit net.reset net.drop net.state file.* file.open file.unlink file.rename file.mkdir file.rmdir file.truncate file.chmod file.slow file.io mem.* mem.oom_kill mem.reclaim mem.alloc mem.unmap mem.pressure"
    # events:end

    local sub="" w
    for w in "${words[@]:1:cword-1}"; do
        case " $subcommands " in *" $w "*) sub="$w"; break ;; esac
    done

    case "$prev" in
        -o|--output)
            _tapio_trace_reply "table json" "$cur"
            return ;;
        --color)
            _tapio_trace_reply "never auto always" "$cur"
            return ;;
        --time)
            _tapio_trace_reply "local utc rfc3339 relative" "$cur"
            return ;;
        -p|--pid)
            _tapio_trace_reply "$(command ls /proc 2>/dev/null | grep -E '^[0-9]+$')" "$cur"
            return ;;
        -u|--uid)
            _tapio_trace_reply "$(compgen -u)" "$cur"
            return ;;
        -e|--events)
            # A comma-separated list: complete its last element, and only
            # the subcommand's own area's types.
            local done="" e offered="" all
            [[ $cur == *,* ]] && done=${cur%,*},
            read -ra all <<<"$events"
            for e in "${all[@]}"; do
                case "$sub" in proc|net|file|mem) [[ $e == "$sub".* ]] || continue ;; esac
                offered+=" $done$e"
            done
            _tapio_trace_reply "$offered" "$cur"
            return ;;
        --cgroup|--path|--pod-logs|--kubelet-root)
            if declare -F _filedir >/dev/null; then
                _filedir -d
            else
                local IFS=$'\n'
                COMPREPLY=($(compgen -d -- "$cur"))
            fi
            return ;;
        --comm|--container|--pod|--namespace|-d|--duration|-n|--count|--rate-limit|--sample|--sampling-interval|--ring-buffer-size|\
        --max-args|--syscalls-top|--port|--lport|--rport|--min-latency|--top|--min-size|--pressure-threshold)
            return ;;
    esac
    $split && return

    if [ -z "$sub" ]; then
        _tapio_trace_reply "$subcommands $global" "$cur"
        return
    fi
    local extra=""
    case "$sub" in
        proc) extra="$proc_flags" ;;
        net) extra="$net_flags" ;;
        file) extra="$file_flags" ;;
        mem) extra="$mem_flags" ;;
        all) extra="$all_flags" ;;
        # doctor takes only the output flags, schema none.
        doctor) _tapio_trace_reply "-j --json -o --output -v --verbose -h --help" "$cur"; return ;;
        schema) _tapio_trace_reply "-h --help" "$cur"; return ;;
        help) _tapio_trace_reply "${subcommands% help}" "$cur"; return ;;
    esac
    _tapio_trace_reply "$global $extra" "$cur"
}

# COMPREPLY: the words of $1 that start with $2, one per line, never glob-
# expanded (proc.* must stay proc.* whatever files the directory holds).
_tapio_trace_reply() {
    local line
    COMPREPLY=()
    while IFS= read -r line; do
        COMPREPLY+=("$line")
    done < <(compgen -W "$1" -- "$2")
}

complete -F _tapio_trace tapio-trace
