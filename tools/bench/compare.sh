#!/usr/bin/env bash
# Side-by-side benchmarks, each running both systems in one run on the same loopback upstream and
# traffic, in release builds:
#   recorder  `tapedeck record` vs mitmproxy (reverse mode, streaming) vs nginx (when installed) vs direct
#             (recorder-bench --phases compare; with --pin, each proxy on its own CPU)
#   gateway   `tapedeck route` vs LiteLLM proxy, same config and upstream, 50 clients (gateway-bench --litellm)
#   storage   cassette file vs vcrpy YAML vs gzip -9 of the raw bytes            (cassette-bench --storage)
#
# Usage: tools/bench/compare.sh [--only recorder|gateway|storage] [--runs N] [--venvs DIR]
#                               [--litellm PATH_TO_LITELLM_BIN] [--mitmdump PATH] [--nginx PATH] [--pin]
# Peers live in virtual environments outside the repository (default /work/venvs, or $TAPEDECK_BENCH_VENVS):
# mitmproxy 11.0.2 in DIR/mitm, vcrpy in DIR/vcrpy, both created when missing. LiteLLM: --litellm, else
# the venv tools/litellm/check.py creates (.venv-litellm-1.85.0 at the repository root), else
# DIR/litellm-1.85.0, where litellm[proxy]==1.85.0 is installed only if none of these exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
only=""
runs=1
venvs=${TAPEDECK_BENCH_VENVS:-/work/venvs}
litellm=""
mitmdump=""
nginx=$(command -v nginx || true)
pin=()
while (($#)); do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --venvs) venvs=$2; shift 2 ;;
    --litellm) litellm=$2; shift 2 ;;
    --mitmdump) mitmdump=$2; shift 2 ;;
    --nginx) nginx=$2; shift 2 ;;
    --pin) pin=(--pin); shift ;;
    *) echo "compare: unknown option $1" >&2; exit 2 ;;
  esac
done
wants() { [[ -z $only || $only == "$1" ]]; }
say() { echo "compare: $*" >&2; }

# A venv at $1 with the pip requirement $2, unless $1/bin/$3 already exists.
ensure_venv() {
  local dir=$1 requirement=$2 probe=$3
  if [[ ! -x $dir/bin/$probe ]]; then
    say "installing $requirement into $dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --disable-pip-version-check -q "$requirement"
  fi
}

if wants recorder && [[ -z $mitmdump ]]; then
  ensure_venv "$venvs/mitm" "mitmproxy==11.0.2" mitmdump
  mitmdump=$venvs/mitm/bin/mitmdump
fi
if wants gateway && [[ -z $litellm ]]; then
  if [[ -x .venv-litellm-1.85.0/bin/litellm ]]; then
    litellm=.venv-litellm-1.85.0/bin/litellm
  else
    ensure_venv "$venvs/litellm-1.85.0" "litellm[proxy]==1.85.0" litellm
    litellm=$venvs/litellm-1.85.0/bin/litellm
  fi
fi
if wants storage; then
  ensure_venv "$venvs/vcrpy" "vcrpy" python
  "$venvs/vcrpy/bin/python" -c "import vcr" 2>/dev/null || "$venvs/vcrpy/bin/pip" install --disable-pip-version-check -q vcrpy
fi

for product in recorder-bench gateway-bench cassette-bench; do
  say "building $product (release)"
  swift build -c release --product "$product" 2>&1 | grep -E "error|Compiling|Build" >&2 || true
done

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
for run in $(seq "$runs"); do
  echo
  echo "######## run $run of $runs"
  if wants recorder; then
    peers=(--mitmdump "$mitmdump")
    [[ -n $nginx ]] && peers+=(--nginx "$nginx")
    echo; echo "load $(cut -d" " -f1-3 /proc/loadavg)"; echo "#### recorder: direct vs tapedeck record vs mitmproxy ($("$mitmdump" --version | head -1))${nginx:+ vs nginx ($("$nginx" -v 2>&1))}"
    .build/release/recorder-bench --phases compare "${peers[@]}" "${pin[@]}" --streams 50,200
  fi
  if wants gateway; then
    echo; echo "load $(cut -d" " -f1-3 /proc/loadavg)"; echo "#### gateway: direct vs tapedeck route vs LiteLLM ($("${litellm%/litellm}/python" -m pip show litellm 2>/dev/null | grep '^Version' || echo "$litellm"))"
    .build/release/gateway-bench --clients 50 --requests 1 --paced-requests 1 --litellm "$litellm"
  fi
  if wants storage; then
    echo; echo "load $(cut -d" " -f1-3 /proc/loadavg)"; echo "#### storage: cassette vs vcrpy YAML (vcrpy $("$venvs/vcrpy/bin/python" -c 'import vcr; print(vcr.__version__)')) vs gzip -9"
    .build/release/cassette-bench --storage --vcrpy "$venvs/vcrpy/bin/python" --mb 32
  fi
done
