#!/usr/bin/env bash
# NativeAOT vs JIT on the benchmark models: builds tests/QuantGen.AotBench for the JIT and publishes it as a NativeAOT
# binary (linux-x64, the package's default instruction set unless IlcInstructionSet=... is set in the environment), then
# runs both on each model in turn (JIT, then AOT, same input) and prints a markdown table of medians, the AOT / JIT ratio
# and whether the outputs are bit-identical.
# Usage: bash tests/run-aot-bench.sh [seconds per model, default 3]   (IlcInstructionSet=native bash tests/run-aot-bench.sh)
# JIT_ENV="DOTNET_EnableAVX512=0" bash tests/run-aot-bench.sh limits the JIT to the instruction sets the default binary has
# (x86-64-v3 plus AVX-VNNI), so the ratio shows NativeAOT's code, not the ISA.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proj="$root/tests/QuantGen.AotBench/QuantGen.AotBench.csproj"
seconds="${1:-3}"
isa_arg=(); [ -n "${IlcInstructionSet:-}" ] && isa_arg=("-p:IlcInstructionSet=$IlcInstructionSet")
out="$root/tests/QuantGen.AotBench/bin/aot-linux-x64${IlcInstructionSet:+-$IlcInstructionSet}"
dotnet build "$proj" -c Release -nologo -v:q >/dev/null
dotnet publish "$proj" -c Release -r linux-x64 -nologo -v:q "${isa_arg[@]}" -o "$out" >/dev/null
jit=(env ${JIT_ENV:-} dotnet "$root/tests/QuantGen.AotBench/bin/Release/net10.0/QuantGen.AotBench.dll")
aot=("$out/QuantGen.AotBench")
isa="$(dotnet msbuild "$proj" -getProperty:IlcInstructionSet -p:RuntimeIdentifier=linux-x64 "${isa_arg[@]}")"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 -o -w -E 'avx_vnni' /proc/cpuinfo || echo 'no avx_vnni') $(grep -m1 -o -w 'avx512bw' /proc/cpuinfo || true)"
echo "JIT${JIT_ENV:+ ($JIT_ENV)}: $("${jit[@]}" 0 none | head -1)"
echo "AOT (IlcInstructionSet=${isa:-<.NET default>}): $("${aot[@]}" 0 none | head -1)"
echo
echo "| model | JIT us | NativeAOT us | AOT / JIT | outputs |"
echo "|---|---:|---:|---:|---|"
"${jit[@]}" --list | while IFS= read -r model; do
  j="$("${jit[@]}" "$seconds" "$model" | tail -1)"
  a="$("${aot[@]}" "$seconds" "$model" | tail -1)"
  jt="$(cut -f2 <<<"$j")"; at="$(cut -f2 <<<"$a")"
  same="$([ "$(cut -f3 <<<"$j")" = "$(cut -f3 <<<"$a")" ] && echo identical || echo differ)"
  echo "| $model | $jt | $at | $(awk -v a="$at" -v j="$jt" 'BEGIN { printf "%.2f", a / j }') | $same |"
done
