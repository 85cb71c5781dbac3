"""Reads a JSONL cassette with the standard library and decodes what each recording answered.

The SDK checks compare what an official SDK returns with what the cassette holds, so the expected
text, usage and tool calls come from here: the recorded SSE frames decoded independently of
Tapedeck (its Swift decoders are what is under test).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

# Events that end a stream rather than carry content; fault positions (`after=N`, `at=N`) count
# the events before them only (docs/faults.md, "content events").
TERMINATORS = {"[DONE]", "message_stop", "response.completed", "response.incomplete", "response.failed"}


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched server-sent event: its type (None when absent) and its data."""

    event: Optional[str]
    data: str

    @property
    def name(self) -> str:
        """The event's type, else the `type` of its JSON data, else the raw data (`[DONE]`)."""
        if self.event:
            return self.event
        payload = self.json()
        if isinstance(payload, dict) and isinstance(payload.get("type"), str):
            return payload["type"]
        return self.data

    def json(self) -> Any:
        try:
            return json.loads(self.data)
        except ValueError:
            return None

    @property
    def is_terminator(self) -> bool:
        return self.name in TERMINATORS


def parse_sse(text: str) -> list[SSEEvent]:
    """Splits an SSE stream into events: CRLF, CR and LF end lines, a blank line dispatches,
    comments are skipped, multi-line data joins with LF, an event without data is not dispatched."""
    events: list[SSEEvent] = []
    event_type: Optional[str] = None
    data: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line == "":
            if data:
                events.append(SSEEvent(event_type, "\n".join(data)))
            event_type, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            event_type = value
        elif name == "data":
            data.append(value)
    return events


@dataclass(frozen=True)
class ToolCall:
    """A function call the model made: provider id, function name, arguments as sent (JSON text)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    """Token counts as the provider reported them; `total` only where the provider sends one."""

    input: int
    output: int
    total: Optional[int] = None


@dataclass
class Answer:
    """What a recorded response amounted to for a client."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Optional[Usage] = None
    finish: Optional[str] = None
    error: Optional[dict[str, Any]] = None


@dataclass(frozen=True)
class Recording:
    """One interaction of a cassette, as its JSONL line holds it."""

    id: str
    dialect: str
    model: str
    stream: bool
    ending: str
    status: int
    request: dict[str, Any]
    frames: tuple[str, ...]

    @classmethod
    def from_line(cls, line: dict[str, Any]) -> "Recording":
        body = line["request"]["body"]
        return cls(
            id=line["id"],
            dialect=line["dialect"],
            model=line["model"],
            stream=bool(line["stream"]),
            ending=line["ending"],
            status=int(line["response"]["status"]),
            request=json.loads(body["text"]) if body and body.get("text") else {},
            frames=tuple(frame["text"] for frame in line.get("frames") or []),
        )

    # The conversation, whatever the dialect recorded it in.

    @property
    def system(self) -> Optional[str]:
        if self.dialect == "anthropic_messages":
            return self.request.get("system")
        return next((m["content"] for m in self.request.get("messages", []) if m["role"] == "system"), None)

    @property
    def prompt(self) -> str:
        """The text of the last user message."""
        users = [m for m in self.request.get("messages", []) if m["role"] == "user"]
        content = users[-1]["content"]
        if isinstance(content, str):
            return content
        return "".join(part.get("text", "") for part in content)

    # The recorded stream.

    @property
    def events(self) -> list[SSEEvent]:
        return parse_sse("".join(self.frames))

    @property
    def content_events(self) -> list[SSEEvent]:
        """The events a fault's `after=N` / `at=N` counts: all but the terminator."""
        return [event for event in self.events if not event.is_terminator]

    def answer(self, events: Optional[Iterable[SSEEvent]] = None) -> Answer:
        """Decodes the recorded stream, or only `events` of it (e.g. the first N content events)."""
        decode = DECODERS.get(self.dialect)
        if decode is None:
            raise ValueError(f"recording {self.id}: no decoder for dialect {self.dialect!r}")
        return decode(list(self.events if events is None else events))

    def text_event_indexes(self) -> list[int]:
        """Indexes (among content events) of the events that carry answer text."""
        return [i for i, event in enumerate(self.content_events) if self.answer([event]).text]


def _decode_openai_chat(events: list[SSEEvent]) -> Answer:
    answer = Answer()
    calls: dict[int, dict[str, str]] = {}
    for event in events:
        chunk = event.json()
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error"):
            answer.error = chunk["error"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            answer.text += delta.get("content") or ""
            for piece in delta.get("tool_calls") or []:
                call = calls.setdefault(piece["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] = piece.get("id") or call["id"]
                function = piece.get("function") or {}
                call["name"] = function.get("name") or call["name"]
                call["arguments"] += function.get("arguments") or ""
            answer.finish = choice.get("finish_reason") or answer.finish
        usage = chunk.get("usage")
        if usage:
            answer.usage = Usage(usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
    answer.tool_calls = [ToolCall(**calls[index]) for index in sorted(calls)]
    return answer


def _decode_anthropic(events: list[SSEEvent]) -> Answer:
    answer = Answer()
    blocks: dict[int, dict[str, str]] = {}
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    for event in events:
        payload = event.json()
        if not isinstance(payload, dict):
            continue
        kind = payload.get("type")
        if kind == "message_start":
            usage = payload["message"].get("usage") or {}
            input_tokens = usage.get("input_tokens", input_tokens)
            output_tokens = usage.get("output_tokens", output_tokens)
        elif kind == "content_block_start":
            block = payload["content_block"]
            if block["type"] == "tool_use":
                blocks[payload["index"]] = {"id": block["id"], "name": block["name"], "arguments": ""}
            answer.text += block.get("text") or ""
        elif kind == "content_block_delta":
            delta = payload["delta"]
            if delta["type"] == "text_delta":
                answer.text += delta["text"]
            elif delta["type"] == "input_json_delta":
                blocks[payload["index"]]["arguments"] += delta["partial_json"]
        elif kind == "message_delta":
            answer.finish = (payload.get("delta") or {}).get("stop_reason") or answer.finish
            usage = payload.get("usage") or {}
            output_tokens = usage.get("output_tokens", output_tokens)
            input_tokens = usage.get("input_tokens", input_tokens)
        elif kind == "error":
            answer.error = payload.get("error")
    if input_tokens is not None and output_tokens is not None:
        answer.usage = Usage(input_tokens, output_tokens)
    answer.tool_calls = [ToolCall(**blocks[index]) for index in sorted(blocks)]
    return answer


DECODERS = {"openai_chat": _decode_openai_chat, "anthropic_messages": _decode_anthropic}


class Cassette:
    """The recordings of one JSONL cassette, in recorded order."""

    def __init__(self, path: Path):
        self.path = path
        with path.open(encoding="utf-8") as handle:
            self.recordings = [Recording.from_line(json.loads(line)) for line in handle if line.strip()]

    def get(self, recording_id: str) -> Recording:
        for recording in self.recordings:
            if recording.id == recording_id:
                return recording
        raise KeyError(f"{self.path.name} has no recording {recording_id!r}")

    def of_model(self, model: str) -> list[Recording]:
        return [recording for recording in self.recordings if recording.model == model]

    def find(self, model: str, prompt: str) -> Recording:
        """The recording of `model` answering the conversation whose last user message is `prompt`."""
        for recording in self.of_model(model):
            if recording.prompt == prompt:
                return recording
        raise KeyError(f"{self.path.name} has no recording of {model} answering {prompt!r}")
