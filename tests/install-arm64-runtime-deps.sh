#!/usr/bin/env bash
# Installs what running linux-arm64 .NET programs under qemu user-mode emulation needs, only what is missing (needs root):
# qemu-user and the arm64 C/C++ runtime, ICU, zlib and OpenSSL libraries. Sourced or run by the scripts that use qemu-aarch64.
set -euo pipefail
need_apt=()
command -v qemu-aarch64 >/dev/null 2>&1 || need_apt+=(qemu-user qemu-user-static binfmt-support)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
for p in libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libicu72:arm64 zlib1g:arm64 libssl3:arm64; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
