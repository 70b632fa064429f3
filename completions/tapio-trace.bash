# bash completion for tapio-trace(8)
_tapio_trace() {
    local cur prev words cword
    _init_completion || return

    local subcommands="proc net file mem all doctor schema"
    local global="-j --json -o --output -p --pid --children -e --events --comm -u --uid --cgroup -x --failed -d --duration -n --count
        --rate-limit --sample --sampling-interval --ring-buffer-size -v --verbose --version -h --help"
    local proc_flags="--max-args --threads --syscalls --syscalls-top"
    local net_flags="--port --lport --rport -4 --ipv4 -6 --ipv6 --drops --states"
    local file_flags="--path --min-latency --slow-any-file --top"
    local mem_flags="--min-latency --min-size --pressure-threshold --no-pressure --file-mappings"
    local all_flags="--no-proc --no-net --no-file --no-mem $proc_flags $net_flags $file_flags $mem_flags"

    case "$prev" in
        -o|--output)
            COMPREPLY=($(compgen -W "table json" -- "$cur"))
            return ;;
        -p|--pid)
            COMPREPLY=($(compgen -W "$(command ls /proc 2>/dev/null | grep -E '^[0-9]+$')" -- "$cur"))
            return ;;
        -u|--uid)
            COMPREPLY=($(compgen -W "$(cut -d: -f3 /etc/passwd 2>/dev/null)" -- "$cur"))
            return ;;
        --cgroup|--path)
            _filedir -d
            return ;;
        -e|--events|--comm|-d|--duration|-n|--count|--rate-limit|--sample|--sampling-interval|--ring-buffer-size|\
        --max-args|--syscalls-top|--port|--lport|--rport|--min-latency|--top|--min-size|--pressure-threshold)
            return ;;
    esac

    local sub="" w
    for w in "${words[@]:1:cword-1}"; do
        case " $subcommands " in *" $w "*) sub="$w"; break ;; esac
    done
    if [ -z "$sub" ]; then
        COMPREPLY=($(compgen -W "$subcommands $global" -- "$cur"))
        return
    fi
    local extra=""
    case "$sub" in
        proc) extra="$proc_flags" ;;
        net) extra="$net_flags" ;;
        file) extra="$file_flags" ;;
        mem) extra="$mem_flags" ;;
        all) extra="$all_flags" ;;
        doctor) extra="" ;;
        schema) extra="" ;;
    esac
    COMPREPLY=($(compgen -W "$global $extra" -- "$cur"))
}
complete -F _tapio_trace tapio-trace
