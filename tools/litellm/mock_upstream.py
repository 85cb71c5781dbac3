#!/usr/bin/env python3
"""A tiny stand-in for the OpenAI, Anthropic and Gemini APIs, for probing what a gateway sends.

It logs every request (path, query, headers with auth values masked, JSON body) as one JSON line
and answers with a minimal valid response or stream in the provider's shape. It exists to learn,
empirically, how a LiteLLM proxy talks to its upstreams; Tapedeck's own replay server is what the
harness uses for real checks.

    python3 tools/litellm/mock_upstream.py --port 8790 --log /tmp/mock.jsonl \
        --fault gpt-4o-mini=error_event:after=2

Routes (each also under /openai, /anthropic, /gemini, and with or without /v1):
  POST /v1/chat/completions, POST /v1/responses           OpenAI
  POST /v1/messages                                       Anthropic
  POST /v1beta/models/{model}:generateContent             Gemini
  POST /v1beta/models/{model}:streamGenerateContent       Gemini (alt=sse)
Admin:
  GET  /_mock/requests        every logged request so far (a JSON list)
  POST /_mock/reset           forget logged requests and attempt counters
  POST /_mock/faults          replace the fault table: {"model": "spec" | ["spec", ...]}

Fault specs (a list applies attempt by attempt, the last entry repeating):
  ok | http:STATUS | error_event:after=N | cut:after=N | stall:after=N,seconds=S
  | prefill_400 (answer 400 when the last message is an assistant turn, else ok)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SECRET_HEADERS = {"authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization", "cookie"}
WORDS = ["Paris", " is", " the", " capital", " of", " France", "."]


class MockState:
    """Logged requests and per-model fault schedules, shared by all handler threads."""

    def __init__(self, faults: dict[str, list[str]], log_path: str | None, quiet: bool = False):
        self.lock = threading.Lock()
        self.quiet = quiet
        self.faults = faults
        self.attempts: dict[str, int] = {}
        self.requests: list[dict] = []
        self.log_path = log_path

    def record(self, entry: dict) -> None:
        line = json.dumps(entry, sort_keys=True)
        with self.lock:
            self.requests.append(entry)
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
        if not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def next_fault(self, model: str) -> tuple[int, str]:
        with self.lock:
            attempt = self.attempts.get(model, 0) + 1
            self.attempts[model] = attempt
            schedule = self.faults.get(model) or self.faults.get("*") or ["ok"]
            return attempt, schedule[min(attempt, len(schedule)) - 1]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.attempts.clear()


def parse_fault(spec: str) -> tuple[str, dict[str, float]]:
    """`kind:key=value,…` -> (kind, {key: number})."""
    kind, _, rest = spec.partition(":")
    params: dict[str, float] = {}
    for part in filter(None, rest.split(",")):
        key, has_value, value = part.partition("=")
        if has_value:
            params[key.strip()] = float(value)
        else:  # `http:429` is short for `http:status=429`
            params["status"] = float(key)
    return kind.strip(), params


def provider_route(path: str) -> tuple[str, str | None, bool]:
    """(api, model-in-path, path-says-stream) for a request path, api in openai_chat|openai_responses|anthropic|gemini."""
    for prefix in ("/openai", "/anthropic", "/gemini"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix):]
            break
    if path.endswith("/chat/completions"):
        return "openai_chat", None, False
    if path.endswith("/responses"):
        return "openai_responses", None, False
    if path.endswith("/messages"):
        return "anthropic", None, False
    if "/models/" in path and ":" in path:
        model_part, _, method = path.rsplit("/", 1)[1].partition(":")
        return "gemini", model_part, method == "streamGenerateContent"
    return "unknown", None, False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: MockState  # set on the subclass by serve()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # every request is logged as JSON by record() instead

    # -- plumbing -------------------------------------------------------------------------------

    def read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, obj, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- admin ----------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/_mock/requests"):
            with self.state.lock:
                self.send_json(200, list(self.state.requests))
        else:
            self.send_json(404, {"error": {"message": f"no route GET {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802
        raw = self.read_body()
        url = urlsplit(self.path)
        if url.path == "/_mock/reset":
            self.state.reset()
            return self.send_json(200, {"ok": True})
        if url.path == "/_mock/faults":
            table = json.loads(raw or b"{}")
            with self.state.lock:
                self.state.faults = {k: ([v] if isinstance(v, str) else list(v)) for k, v in table.items()}
                self.state.attempts.clear()
            return self.send_json(200, {"ok": True})

        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsed": raw.decode(errors="replace")}
        api, path_model, path_stream = provider_route(url.path)
        model = path_model or body.get("model") or "unknown"
        stream = path_stream or bool(body.get("stream"))
        attempt, spec = self.state.next_fault(model)
        self.state.record({
            "time": time.time(), "method": "POST", "path": url.path, "query": parse_qs(url.query),
            "headers": {k.lower(): ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in self.headers.items()},
            "body": body, "api": api, "model": model, "stream": stream, "attempt": attempt, "fault": spec,
        })
        kind, params = parse_fault(spec)
        if kind == "prefill_400":
            kind = "http" if last_message_is_assistant(api, body) else "ok"
            params = {"status": 400, "prefill": 1}
        if kind == "http":
            status = int(params.get("status", 500))
            return self.send_json(status, error_body(api, status, bool(params.get("prefill"))))
        if api == "unknown":
            return self.send_json(404, {"error": {"message": f"no route POST {url.path}"}})
        if not stream:
            return self.non_stream(api, model, body, kind, params)
        self.stream(api, model, body, kind, params)

    def non_stream(self, api: str, model: str, body: dict, kind: str, params: dict[str, float]) -> None:
        """The non-stream twin of each stream fault, as in Tapedeck's fault table."""
        if kind == "error_event":  # the HTTP status the in-band error means
            status = 529 if api == "anthropic" else 429
            return self.send_json(status, error_body(api, status, False))
        if kind == "stall":
            time.sleep(params.get("seconds", 30))
        data = json.dumps(non_stream_body(api, model, body)).encode()
        if kind != "cut":
            return self.send_json(200, non_stream_body(api, model, body))
        self.send_response(200)  # announce the whole body, send half of it, close
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True

    def stream(self, api: str, model: str, body: dict, kind: str, params: dict[str, float]) -> None:
        events = stream_events(api, model, body)
        terminator = events.pop() if api != "gemini" else None
        limit = int(params.get("after", len(events))) if kind != "ok" else len(events)
        self.start_stream()
        try:
            for event in events[:limit]:
                self.chunk(event)
                time.sleep(0.01)
            if kind == "cut":
                self.wfile.flush()
                self.close_connection = True
                return  # no final chunk: the client sees an incomplete chunked body
            if kind == "stall":
                time.sleep(params.get("seconds", 30))
            if kind == "error_event":
                self.chunk(in_band_error(api))
                return self.end_stream()
            for event in events[limit:]:
                self.chunk(event)
            if terminator:
                self.chunk(terminator)
            self.end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def last_message_is_assistant(api: str, body: dict) -> bool:
    messages = body.get("messages") or body.get("contents") or []
    if not messages:
        return False
    last = messages[-1]
    return last.get("role") in ("assistant", "model")


def error_body(api: str, status: int, prefill: bool) -> dict:
    if api == "anthropic":
        kind = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error"}.get(status, "api_error")
        message = ("This model does not support assistant message prefill. "
                   "The conversation must end with a user message.") if prefill else f"mock {status}"
        return {"type": "error", "error": {"type": kind, "message": message}}
    if api == "gemini":
        return {"error": {"code": status, "message": f"mock {status}", "status": "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL"}}
    kind = {429: "rate_limit_exceeded", 400: "invalid_request_error"}.get(status, "server_error")
    return {"error": {"message": f"mock {status}", "type": kind, "param": None, "code": kind}}


def in_band_error(api: str) -> str:
    if api == "anthropic":
        return 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    if api == "openai_responses":
        return ('event: error\ndata: {"type":"error","sequence_number":99,"code":"rate_limit_exceeded",'
                '"message":"Rate limit reached","param":null}\n\n')
    if api == "gemini":
        return 'data: {"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}\n\n'
    return ('data: {"error":{"message":"Rate limit reached for requests","type":"rate_limit_error",'
            '"param":null,"code":"rate_limit_exceeded"}}\n\n')


def answer_words(body: dict) -> list[str]:
    """The answer in pieces; after an assistant prefill, only the rest of it, as a real model continues."""
    full = "".join(WORDS)
    prefill = assistant_prefill(body)
    if prefill and full.startswith(prefill) and prefill != full:
        return re.findall(r"\s*\S+", full[len(prefill):])
    return list(WORDS)


def assistant_prefill(body: dict) -> str:
    """The text of a trailing assistant turn (OpenAI, Anthropic or Gemini shape), else ''."""
    messages = body.get("messages") or body.get("contents") or []
    if not messages or messages[-1].get("role") not in ("assistant", "model"):
        return ""
    last = messages[-1]
    content = last.get("content", last.get("parts"))
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def non_stream_body(api: str, model: str, body: dict) -> dict:
    text = "".join(answer_words(body))
    if api == "openai_chat":
        return {"id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}}
    if api == "openai_responses":
        return {"id": "resp_mock", "object": "response", "created_at": int(time.time()), "status": "completed",
                "model": model, "output": [responses_message(text)],
                "usage": {"input_tokens": 9, "output_tokens": 7, "total_tokens": 16}}
    if api == "anthropic":
        return {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 9, "output_tokens": 7}}
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 7, "totalTokenCount": 16},
            "modelVersion": model}


def responses_message(text: str) -> dict:
    return {"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def sse(data: dict, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n"


def stream_events(api: str, model: str, body: dict) -> list[str]:
    """The whole stream, terminator last (Gemini has none)."""
    words = answer_words(body)
    if api == "openai_chat":
        base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        events = [sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})]
        events += [sse({**base, "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}) for w in words]
        events.append(sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(sse({**base, "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}}))
        return events + ["data: [DONE]\n\n"]
    if api == "openai_responses":
        resp = {"id": "resp_mock", "object": "response", "created_at": int(time.time()), "status": "in_progress",
                "model": model, "output": []}
        seq = iter(range(1000))
        events = [sse({"type": "response.created", "sequence_number": next(seq), "response": resp}, "response.created"),
                  sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": 0,
                       "item": {**responses_message(""), "status": "in_progress", "content": []}}, "response.output_item.added"),
                  sse({"type": "response.content_part.added", "sequence_number": next(seq), "item_id": "msg_mock",
                       "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}},
                      "response.content_part.added")]
        events += [sse({"type": "response.output_text.delta", "sequence_number": next(seq), "item_id": "msg_mock",
                        "output_index": 0, "content_index": 0, "delta": w}, "response.output_text.delta") for w in words]
        text = "".join(words)
        events += [sse({"type": "response.output_text.done", "sequence_number": next(seq), "item_id": "msg_mock",
                        "output_index": 0, "content_index": 0, "text": text}, "response.output_text.done"),
                   sse({"type": "response.content_part.done", "sequence_number": next(seq), "item_id": "msg_mock",
                        "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}},
                       "response.content_part.done"),
                   sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": 0,
                        "item": responses_message(text)}, "response.output_item.done")]
        done = {**resp, "status": "completed", "output": [responses_message(text)],
                "usage": {"input_tokens": 9, "output_tokens": 7, "total_tokens": 16}}
        return events + [sse({"type": "response.completed", "sequence_number": next(seq), "response": done}, "response.completed")]
    if api == "anthropic":
        events = [sse({"type": "message_start", "message": {"id": "msg_mock", "type": "message", "role": "assistant",
                       "model": model, "content": [], "stop_reason": None, "stop_sequence": None,
                       "usage": {"input_tokens": 9, "output_tokens": 1}}}, "message_start"),
                  sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                      "content_block_start"),
                  sse({"type": "ping"}, "ping")]
        events += [sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}},
                       "content_block_delta") for w in words]
        events += [sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
                   sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": 7}}, "message_delta")]
        return events + [sse({"type": "message_stop"}, "message_stop")]
    events = [sse({"candidates": [{"content": {"role": "model", "parts": [{"text": w}]}, "index": 0}],
                   "modelVersion": model}) for w in words[:-1]]
    events.append(sse({"candidates": [{"content": {"role": "model", "parts": [{"text": words[-1]}]},
                                       "finishReason": "STOP", "index": 0}],
                       "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 7, "totalTokenCount": 16},
                       "modelVersion": model}))
    return events


class QuietServer(ThreadingHTTPServer):
    """A threading server that does not print a traceback when a client drops a kept-alive connection."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(port: int, faults: dict[str, list[str]], log_path: str | None, quiet: bool = False) -> ThreadingHTTPServer:
    """A mock server bound to 127.0.0.1:port (0 for any free port), not yet serving."""
    handler = type("BoundHandler", (Handler,), {"state": MockState(faults, log_path, quiet)})
    server = QuietServer(("127.0.0.1", port), handler)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--log", help="append one JSON line per request to this file")
    parser.add_argument("--fault", action="append", default=[], metavar="MODEL=SPEC[;SPEC…]",
                        help="fault schedule for an upstream model ('*' for any)")
    args = parser.parse_args(argv)
    faults: dict[str, list[str]] = {}
    for item in args.fault:
        model, _, specs = item.partition("=")
        faults[model] = specs.split(";")
    server = serve(args.port, faults, args.log)
    print(f"mock upstream on http://127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
