#!/usr/bin/env bash
# Runs the kernel tests (tests/QuantGen.Kernels.Tests) as linux-arm64 under qemu user-mode emulation: once with the CPU's
# dot-product instructions (the AdvSimd+Dp path is the best path), once with DOTNET_EnableArm64Dp=0 and once on a
# Cortex-A53 model (no Dp at all: the AdvSimd path). Each run also tests every other path this CPU supports directly.
# Fails if any run fails. Installs qemu and the arm64 runtime libraries only when they are missing (needs root).
# Optional: KERNEL_TEST_BUILD_ARGS="..." extra arguments for dotnet publish.
#
# DOTNET_EnableWriteXorExecute=0 is required under qemu-user: with W^X the runtime writes JIT code through a second (RW)
# mapping of the executable pages, qemu does not see those writes and keeps executing stale translations. Seen here as
# tests of unsupported paths reported "passed" in 0 ms instead of skipped, and as a SIGILL ("Illegal instruction")
# in a test method; with the switch the counts are exact and stable.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${KERNEL_TEST_ARM64_OUT:-$root/artifacts/kernel-tests-arm64}"

bash "$root/tests/install-arm64-runtime-deps.sh"

echo "== publishing tests/QuantGen.Kernels.Tests for linux-arm64 (self-contained) to $out"
rm -rf "$out"
# shellcheck disable=SC2086
dotnet publish "$root/tests/QuantGen.Kernels.Tests/QuantGen.Kernels.Tests.csproj" -c Release -r linux-arm64 --self-contained \
  -o "$out" -nologo -v:q ${KERNEL_TEST_BUILD_ARGS:-}

status=0
run() { # name, expected best path, qemu args, env...
  local name="$1" expected="$2" qargs="$3"; shift 3
  echo "== arm64 run: $name (expecting best path $expected)"
  local log; log="$(mktemp)"
  if (cd "$out" && env DOTNET_EnableWriteXorExecute=0 QUANTGEN_EXPECTED_PATH="$expected" "$@" qemu-aarch64 $qargs ./QuantGen.Kernels.Tests --progress off --no-ansi) >"$log" 2>&1; then
    echo "   passed"
  else
    echo "   FAILED"; grep -A4 "^failed" "$log" | head -60 || true; status=1
  fi
  grep -E "^\s+(total|failed|succeeded|skipped):" "$log" | tr -s ' ' | paste -sd' ' | sed 's/^/   /'
  rm -f "$log"
}
run "default (SDOT)" "AdvSimd+Dp" ""
run "DOTNET_EnableArm64Dp=0" "AdvSimd" "" DOTNET_EnableArm64Dp=0
run "-cpu cortex-a53" "AdvSimd" "-cpu cortex-a53"
exit $status
