#!/usr/bin/env bash
# The Digits sample as a linux-arm64 NativeAOT binary under qemu: cross-publishes it (clang + lld and the arm64 C runtime
# from Debian's packages, installed when missing; needs root), runs it under qemu-aarch64 on qemu's default CPU and on
# "-cpu cortex-a53" (no dot-product instructions; each run prints the int8 kernel path it took) and natively as the x64
# NativeAOT binary, each with --accuracy-only (accuracy and a hash of all 1,797 x 10 output scores per precision), and
# requires the int8 lines (accuracy and hash) to be identical everywhere: int8 results are bit-identical on x64 and arm64.
# Float32 lines are printed for information (float32 may differ in the last bits across ISAs).
# Ends with "succeeded: N failed: N" for its checks (the counts .ci/run adds up).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${AOT_ARM64_OUT:-$root/artifacts/digits-aot}"

need_apt=()
command -v qemu-aarch64 >/dev/null 2>&1 || need_apt+=(qemu-user)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
command -v ld.lld >/dev/null 2>&1 || need_apt+=(lld)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
for p in libc6-dev:arm64 libgcc-12-dev:arm64 zlib1g-dev:arm64; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || { echo "apt-get install failed"; echo "   succeeded: 0 failed: 1"; exit 1; }
fi

rm -rf "$out"
echo "== publishing samples/Digits as NativeAOT for linux-arm64 and linux-x64"
if ! dotnet publish "$root/samples/Digits/Digits.csproj" -c Release -r linux-arm64 -p:LinkerFlavor=lld -o "$out/arm64" -nologo -v:q; then
  echo "arm64 publish failed"; echo "   succeeded: 0 failed: 1"; exit 1
fi
if ! dotnet publish "$root/samples/Digits/Digits.csproj" -c Release -r linux-x64 -o "$out/x64" -nologo -v:q; then
  echo "x64 publish failed"; echo "   succeeded: 0 failed: 1"; exit 1
fi
file "$out/arm64/Digits" 2>/dev/null | sed 's/^/   /' || true

x64="$("$out/x64/Digits" --accuracy-only 2>&1)"
sdot="$(cd "$out/arm64" && qemu-aarch64 ./Digits --accuracy-only 2>&1)"
a53="$(cd "$out/arm64" && qemu-aarch64 -cpu cortex-a53 ./Digits --accuracy-only 2>&1)"
printf '== x64 NativeAOT\n%s\n== arm64 NativeAOT under qemu (default CPU)\n%s\n== arm64 NativeAOT under qemu -cpu cortex-a53 (no SDOT)\n%s\n' "$x64" "$sdot" "$a53" | sed 's/^/   /'
passed=0; failed=0
check() { # name, expected, actual
  if [ -n "$2" ] && [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "   ok: $1"; else failed=$((failed + 1)); echo "   FAILED: $1"; fi
}
int8() { grep -E '^int8 (accuracy|outputs)' <<<"$1"; }
check "x64 int8 accuracy and output hash present" "2" "$(int8 "$x64" | wc -l | tr -d ' ')"
check "arm64 (default CPU) int8 lines equal x64's" "$(int8 "$x64")" "$(int8 "$sdot")"
check "arm64 (cortex-a53, no SDOT) int8 lines equal x64's" "$(int8 "$x64")" "$(int8 "$a53")"
echo "   succeeded: $passed failed: $failed"
[ "$failed" -eq 0 ]
