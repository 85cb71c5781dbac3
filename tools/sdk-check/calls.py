"""The three SDK surfaces under test, each able to send a recorded conversation (optionally with a
fault header) in either mode and collect the text it received, so fault tests can run the same
check against every surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import anthropic
import openai

from cassette import Recording
from harness import anthropic_client, openai_client
from replay_server import ReplayServer

FAULT_HEADER = "x-tapedeck-fault"
RESPONSES_TERMINATORS = {"response.completed", "response.incomplete", "response.failed"}


def fault_headers(fault: Optional[str]) -> dict[str, str]:
    return {FAULT_HEADER: fault} if fault else {}


def chat_messages(recording: Recording) -> list[dict[str, str]]:
    """The recorded conversation as Chat Completions messages."""
    messages = [{"role": "system", "content": recording.system}] if recording.system else []
    return messages + [{"role": "user", "content": recording.prompt}]


def anthropic_arguments(recording: Recording) -> dict[str, Any]:
    """The recorded conversation as Messages arguments (the recorded `max_tokens` when there is one)."""
    arguments: dict[str, Any] = {
        "model": recording.model,
        "max_tokens": recording.request.get("max_tokens", 1024),
        "messages": [{"role": "user", "content": recording.prompt}],
    }
    if recording.system:
        arguments["system"] = recording.system
    return arguments


def _chat(server: ReplayServer, recording: Recording, stream: bool, fault: Optional[str], received: list[str],
          **options: Any) -> None:
    with openai_client(server, **options) as client:
        request = {"model": recording.model, "messages": chat_messages(recording), "extra_headers": fault_headers(fault)}
        if not stream:
            completion = client.chat.completions.create(**request)
            received.append(completion.choices[0].message.content or "")
            return
        for chunk in client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}):
            received.extend(choice.delta.content or "" for choice in chunk.choices)


def _responses(server: ReplayServer, recording: Recording, stream: bool, fault: Optional[str], received: list[str],
               **options: Any) -> None:
    with openai_client(server, **options) as client:
        request = {"model": recording.model, "instructions": recording.system, "input": recording.prompt,
                   "extra_headers": fault_headers(fault)}
        if not stream:
            received.append(client.responses.create(**request).output_text)
            return
        for event in client.responses.create(**request, stream=True):
            if event.type == "response.output_text.delta":
                received.append(event.delta)


def _messages(server: ReplayServer, recording: Recording, stream: bool, fault: Optional[str], received: list[str],
              **options: Any) -> None:
    with anthropic_client(server, **options) as client:
        request = {**anthropic_arguments(recording), "extra_headers": fault_headers(fault)}
        if not stream:
            message = client.messages.create(**request)
            received.append("".join(block.text for block in message.content if block.type == "text"))
            return
        with client.messages.stream(**request) as events:
            for text in events.text_stream:
                received.append(text)
            events.get_final_message()


@dataclass(frozen=True)
class Surface:
    """One SDK call surface: which SDK, which model of analyze-demo it asks, which path it calls."""

    name: str
    sdk: Any  # the SDK module: its exception classes are the ones this surface raises
    model: str
    endpoint: str
    send: Callable[..., None]

    def __str__(self) -> str:
        return self.name

    def run(self, server: ReplayServer, recording: Recording, *, stream: bool, fault: Optional[str] = None,
            received: Optional[list[str]] = None, **options: Any) -> str:
        """Sends the recorded conversation; returns the text received, or raises what the SDK raises
        (the text received so far is then in `received`)."""
        pieces = [] if received is None else received
        self.send(server, recording, stream, fault, pieces, **options)
        return "".join(pieces)

    def stream_pieces(self, server: ReplayServer, recording: Recording) -> list[str]:
        """The text carried by each content event of a clean stream (`""` for events without text),
        indexed as fault positions count them (`after=N`, `at=N`)."""
        if self.name != "openai.responses":
            # Same dialect, same mode: the replay is frame-exact, so the cassette is the reference.
            return [recording.answer([event]).text for event in recording.content_events]
        # A Responses stream is synthesized from a Chat recording; its own clean replay is the
        # reference (OpenAI streams have no pings, so every wire event reaches the SDK).
        with openai_client(server) as client:
            events = client.responses.create(model=recording.model, instructions=recording.system,
                                             input=recording.prompt, stream=True)
            return [event.delta if event.type == "response.output_text.delta" else ""
                    for event in events if event.type not in RESPONSES_TERMINATORS]


CHAT = Surface("openai.chat", openai, "gpt-4o", "/openai/v1/chat/completions", _chat)
RESPONSES = Surface("openai.responses", openai, "gpt-4o", "/openai/v1/responses", _responses)
MESSAGES = Surface("anthropic.messages", anthropic, "claude-sonnet-4-6", "/anthropic/v1/messages", _messages)
SURFACES = [CHAT, RESPONSES, MESSAGES]
