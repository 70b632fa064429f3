#!/usr/bin/env bash
# Installs what building and testing tapio-trace needs, from Debian's archive,
# only if something is missing (so a second run touches no network).
set -euo pipefail

packages=(
  g++ cmake make clang llvm
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev
  # live tests: network namespaces and packet filters
  iproute2 nftables
  # live tests: strace as ground truth, and the git in its workload (tar,
  # gzip and gcc are already there: essential, and g++'s dependency)
  strace git
  # the completions test: bash with and without bash-completion, zsh, fish
  bash-completion zsh fish
  # the deploy test: parses deploy/daemonset.yaml
  python3-yaml
)
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  # live tests: a real 32-bit (-m32) program for the compat tests
  packages+=(gcc-multilib)
fi
if [ "${1:-}" = "--bench" ]; then
  # peers the benchmark compares against
  packages+=(libbpf-tools bpftrace util-linux)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tapio-trace: missing packages: ${missing[*]}; run this as root (sudo) to install them" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
