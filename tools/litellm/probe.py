#!/usr/bin/env python3
"""Measure how a LiteLLM proxy talks to its upstreams and reports failures, against mock_upstream.

    python3 tools/litellm/probe.py                       # LiteLLM 1.85.0, venv made by check.py
    python3 tools/litellm/probe.py --only chat-inband-429 --out /tmp/probe.jsonl

Starts the mock upstream in process on a free port, starts the proxy with check.py's config
generator and the groups NOTES.md names (PROBE_DEPLOYMENTS), sends each probe request (stream and
non-stream where it matters), and prints what the client got (status, x-litellm-* headers, body or
SSE data lines, elapsed time) beside what the upstream saw (paths, models, forwarded x-* headers,
fault, the tail of the messages). The facts in NOTES.md come from this script's output. Standard
library only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check  # noqa: E402 - the harness's own config and process handling
import mock_upstream  # noqa: E402

QUESTION = [{"role": "user", "content": "Capital of France?"}]

# The groups NOTES.md was measured with (mock_upstream answers any model name). The analyzer's
# scenarios use check.DEPLOYMENTS instead, whose models are the ones its cassette recorded.
PROBE_DEPLOYMENTS = [
    check.Deployment("chat", "openai", "gpt-4o-mini", "primary; falls back across providers to claude"),
    check.Deployment("claude", "anthropic", "claude-sonnet-4-6", "no fallbacks of its own"),
    check.Deployment("haiku", "anthropic", "claude-3-5-haiku-20241022", "falls back to claude"),
    check.Deployment("gemini", "gemini", "gemini-2.5-flash", "a deferred-error provider; falls back to chat"),
]
PROBE_FALLBACKS = [{"chat": ["claude"]}, {"haiku": ["claude"]}, {"gemini": ["chat"]}]


@dataclass
class Probe:
    """One request to the proxy under a fault table for the mock upstream."""

    name: str
    endpoint: str
    body: dict
    faults: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


def chat(model: str, **extra) -> dict:
    return {"model": model, "messages": QUESTION, **extra}


def both_modes(name: str, endpoint: str, body: dict, faults: dict, headers: dict | None = None) -> list[Probe]:
    return [Probe(f"{name}/{mode}", endpoint, {**body, "stream": mode == "stream"}, faults, headers or {})
            for mode in ("stream", "non-stream")]


PROBES: list[Probe] = [
    *both_modes("chat-ok", "/v1/chat/completions", chat("chat"), {}, {"x-tapedeck-fault": "gpt-4o-mini=ok"}),
    Probe("chat-ok-include-usage/stream", "/v1/chat/completions",
          chat("chat", stream=True, stream_options={"include_usage": True})),
    *both_modes("claude-ok", "/v1/chat/completions", chat("claude"), {}, {"x-tapedeck-fault": "ok"}),
    *both_modes("gemini-ok", "/v1/chat/completions", chat("gemini"), {}, {"x-tapedeck-fault": "ok"}),
    *both_modes("responses-chat-ok", "/v1/responses", {"model": "chat", "input": "Capital of France?"}, {},
                {"x-tapedeck-fault": "ok"}),
    *both_modes("responses-claude-ok", "/v1/responses", {"model": "claude", "input": "Capital of France?"}, {},
                {"x-tapedeck-fault": "ok"}),
    *both_modes("messages-haiku-ok", "/v1/messages", chat("haiku", max_tokens=100), {}, {"x-tapedeck-fault": "ok"}),
    *both_modes("messages-chat-ok", "/v1/messages", chat("chat", max_tokens=100), {}, {"x-tapedeck-fault": "ok"}),
    # Failures of the primary with a healthy fallback.
    *both_modes("chat-http-429", "/v1/chat/completions", chat("chat"), {"gpt-4o-mini": ["http:429"]}),
    *both_modes("chat-inband-429", "/v1/chat/completions", chat("chat"), {"gpt-4o-mini": ["error_event:after=3"]}),
    Probe("chat-inband-429-usage/stream", "/v1/chat/completions",
          chat("chat", stream=True, stream_options={"include_usage": True}), {"gpt-4o-mini": ["error_event:after=3"]}),
    Probe("gemini-ok-usage/stream", "/v1/chat/completions",
          chat("gemini", stream=True, stream_options={"include_usage": True})),
    Probe("responses-chat-header/stream", "/v1/responses", {"model": "chat", "input": "Capital of France?", "stream": True},
          {}, {"x-tapedeck-fault": "ok"}),
    *both_modes("chat-inband-429-first", "/v1/chat/completions", chat("chat"), {"gpt-4o-mini": ["error_event:after=0"]}),
    *both_modes("chat-cut", "/v1/chat/completions", chat("chat"), {"gpt-4o-mini": ["cut:after=3"]}),
    *both_modes("chat-stall", "/v1/chat/completions", chat("chat"), {"gpt-4o-mini": ["stall:after=3,seconds=20"]}),
    *both_modes("chat-inband-prefill-rejected", "/v1/chat/completions", chat("chat"),
                {"gpt-4o-mini": ["error_event:after=3"], "claude-sonnet-4-6": ["prefill_400"]}),
    # Everything down: how the final error reaches the client.
    *both_modes("chat-all-http-429", "/v1/chat/completions", chat("chat"), {"*": ["http:429"]}),
    *both_modes("chat-all-inband", "/v1/chat/completions", chat("chat"), {"*": ["error_event:after=3"]}),
    *both_modes("chat-http-500-all", "/v1/chat/completions", chat("chat"), {"*": ["http:500"]}),
    # Per-request fallbacks and disable_fallbacks.
    *both_modes("claude-request-fallbacks", "/v1/chat/completions", chat("claude", fallbacks=["haiku"]),
                {"claude-sonnet-4-6": ["error_event:after=3"]}),
    *both_modes("claude-request-fallbacks-http", "/v1/chat/completions", chat("claude", fallbacks=["haiku"]),
                {"claude-sonnet-4-6": ["http:429"]}),
    *both_modes("chat-disable-fallbacks", "/v1/chat/completions", chat("chat", disable_fallbacks=True),
                {"gpt-4o-mini": ["error_event:after=3"]}),
    *both_modes("chat-disable-fallbacks-http", "/v1/chat/completions", chat("chat", disable_fallbacks=True),
                {"gpt-4o-mini": ["http:429"]}),
    # Other endpoints and providers.
    *both_modes("responses-chat-inband", "/v1/responses", {"model": "chat", "input": "Capital of France?"},
                {"gpt-4o-mini": ["error_event:after=3"]}),
    *both_modes("responses-haiku-inband", "/v1/responses", {"model": "haiku", "input": "Capital of France?"},
                {"claude-3-5-haiku-20241022": ["error_event:after=4"]}),
    *both_modes("messages-haiku-inband", "/v1/messages", chat("haiku", max_tokens=100),
                {"claude-3-5-haiku-20241022": ["error_event:after=4"]}),
    *both_modes("gemini-http-429", "/v1/chat/completions", chat("gemini"), {"gemini-2.5-flash": ["http:429"]}),
    *both_modes("gemini-cut", "/v1/chat/completions", chat("gemini"), {"gemini-2.5-flash": ["cut:after=3"]}),
]


def call(url: str, key: str, probe: Probe, timeout: float = 90) -> dict:
    """Send one probe and return what the client saw."""
    data = json.dumps(probe.body).encode()
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json", **probe.headers}
    request = urllib.request.Request(url + probe.endpoint, data=data, headers=headers, method="POST")
    started = time.monotonic()
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
        status = response.status
    except urllib.error.HTTPError as error:
        response, status = error, error.code
    except Exception as error:  # the probe records any client-side failure as data
        return {"status": None, "client_error": repr(error), "seconds": round(time.monotonic() - started, 2)}
    got_headers = {k.lower(): v for k, v in response.headers.items()
                   if k.lower().startswith("x-litellm") or k.lower() in ("content-type", "retry-after")}
    try:
        raw = response.read()
        read_error = None
    except Exception as error:  # a cut stream surfaces here
        raw, read_error = b"", repr(error)
    text = raw.decode(errors="replace")
    result = {"status": status, "headers": got_headers, "seconds": round(time.monotonic() - started, 2)}
    if read_error:
        result["read_error"] = read_error
    if "text/event-stream" in got_headers.get("content-type", ""):
        result["events"] = [line for line in text.splitlines() if line.strip()]
    else:
        try:
            result["body"] = json.loads(text)
        except ValueError:
            result["body_text"] = text[:2000]
    return result


def upstream_view(entry: dict) -> dict:
    """The parts of an upstream request that matter for the notes."""
    body = entry["body"]
    view = {"path": entry["path"], "query": entry["query"], "model": entry["model"], "stream": entry["stream"],
            "fault": entry["fault"],
            "forwarded_x_headers": sorted(k for k in entry["headers"] if k.startswith("x-") and not k.startswith("x-stainless")),
            "auth_headers": sorted(k for k, v in entry["headers"].items() if v == "<redacted>"),
            "body_keys": sorted(body)}
    messages = body.get("messages") or body.get("contents") or body.get("input")
    if isinstance(messages, list):
        view["messages_tail"] = messages[-2:]
        view["messages_count"] = len(messages)
    for key in ("stream_options", "max_tokens", "max_output_tokens", "system"):
        if key in body:
            view[key] = body[key]
    return view


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--version", default=check.DEFAULT_VERSION)
    parser.add_argument("--only", action="append", help="run only probes whose name starts with this")
    parser.add_argument("--out", default="-", help="JSON lines output (default stdout)")
    args = parser.parse_args(argv)

    litellm = check.ensure_litellm(args.version, sys.executable)
    server = mock_upstream.serve(0, {}, None, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = server.RequestHandlerClass.state
    upstream_port = server.server_address[1]
    port = check.free_port()
    key = "sk-probe-" + str(port)
    work = Path(f"/tmp/tapedeck-litellm-probe-{port}")
    work.mkdir(parents=True, exist_ok=True)
    config_path = work / "config.yaml"
    config_path.write_text(check.to_yaml(check.build_config(upstream_port, key, PROBE_DEPLOYMENTS, PROBE_FALLBACKS)))
    processes = check.Processes()
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    try:
        with open(work / "proxy.log", "wb") as sink:
            proxy = processes.start("litellm", [str(litellm), "--config", str(config_path), "--host", "127.0.0.1",
                                                "--port", str(port)],
                                    stdout=sink, stderr=subprocess.STDOUT, env=check.litellm_env(), cwd=str(work))
        startup = check.wait_for_liveliness(f"http://127.0.0.1:{port}", proxy, work / "proxy.log", 120)
        print(json.dumps({"probe": "startup", "seconds": round(startup, 2), "version": args.version,
                          "proxy_log": str(work / "proxy.log")}), file=out, flush=True)
        for probe in PROBES:
            if args.only and not any(probe.name.startswith(prefix) for prefix in args.only):
                continue
            with state.lock:
                state.faults = {k: list(v) for k, v in probe.faults.items()}
            state.reset()
            client = call(f"http://127.0.0.1:{port}", key, probe)
            time.sleep(0.2)  # let a fallback still in flight log its upstream request
            with state.lock:
                upstream = [upstream_view(entry) for entry in state.requests]
            print(json.dumps({"probe": probe.name, "endpoint": probe.endpoint, "faults": probe.faults,
                              "request": probe.body, "client": client, "upstream": upstream}), file=out, flush=True)
    finally:
        processes.stop_all()
        server.shutdown()
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
