#!/usr/bin/env bash
# Replay server throughput: streams/s and frames/s at --speed max with 100 concurrent clients.
# Usage: tools/bench/replay-bench.sh [--connections 100] [--seconds 10] [--tapedeck PATH]
# Needs wrk (Debian: apt-get install wrk). Builds the release binary unless --tapedeck is given.
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=100
seconds=10
tapedeck=""
while (($#)); do
  case "$1" in
    --connections) connections=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --tapedeck) tapedeck=$2; shift 2 ;;
    *) echo "replay-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "replay-bench: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [[ -z $tapedeck ]]; then
  swift build -c release --product tapedeck >/dev/null
  tapedeck=.build/release/tapedeck
fi
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$tapedeck" serve --cassette fixtures/cassettes/analyze-demo.jsonl --listen 127.0.0.1:0 --speed max > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q " on http://" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -1)
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"Give me three short tips for writing reliable retry logic."}]}'
LUA
frames=$(curl -s -N "$url/v1/chat/completions" -H 'content-type: application/json' \
  -d "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$work/post.lua")" | grep -c '^data:')
echo "replay-bench: $url, $frames frames per stream, $connections connections, ${seconds}s"
wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/post.lua" "$url/v1/chat/completions" | tee "$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
awk -v r="$rps" -v f="$frames" 'BEGIN { printf "replay-bench: %.0f streams/s, %.0f frames/s\n", r, r * f }'
