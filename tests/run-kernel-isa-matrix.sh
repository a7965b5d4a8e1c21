#!/usr/bin/env bash
# Runs the kernel tests (tests/QuantGen.Kernels.Tests) once per x64 instruction-set configuration of the JIT, so that the
# dispatch in every kernel (folded from IsSupported checks) is exercised on each path, not only the per-ISA entry points:
# default, DOTNET_EnableAVX512=0, DOTNET_PreferredVectorBitWidth=256, DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0.
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

# The best path with everything enabled depends on the CPU: AVX-512BW when present, else AVX2.
best_default="$(grep -qw avx512bw /proc/cpuinfo && echo AVX-512BW || echo AVX2)"
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
run "DOTNET_EnableAVX512=0" AVX2 DOTNET_EnableAVX512=0
run "DOTNET_PreferredVectorBitWidth=256" AVX2 DOTNET_PreferredVectorBitWidth=256
run "DOTNET_EnableAVX2=0" Vector128 DOTNET_EnableAVX2=0
run "DOTNET_EnableHWIntrinsic=0" scalar DOTNET_EnableHWIntrinsic=0
exit $status
