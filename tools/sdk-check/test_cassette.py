"""The cassette reader that the SDK checks take their expectations from: it must decode recorded
streams right, or every SDK check would compare against the wrong thing."""

from __future__ import annotations

import json

from cassette import Cassette, Recording, parse_sse
from harness import DEMO_CASSETTE


def test_sse_parser_handles_crlf_comments_multiline_data_and_a_pending_tail() -> None:
    text = ": keep-alive\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata:3\n\nevent: empty\n\ndata: tail-without-blank-line"
    events = parse_sse(text)
    assert [(e.event, e.data) for e in events] == [("a", "1\n2"), (None, "3")]


def recording(dialect: str, frames: list[str], body: dict[str, object]) -> Recording:
    return Recording.from_line({
        "id": "r", "dialect": dialect, "model": "m", "stream": True, "ending": "complete",
        "request": {"body": {"text": json.dumps(body)}}, "response": {"status": 200},
        "frames": [{"offset_us": 0, "text": frame} for frame in frames],
    })


def test_openai_chat_stream_decodes_text_tool_calls_finish_and_usage() -> None:
    def chunk(delta: dict[str, object] | None, finish: str | None = None, usage: dict[str, int] | None = None) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        return "data: " + json.dumps({"id": "c", "choices": choices, "usage": usage}) + "\n\n"

    frames = [
        chunk({"role": "assistant", "content": "Hel"}),
        # One frame may hold several events, and an event may be split across frames.
        chunk({"content": "lo"}) + chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": "{\"a\""}}]})[:20],
        chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": "{\"a\""}}]})[20:],
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
        chunk({}, finish="tool_calls"),
        chunk(None, usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}),
        "data: [DONE]\n\n",
    ]
    rec = recording("openai_chat", frames, {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]})
    answer = rec.answer()
    assert answer.text == "Hello"
    assert [(c.id, c.name, c.arguments) for c in answer.tool_calls] == [("call_1", "f", "{\"a\":1}")]
    assert answer.finish == "tool_calls"
    assert (answer.usage.input, answer.usage.output, answer.usage.total) == (5, 3, 8)  # type: ignore[union-attr]
    assert len(rec.content_events) == 6 and rec.text_event_indexes() == [0, 1]
    assert (rec.system, rec.prompt) == ("S", "Q")


def test_anthropic_stream_decodes_text_usage_and_counts_pings_as_content_events() -> None:
    def event(name: str, data: dict[str, object]) -> str:
        return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

    frames = [
        event("message_start", {"message": {"usage": {"input_tokens": 9, "output_tokens": 1}}}),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        event("ping", {}),
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hi"}}),
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": " there"}}),
        event("content_block_stop", {"index": 0}),
        event("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
        event("message_stop", {}),
    ]
    rec = recording("anthropic_messages", frames, {"system": "S", "messages": [{"role": "user", "content": [{"type": "text", "text": "Q"}]}]})
    answer = rec.answer()
    assert (answer.text, answer.finish) == ("Hi there", "end_turn")
    assert (answer.usage.input, answer.usage.output) == (9, 4)  # type: ignore[union-attr]
    assert rec.text_event_indexes() == [3, 4]
    assert (rec.system, rec.prompt) == ("S", "Q")


def test_a_cut_recording_decodes_to_the_text_it_got_and_no_usage() -> None:
    cut = Cassette(DEMO_CASSETTE).get("demo-openai-cut")
    answer = cut.answer()
    assert cut.ending == "truncated"
    assert answer.text and answer.usage is None and answer.finish is None
