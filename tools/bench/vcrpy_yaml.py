#!/usr/bin/env python3
"""Write Tapedeck JSONL interactions as a vcrpy YAML cassette, with vcrpy's own serializer.

    vcrpy_yaml.py IN.jsonl OUT.yaml

Used by `cassette-bench --storage --vcrpy PYTHON` to measure what the same interactions take as
a vcrpy cassette. Each interaction becomes what vcrpy records for an HTTP call: a `vcr.request.Request`
(method, absolute URI, body, headers) and a response dict (`status`, `headers` as lists,
`body.string` holding the whole body; a stream's frames concatenated, vcrpy keeps no timing).
Needs vcrpy (`pip install vcrpy`).
"""

import base64
import json
import sys

from vcr.request import Request
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

# Where each provider's requests go; vcrpy keys interactions by absolute URI.
HOSTS = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
}
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable", 529: "Overloaded"}


def body_bytes(field) -> bytes:
    """A JSONL bytes object: {"text": …} or {"base64": …}."""
    if not field:
        return b""
    if "base64" in field:
        return base64.b64decode(field["base64"])
    return field.get("text", "").encode("utf-8")


def main(source: str, target: str) -> None:
    requests, responses = [], []
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            request = item["request"]
            uri = HOSTS.get(item["provider"], "https://llm.invalid") + request["target"]
            headers = {}
            for name, value in request["headers"]:
                headers[name] = value
            requests.append(Request(request["method"], uri, body_bytes(request.get("body")), headers))
            response = item.get("response") or {"status": 0, "headers": []}
            if "frames" in item:
                body = b"".join(body_bytes(frame) for frame in item["frames"])
            else:
                body = body_bytes(item.get("body"))
            response_headers = {}
            for name, value in response["headers"]:
                response_headers.setdefault(name, []).append(value)
            status = response["status"]
            responses.append({
                "status": {"code": status, "message": REASONS.get(status, "")},
                "headers": response_headers,
                "body": {"string": body},
            })
    text = serialize({"requests": requests, "responses": responses}, yamlserializer)
    with open(target, "w", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: vcrpy_yaml.py IN.jsonl OUT.yaml")
    main(sys.argv[1], sys.argv[2])
