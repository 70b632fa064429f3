#!/usr/bin/env bash
# The shell completions, driven by the real shells, and `cmake --install`:
#   completions_test.sh SOURCE_DIR BUILD_DIR
# 1. bash, with and without the bash-completion package, zsh (compinit in a
#    pseudo-terminal) and fish complete subcommands, flags and the record
#    types of -e/--events (also after a comma) from the source tree's files.
# 2. `cmake --install` to another prefix, to /usr and to /usr/local (the
#    default) under DESTDIR: the binary is stripped, each completion lands
#    in a directory its shell searches by default for that prefix, and the
#    shell completes with it from there.
# Needs bash-completion, zsh and fish (scripts/deps.sh); exits 77 (skipped)
# without them.
set -uo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)

missing=()
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
command -v zsh >/dev/null || missing+=(zsh)
command -v fish >/dev/null || missing+=(fish)
if [ ${#missing[@]} -gt 0 ]; then
  echo "skipped: missing ${missing[*]} (scripts/deps.sh installs them)"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/cwd"
# Files a completion that glob-expands would offer instead of proc.*.
touch "$tmp/cwd/proc.exec-file" "$tmp/cwd/net.x"
cd "$tmp/cwd"
# The shells see no user configuration and the default search paths.
export HOME=$tmp/home
unset XDG_DATA_DIRS XDG_DATA_HOME XDG_CONFIG_HOME BASH_COMPLETION_USER_DIR

# Called from command substitutions too: counted in a file, told on stderr.
fail() {
  echo "FAIL: $*" >&2
  echo >>"$tmp/failures"
}

# expect NAME OUTPUT [+WORD | -WORD]...: OUTPUT (one candidate per line,
# anything after a tab ignored) has each +WORD and no -WORD.
expect() {
  local name=$1 out=$2 want
  shift 2
  local words
  words=$(printf '%s\n' "$out" | cut -f1)
  for want in "$@"; do
    local w=${want:1}
    if [[ $want == +* ]]; then
      grep -qxF -- "$w" <<<"$words" || fail "$name: no '$w' among: $(tr '\n' ' ' <<<"$words")"
    else
      grep -qxF -- "$w" <<<"$words" && fail "$name: '$w' offered: $(tr '\n' ' ' <<<"$words")"
    fi
  done
  return 0
}

# ---- bash ---------------------------------------------------------------
# bash_complete PRELUDE LINE: COMPREPLY for LINE (the cursor at its end),
# words split as readline does (at blanks, and at '=' into its own word),
# after PRELUDE (commands that load the completion). stderr is kept: any
# output there (`_init_completion: command not found`) is a failure.
bash_complete() {
  local prelude=$1 line=$2
  bash --norc --noprofile -c '
    prelude=$1 line=$2
    eval "$prelude"
    read -ra parts <<<"$line"
    COMP_WORDS=()
    for p in "${parts[@]}"; do
      while [[ $p == *=* ]]; do
        [ -n "${p%%=*}" ] && COMP_WORDS+=("${p%%=*}")
        COMP_WORDS+=("=")
        p=${p#*=}
      done
      [ -n "$p" ] && COMP_WORDS+=("$p")
    done
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$line COMP_POINT=${#line}
    fn=$(complete -p tapio-trace 2>/dev/null | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    [ -n "$fn" ] || { echo "no completion registered for tapio-trace" >&2; exit 1; }
    "$fn" tapio-trace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"
  ' bash "$prelude" "$line" 2>"$tmp/bash.err"
  [ -s "$tmp/bash.err" ] && fail "bash ($line): stderr: $(cat "$tmp/bash.err")"
  return 0
}

bash_cases() {
  local how=$1 prelude=$2
  expect "bash $how: subcommands" "$(bash_complete "$prelude" 'tapio-trace ')" \
    +proc +net +file +mem +all +doctor +schema +--json
  expect "bash $how: flags" "$(bash_complete "$prelude" 'tapio-trace net --')" \
    +--port +--json +--events ---max-args
  expect "bash $how: output" "$(bash_complete "$prelude" 'tapio-trace -o ')" +table +json
  expect "bash $how: help" "$(bash_complete "$prelude" 'tapio-trace ')" +help
  expect "bash $how: help SUBCOMMAND" "$(bash_complete "$prelude" 'tapio-trace help ')" +net +doctor -help -'--json'
  expect "bash $how: doctor's flags" "$(bash_complete "$prelude" 'tapio-trace doctor -')" +--json +-o +-v ---pid ---rate-limit
  expect "bash $how: user names" "$(bash_complete "$prelude" 'tapio-trace proc -u nob')" +nobody
  expect "bash $how: record types" "$(bash_complete "$prelude" 'tapio-trace all -e pro')" \
    +proc.exec +proc.fork '+proc.*' -proc.exec-file -net.connect
  expect "bash $how: after a comma" "$(bash_complete "$prelude" 'tapio-trace all --events proc.exec,ne')" \
    +proc.exec,net.connect '+proc.exec,net.*' -net.connect
  expect "bash $how: the subcommand's area" "$(bash_complete "$prelude" 'tapio-trace file -e ')" \
    +file.open '+file.*' -proc.exec -net.x
  expect "bash $how: --events=" "$(bash_complete "$prelude" 'tapio-trace mem --events=mem.o')" +mem.oom_kill
  mkdir -p "$tmp/cwd/cgdir"
  expect "bash $how: --cgroup" "$(bash_complete "$prelude" 'tapio-trace --cgroup cg')" +cgdir
}

without="source $(printf %q "$src/completions/tapio-trace.bash")"
with="source /usr/share/bash-completion/bash_completion; $without"
bash_cases "without bash-completion" "$without"
bash_cases "with bash-completion" "$with"
# What a user without bash-completion sees: no function of that package.
bash --norc --noprofile -c "$without; declare -F _init_completion _filedir" >/dev/null &&
  fail "bash without bash-completion: its functions are defined, so that case tested nothing"

# ---- zsh ----------------------------------------------------------------
# zsh_complete FPATH_DIR LINE: what a <TAB> after LINE offers in an
# interactive zsh (in a pseudo-terminal) with compinit and FPATH_DIR first
# in $fpath; compadd writes the matches to a file.
cat >"$tmp/zsh_complete.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
local dir=$1 out=$2 line=$3 i
rm -f $out
zpty tt zsh -f -i
# compinit writes its dump once, to the scratch directory; later runs read it.
zpty -w tt "PS1=''; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -d ${(q)out:h}/zcompdump"
zpty -w tt "compadd() { if (( \${@[(I)-[OAD]]} )); then builtin compadd \"\$@\"; return; fi; local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >>${(q)out}; builtin compadd \"\$@\"; }"
zpty -w tt "_tt_done() { print -r -- '<done>' >>${(q)out} }; comppostfuncs=(_tt_done)"
zpty -w -n tt "$line"$'\t'
for i in {1..200}; do
  [[ -f $out ]] && grep -q '^<done>$' $out && break
  zpty -r -t tt junk 2>/dev/null
  sleep 0.05
done
zpty -d tt
EOF
zsh_complete() {
  zsh -f "$tmp/zsh_complete.zsh" "$1" "$tmp/zsh.out" "$2"
  grep -q '^<done>$' "$tmp/zsh.out" 2>/dev/null || fail "zsh ($2): completion did not finish"
  grep -v '^<done>$' "$tmp/zsh.out" 2>/dev/null
}
zsh_cases() {
  local how=$1 dir=$2
  expect "zsh $how: subcommands" "$(zsh_complete "$dir" 'tapio-trace ')" +proc +net +doctor +schema
  expect "zsh $how: flags" "$(zsh_complete "$dir" 'tapio-trace net --p')" +--port +--pid
  expect "zsh $how: help" "$(zsh_complete "$dir" 'tapio-trace ')" +help
  expect "zsh $how: help SUBCOMMAND" "$(zsh_complete "$dir" 'tapio-trace help ')" +net +doctor
  expect "zsh $how: doctor's flags" "$(zsh_complete "$dir" 'tapio-trace doctor --')" +--json +--verbose ---pid ---rate-limit
  expect "zsh $how: record types" "$(zsh_complete "$dir" 'tapio-trace all -e pro')" \
    +proc.exec +proc.fork '+proc.*' -net.connect
  expect "zsh $how: after a comma" "$(zsh_complete "$dir" 'tapio-trace all -e proc.exec,ne')" \
    +net.connect '+net.*' -proc.exec
  expect "zsh $how: the subcommand's area" "$(zsh_complete "$dir" 'tapio-trace file --events ')" \
    +file.open -proc.exec
}
zsh_cases "source tree" "$src/completions"

# ---- fish ---------------------------------------------------------------
# fish loads a command's completion file only when the command is found in
# $PATH: a stand-in for it when the installed binary is not in PATH.
mkdir -p "$tmp/stand-in"
printf '#!/bin/sh\n' >"$tmp/stand-in/tapio-trace"
chmod +x "$tmp/stand-in/tapio-trace"
# fish_complete COMMANDS LINE: `complete -C LINE` after COMMANDS.
fish_complete() {
  PATH=$tmp/stand-in:$PATH fish -c "$1; complete -C $(printf %q "$2")" 2>"$tmp/fish.err"
  [ -s "$tmp/fish.err" ] && fail "fish ($2): stderr: $(cat "$tmp/fish.err")"
  return 0
}
fish_cases() {
  local how=$1 setup=$2
  expect "fish $how: subcommands" "$(fish_complete "$setup" 'tapio-trace ')" +proc +net +doctor +schema
  expect "fish $how: flags" "$(fish_complete "$setup" 'tapio-trace net --p')" +--port +--pid
  expect "fish $how: help" "$(fish_complete "$setup" 'tapio-trace ')" +help
  expect "fish $how: help SUBCOMMAND" "$(fish_complete "$setup" 'tapio-trace help ')" +net +doctor
  expect "fish $how: doctor's flags" "$(fish_complete "$setup" 'tapio-trace doctor --')" +--json +--verbose ---pid ---rate-limit
  expect "fish $how: user names" "$(fish_complete "$setup" 'tapio-trace proc -u nob')" +nobody
  expect "fish $how: record types" "$(fish_complete "$setup" 'tapio-trace all -e pro')" \
    +proc.exec +proc.fork '+proc.*' -net.connect
  expect "fish $how: after a comma" "$(fish_complete "$setup" 'tapio-trace all -e proc.exec,ne')" \
    +proc.exec,net.connect '+proc.exec,net.*' -net.connect
  expect "fish $how: the subcommand's area" "$(fish_complete "$setup" 'tapio-trace file --events=')" \
    +--events=file.open ---events=proc.exec
}
fish_cases "source tree" "set -p fish_complete_path $(printf %q "$src/completions")"

# ---- cmake --install ----------------------------------------------------
# With a completion directory set in the cache, an install to a scratch
# prefix would write to that directory: check nothing then.
if grep -qE '^TAPIO_(BASH|ZSH|FISH)_COMPLETION_DIR:[A-Z]+=.' "$build/CMakeCache.txt"; then
  fail "the install checks need the directories chosen by prefix: unset TAPIO_*_COMPLETION_DIR in $build"
  exit 1
fi
# install DESTDIR PREFIX: cmake --install into DESTDIR (empty: none).
install_to() {
  if ! DESTDIR=$1 cmake --install "$build" --prefix "$2" >"$tmp/install.log" 2>&1; then
    fail "cmake --install --prefix $2 (DESTDIR=$1): $(cat "$tmp/install.log")"
  fi
}

stripped() {
  local bin=$1
  [ -x "$bin" ] || { fail "no installed binary $bin"; return; }
  readelf -S --wide "$bin" | grep -qE '\.(debug_[a-z]+|symtab) ' && fail "$bin is not stripped"
  return 0
}

# The same file as the source tree's, so what sections 1-3 showed holds.
installed() {
  local file=$1 from=$2
  if [ ! -f "$file" ]; then
    fail "not installed: $file ($(cd "$(dirname "$file")/../../.." 2>/dev/null && find . -type f | tr '\n' ' '))"
    return 1
  fi
  cmp -s "$file" "$src/completions/$from" || fail "$file differs from completions/$from"
}

# The directories each shell searches by default: bash-completion's loader
# (as its xtrace shows which directories it tries), zsh's $fpath, fish's
# $fish_complete_path.
bash_dirs=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/bash_completion
  set -x; __load_completion tapio-trace-no-such-command' 2>&1 |
  sed -n "s/^+* *\[\[ -d \(.*\) \]\]$/\1/p")
zsh_dirs=$(zsh -c 'print -l $fpath')
fish_dirs=$(fish -c 'printf "%s\n" $fish_complete_path')
[ -n "$bash_dirs" ] || fail "could not see bash-completion's directories"
searched() {
  local shell=$1 dir=$2 dirs=$3
  grep -qxF -- "$dir" <<<"$dirs" || fail "$shell does not search $dir by default; it searches: $(tr '\n' ' ' <<<"$dirs")"
}

# DESTDIR installs for /usr/local (cmake's default prefix) and /usr: each
# file where that system's shells look.
for prefix in /usr/local /usr; do
  dest=$tmp/dest$(tr / _ <<<"$prefix")
  install_to "$dest" "$prefix"
  # install_manifest.txt lists the files without DESTDIR: each is under it.
  while IFS= read -r f; do
    [ -f "$dest$f" ] || fail "DESTDIR=$dest: $f was not installed under DESTDIR"
  done <"$build/install_manifest.txt"
  stripped "$dest$prefix/sbin/tapio-trace"
  bash_dir=$prefix/share/bash-completion/completions
  zsh_dir=$prefix/share/zsh/site-functions
  fish_dir=$prefix/share/fish/vendor_completions.d
  if [ "$prefix" = /usr ]; then
    [ -f /etc/debian_version ] && zsh_dir=/usr/share/zsh/vendor-completions
  else
    fish_dir=/etc/fish/completions
  fi
  installed "$dest$bash_dir/tapio-trace" tapio-trace.bash && searched bash "$bash_dir" "$bash_dirs"
  installed "$dest$zsh_dir/_tapio-trace" _tapio-trace && searched zsh "$zsh_dir" "$zsh_dirs"
  installed "$dest$fish_dir/tapio-trace.fish" tapio-trace.fish && searched fish "$fish_dir" "$fish_dirs"
  # From where it was installed, each shell completes with it.
  expect "installed $prefix: bash (bash-completion)" "$(bash_complete \
    "source /usr/share/bash-completion/bash_completion; XDG_DATA_DIRS=$dest$prefix/share __load_completion tapio-trace" \
    'tapio-trace all -e proc.exec,fi')" +proc.exec,file.open
  expect "installed $prefix: bash (sourced)" "$(bash_complete "source $dest$bash_dir/tapio-trace" 'tapio-trace pr')" +proc
  expect "installed $prefix: zsh" "$(zsh_complete "$dest$zsh_dir" 'tapio-trace all -e net.c')" +net.connect +net.close
  expect "installed $prefix: fish" \
    "$(fish_complete "set -p fish_complete_path $dest$fish_dir" 'tapio-trace all -e mem.')" +mem.oom_kill
done

# Any other prefix (a home directory, /opt/...): everything under it, found
# through the usual variables, the installed binary in PATH.
p=$tmp/prefix
install_to "" "$p"
stripped "$p/sbin/tapio-trace"
installed "$p/share/bash-completion/completions/tapio-trace" tapio-trace.bash
installed "$p/share/zsh/site-functions/_tapio-trace" _tapio-trace
installed "$p/share/fish/vendor_completions.d/tapio-trace.fish" tapio-trace.fish
outside=$(grep -vF "$p/" "$build/install_manifest.txt")
[ -z "$outside" ] || fail "install to $p wrote outside it: $outside"
expect "prefix: bash" "$(bash_complete \
  "source /usr/share/bash-completion/bash_completion; XDG_DATA_DIRS=$p/share __load_completion tapio-trace" \
  'tapio-trace n')" +net
expect "prefix: fish" "$(PATH=$p/sbin:$PATH XDG_DATA_DIRS=$p/share fish -c 'complete -C "tapio-trace n"')" +net

if [ -s "$tmp/failures" ]; then
  echo "$(wc -l <"$tmp/failures") failure(s)"
  exit 1
fi
echo "completions and install: all checks passed"
