#!/usr/bin/env bash
# Checks the official openai and anthropic Python SDKs against `tapedeck serve`.
#
#   tools/sdk-check/run.sh [PYTEST ARGS...]
#
# Makes (or reuses) the virtual environment .venv-sdk/ at the repository root, installs the pinned
# SDKs and pytest from requirements.txt when they changed, and runs the suite. The tapedeck binary
# is $TAPEDECK_BIN, else .build/debug/tapedeck (built with `swift build --product tapedeck` when
# absent). Exits with pytest's status: non-zero when any check fails, 2 when setup fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/.venv-sdk"
python="${PYTHON:-python3}"

bin="${TAPEDECK_BIN:-.build/debug/tapedeck}"
[[ "$bin" = /* ]] || bin="$repo/$bin"
if [[ ! -x "$bin" ]]; then
  if [[ -n "${TAPEDECK_BIN:-}" ]]; then
    echo "sdk-check: TAPEDECK_BIN=$TAPEDECK_BIN is not an executable file" >&2
    exit 2
  fi
  echo "sdk-check: no $bin yet, building it: swift build --product tapedeck"
  (cd "$repo" && swift build --product tapedeck) || exit 2
fi
export TAPEDECK_BIN="$bin"

if [[ ! -x "$venv/bin/python" ]]; then
  echo "sdk-check: creating $venv"
  "$python" -m venv "$venv" || exit 2
fi
# Install only when requirements.txt differs from what this venv was last given.
stamp="$venv/.sdk-check-requirements.txt"
if ! cmp -s "$here/requirements.txt" "$stamp"; then
  echo "sdk-check: installing $(grep -v '^#' "$here/requirements.txt" | tr '\n' ' ')"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$here/requirements.txt" || exit 2
  cp "$here/requirements.txt" "$stamp"
fi

cd "$here"
exec "$venv/bin/python" -m pytest "$@"
