#!/usr/bin/env python3
"""A stand-in for `tapedeck analyze --target …`, to check the harness end to end without Swift.

Accepts the arguments check.py passes, serves mock_upstream on --upstream-port, sends one
non-stream and one stream request per model group through the target, writes
`fake-report.json` into --report, and exits with --exit-code (default: 0 if every call got 200).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import check  # noqa: E402
import mock_upstream  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["analyze"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--target-key", required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--scenarios", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--cassette", required=True)
    parser.add_argument("--deadline", type=float, required=True)
    parser.add_argument("--exit-code", type=int)
    args = parser.parse_args()

    server = mock_upstream.serve(args.upstream_port, {}, None, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = []
    for group in (deployment.group for deployment in check.DEPLOYMENTS):
        for stream in (False, True):
            body = json.dumps({"model": group, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
            request = urllib.request.Request(
                f"{args.target}/v1/chat/completions", data=body.encode(),
                headers={"authorization": f"Bearer {args.target_key}", "content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    results.append({"group": group, "stream": stream, "status": response.status,
                                    "bytes": len(response.read())})
            except Exception as error:  # recorded, and turns the exit code non-zero
                results.append({"group": group, "stream": stream, "status": None, "error": repr(error)})
    upstream = [entry["path"] for entry in server.RequestHandlerClass.state.requests]
    server.shutdown()
    Path(args.report).mkdir(parents=True, exist_ok=True)
    report = {"scenarios_file": args.scenarios, "cassette": args.cassette, "deadline": args.deadline,
              "results": results, "upstream_paths": upstream}
    (Path(args.report) / "fake-report.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.exit_code is not None:
        return args.exit_code
    return 0 if all(result["status"] == 200 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
