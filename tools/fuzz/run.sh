#!/usr/bin/env bash
# Builds a libFuzzer harness over the project's SSE and Dialects sources and runs it.
#
#   tools/fuzz/run.sh TARGET SECONDS [extra libFuzzer flags…]
#   TARGET: sse | json | openai_chat | openai_responses | anthropic_messages | gemini | all
#
# Needs a Swift toolchain with `-sanitize=fuzzer` (Linux swift.org toolchains have it). Builds
# with coverage and AddressSanitizer into .build/fuzz/, seeds each corpus from fixtures/, runs
# for SECONDS with a memory limit (amplification) and a per-input timeout (hangs). A crash
# leaves its input as .build/fuzz/artifacts/TARGET/crash-…; rerun it with
#   .build/fuzz/bin/fuzz-TARGET .build/fuzz/artifacts/TARGET/crash-…
set -euo pipefail

target=${1:?usage: tools/fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: tools/fuzz/run.sh TARGET SECONDS}
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
work="$root/.build/fuzz"
flags=(-O -parse-as-library -sanitize=fuzzer,address -g)

if [[ "$target" == all ]]; then
    for each in sse json openai_chat openai_responses anthropic_messages gemini; do
        "$0" "$each" "$seconds" "$@"
    done
    exit 0
fi

mkdir -p "$work/modules" "$work/bin" "$work/corpus/$target" "$work/artifacts/$target"

# The two modules, rebuilt only when a source is newer than the last build.
build_module() {
    local name=$1; shift
    local stamp="$work/modules/$name.o"
    if [[ -f "$stamp" ]] && [[ -z "$(find "$root/Sources/$name" -name '*.swift' -newer "$stamp")" ]]; then return; fi
    echo "fuzz: building $name" >&2
    swiftc "${flags[@]}" -wmo -module-name "$name" -I "$work/modules" \
        -emit-module -emit-module-path "$work/modules/$name.swiftmodule" \
        -c $(find "$root/Sources/$name" -name '*.swift' | sort) -o "$stamp"
}
build_module SSE
build_module Dialects

case "$target" in
    sse) harness=SSEParserHarness.swift; defines=() ;;
    json) harness=JSONHarness.swift; defines=() ;;
    openai_chat) harness=DialectHarness.swift; defines=(-D DIALECT_OPENAI_CHAT) ;;
    openai_responses) harness=DialectHarness.swift; defines=(-D DIALECT_OPENAI_RESPONSES) ;;
    anthropic_messages) harness=DialectHarness.swift; defines=(-D DIALECT_ANTHROPIC_MESSAGES) ;;
    gemini) harness=DialectHarness.swift; defines=(-D DIALECT_GEMINI) ;;
    *) echo "fuzz: unknown target '$target' (sse, json, openai_chat, openai_responses, anthropic_messages, gemini, all)" >&2; exit 2 ;;
esac
binary="$work/bin/fuzz-$target"
echo "fuzz: building $binary" >&2
swiftc "${flags[@]}" "${defines[@]}" -I "$work/modules" "$root/tools/fuzz/harnesses/$harness" \
    "$work/modules/SSE.o" "$work/modules/Dialects.o" -o "$binary"

# Seeds: the fixtures, as each harness reads them.
corpus="$work/corpus/$target"
seed() { cp "$1" "$corpus/seed-$2" 2>/dev/null || true; }
case "$target" in
    sse)
        for file in "$root"/fixtures/sse/*.sse "$root"/fixtures/streams/*/*.sse; do seed "$file" "$(basename "$(dirname "$file")")-$(basename "$file")"; done ;;
    json)
        for file in "$root"/fixtures/streams/*/*.json; do seed "$file" "$(basename "$(dirname "$file")")-$(basename "$file")"; done ;;
    *)
        # Selector byte 0: stream; 1: body (status 200… by the high bits); 3: error body.
        for file in "$root/fixtures/streams/$target"/*.sse; do
            { printf '\x00'; cat "$file"; } > "$corpus/seed-stream-$(basename "$file")"
        done
        for file in "$root/fixtures/streams/$target"/*.json; do
            [[ "$(basename "$file")" == outcomes.json ]] && continue
            { printf '\x05'; cat "$file"; } > "$corpus/seed-body-$(basename "$file")"
            { printf '\x03'; cat "$file"; } > "$corpus/seed-error-$(basename "$file")"
        done ;;
esac

echo "fuzz: running $target for ${seconds}s" >&2
# Wire-format keys and extreme numbers, so mutations reach the decoders' interesting branches.
dict=()
[[ "$target" != sse ]] && dict=(-dict="$root/tools/fuzz/wire.dict")
"$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$work/artifacts/$target/" -print_final_stats=1 "$@"
