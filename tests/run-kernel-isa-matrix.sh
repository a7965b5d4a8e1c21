#!/usr/bin/env bash
# Runs the kernel tests (tests/QuantGen.Kernels.Tests) once per x64 instruction-set configuration of the JIT, so that the
# dispatch in every kernel (folded from IsSupported checks) is exercised on each path, not only the per-ISA entry points:
# default, DOTNET_EnableAVXVNNI=0, DOTNET_EnableAVX512=0 (with and without VNNI), DOTNET_PreferredVectorBitWidth=256,
# DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0. The AVX-VNNI path runs only on CPUs that have it (qemu-user 7.2 cannot
# emulate it: with -cpu max,+avx-vnni it warns that TCG lacks the feature and AvxVnni.IsSupported is false inside).
# Each run states the best path it expects (QUANTGEN_EXPECTED_PATH, checked by a test). Fails if any run fails.
# Optional: KERNEL_TEST_BUILD_ARGS="..." extra arguments for dotnet build; KERNEL_TEST_NO_BUILD=1 to reuse the last build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proj="$root/tests/QuantGen.Kernels.Tests/QuantGen.Kernels.Tests.csproj"
if [ "${KERNEL_TEST_NO_BUILD:-0}" != 1 ]; then
  # shellcheck disable=SC2086
  dotnet build "$proj" -c Release -nologo -v:q ${KERNEL_TEST_BUILD_ARGS:-}
fi
app="$root/tests/QuantGen.Kernels.Tests/bin/Release/net10.0/QuantGen.Kernels.Tests"

# The best path with everything enabled depends on the CPU: AVX-VNNI when present, else AVX-512BW when present, else AVX2.
has() { grep -qw "$1" /proc/cpuinfo; }
best_wide="$(has avx512bw && echo AVX-512BW || echo AVX2)"
best_256="$(has avx_vnni && echo AVX-VNNI || echo AVX2)"
best_default="$(has avx_vnni && echo AVX-VNNI || echo "$best_wide")"
status=0
run() { # name, expected best path, env...
  local name="$1" expected="$2"; shift 2
  echo "== x64 run: $name (expecting best path $expected)"
  local log; log="$(mktemp)"
  if env QUANTGEN_EXPECTED_PATH="$expected" "$@" "$app" --progress off --no-ansi >"$log" 2>&1; then
    echo "   passed"
  else
    echo "   FAILED"; grep -A4 "^failed" "$log" | head -60 || true; status=1
  fi
  grep -E "^\s+(total|failed|succeeded|skipped):" "$log" | tr -s ' ' | paste -sd' ' | sed 's/^/   /'
  rm -f "$log"
}
run "default" "$best_default"
run "DOTNET_EnableAVXVNNI=0" "$best_wide" DOTNET_EnableAVXVNNI=0
run "DOTNET_EnableAVX512=0" "$best_256" DOTNET_EnableAVX512=0
run "DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0" AVX2 DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0
run "DOTNET_PreferredVectorBitWidth=256" "$best_256" DOTNET_PreferredVectorBitWidth=256
run "DOTNET_EnableAVX2=0" Vector128 DOTNET_EnableAVX2=0
run "DOTNET_EnableHWIntrinsic=0" scalar DOTNET_EnableHWIntrinsic=0
exit $status
