#!/usr/bin/env bash
# The benchmark models' int8 outputs on linux-arm64 against linux-x64, bit for bit: publishes tests/QuantGen.AotBench as a
# self-contained linux-arm64 program (JIT; the models assembly is the IL the x64 build made), runs one Predict per int8
# model under qemu-aarch64 on qemu's default CPU (the AdvSimd+Dp path) and on "-cpu cortex-a53" (no dot product: the
# AdvSimd path), runs the same call natively on x64 (the path this CPU selects: AVX-VNNI, AVX-512BW or AVX2), and compares
# the FNV-1a hashes of the outputs. Ends with "succeeded: N failed: N" (the counts .ci/run adds up).
# Options (environment): MODELS_ARM64_FILTER=<extended regex over model names> (default: every int8 model).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${MODELS_ARM64_OUT:-$root/artifacts/models-arm64}"
proj="$root/tests/QuantGen.AotBench/QuantGen.AotBench.csproj"
filter="${MODELS_ARM64_FILTER:-int8}"

bash "$root/tests/install-arm64-runtime-deps.sh" || { echo "installing qemu failed"; echo "   succeeded: 0 failed: 1"; exit 1; }
rm -rf "$out"
echo "== building tests/QuantGen.AotBench (x64, JIT) and publishing it for linux-arm64 (self-contained, JIT)"
if ! dotnet build "$proj" -c Release -nologo -v:q >/dev/null; then echo "build failed"; echo "   succeeded: 0 failed: 1"; exit 1; fi
if ! dotnet publish "$proj" -c Release -r linux-arm64 --self-contained -p:PublishAot=false -o "$out" -nologo -v:q >/dev/null; then
  echo "arm64 publish failed"; echo "   succeeded: 0 failed: 1"; exit 1
fi
x64=(dotnet "$root/tests/QuantGen.AotBench/bin/Release/net10.0/QuantGen.AotBench.dll")
# W^X off under qemu-user (see run-kernel-tests-arm64.sh).
arm() { (cd "$out" && DOTNET_EnableWriteXorExecute=0 qemu-aarch64 "$@"); }
echo "   x64:   $("${x64[@]}" 0 none | head -1)"
echo "   arm64: $(arm ./QuantGen.AotBench 0 none | head -1)"
echo "   arm64 -cpu cortex-a53: $(arm -cpu cortex-a53 ./QuantGen.AotBench 0 none | head -1)"
passed=0; failed=0
while IFS= read -r model; do
  hx="$("${x64[@]}" 0 "$model" | tail -1 | cut -f3)"
  for cpu in default cortex-a53; do
    if [ "$cpu" = default ]; then ha="$(arm ./QuantGen.AotBench 0 "$model" | tail -1 | cut -f3)"; else ha="$(arm -cpu "$cpu" ./QuantGen.AotBench 0 "$model" | tail -1 | cut -f3)"; fi
    if [ -n "$hx" ] && [ "$hx" = "$ha" ]; then passed=$((passed + 1)); echo "   ok: $model, arm64 ($cpu) = x64: $hx"
    else failed=$((failed + 1)); echo "   FAILED: $model, arm64 ($cpu) $ha vs x64 $hx"; fi
  done
done < <("${x64[@]}" --list | grep -E "$filter")
echo "   succeeded: $passed failed: $failed"
[ "$failed" -eq 0 ]
