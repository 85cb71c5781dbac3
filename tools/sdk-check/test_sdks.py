"""The official `openai` and `anthropic` Python SDKs against `tapedeck serve`.

Expected texts, usage and tool calls are decoded from the cassettes here (cassette.py), never
written down. Each test starts with an empty ledger and checks the attempts it caused.
Exceptions are asserted exactly as the pinned SDK versions raise them (see README.md).
"""

from __future__ import annotations

import json
from typing import Any, Optional

import anthropic
import httpx2
import openai
import pytest

from conftest import VIAS
from calls import CHAT, MESSAGES, RESPONSES, SURFACES, Surface, anthropic_arguments, chat_messages
from cassette import Cassette, Recording
from harness import ANALYZE_CASSETTE, DEMO_CASSETTE, Listening, anthropic_client, openai_client
from replay_server import ReplayServer

ANALYZE = Cassette(ANALYZE_CASSETTE)
DEMO = Cassette(DEMO_CASSETTE)
GPT = "gpt-4o"
CLAUDE = "claude-sonnet-4-6"
# The complete gpt-4o recordings (analyze-demo also holds a truncated `incident` one, for `analyze`).
PROMPTS = [recording.prompt for recording in ANALYZE.of_model(GPT) if recording.ending == "complete"]
# The sentence Anthropic answers a prefill with on models that reject it (provider-wire-formats.md).
PREFILL_SENTENCE = "This model does not support assistant message prefill. The conversation must end with a user message."

modes = pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
surfaces = pytest.mark.parametrize("surface", SURFACES, ids=str)
# Run a test with its clients sent to the server directly and through `tapedeck record` in front of
# it (conftest.py): the recorder relays untouched, so every assertion must hold both ways.
through = pytest.mark.parametrize("via", VIAS, indirect=True)
demo_through = pytest.mark.parametrize("demo_via", VIAS, indirect=True)


def each(recordings: list[Recording]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("recording", recordings, ids=[r.id for r in recordings])


def recording_for(surface: Surface, prompt: str = PROMPTS[0]) -> Recording:
    return ANALYZE.find(surface.model, prompt)


def check_attempt(attempt: dict[str, Any], *, endpoint: str, model: str, stream: bool, fault: Optional[str] = None,
                  ending: Optional[str] = "complete", match: Optional[str] = None,
                  interaction: Optional[str] = None, status: Optional[int] = None) -> None:
    """Asserts the ledger fields a test knows; `None` for ending/match/interaction/status skips them."""
    expected = {"endpoint": endpoint, "model": model, "stream": stream, "fault": fault}
    for key, value in (("ending", ending), ("match", match), ("interaction", interaction), ("status", status)):
        if value is not None:
            expected[key] = value
    assert {key: attempt[key] for key in expected} == expected


def second_text_event(pieces: list[str]) -> int:
    """The index of the second content event that carries text: a fault placed there lets exactly
    one piece of text through, a fault after it two."""
    return [index for index, piece in enumerate(pieces) if piece][1]


# --- Recorded answers, both modes -------------------------------------------------------------

@pytest.mark.parametrize("prompt", PROMPTS, ids=["capital", "retries"])
@through
def test_chat_completion_body_has_the_recorded_text_and_usage(analyze: ReplayServer, oai: openai.OpenAI, prompt: str) -> None:
    recording = ANALYZE.find(GPT, prompt)
    expected = recording.answer()
    completion = oai.chat.completions.create(model=GPT, messages=chat_messages(recording))
    assert completion.choices[0].message.content == expected.text
    assert completion.choices[0].finish_reason == expected.finish == "stop"
    usage = completion.usage
    assert usage is not None and expected.usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        expected.usage.input, expected.usage.output, expected.usage.total)
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=CHAT.endpoint, model=GPT, stream=False, match="exact", interaction=recording.id)


@pytest.mark.parametrize("prompt", PROMPTS, ids=["capital", "retries"])
@through
def test_chat_completion_stream_replays_every_recorded_chunk(analyze: ReplayServer, oai: openai.OpenAI, prompt: str) -> None:
    recording = ANALYZE.find(GPT, prompt)
    expected = recording.answer()
    chunks = list(oai.chat.completions.create(model=GPT, messages=chat_messages(recording), stream=True,
                                              stream_options={"include_usage": True}))
    assert len(chunks) == len(recording.content_events)  # frame-exact: one chunk per recorded event
    assert {chunk.id for chunk in chunks} == {recording.content_events[0].json()["id"]}
    assert "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices) == expected.text
    assert [c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason] == [expected.finish]
    usage = chunks[-1].usage
    assert usage is not None and expected.usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        expected.usage.input, expected.usage.output, expected.usage.total)
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=CHAT.endpoint, model=GPT, stream=True, match="exact", interaction=recording.id)
    assert attempt["frames_sent"] == len(recording.events)


@through
def test_chat_stream_helper_accumulates_the_recorded_completion(analyze: ReplayServer, oai: openai.OpenAI) -> None:
    recording = ANALYZE.find(GPT, PROMPTS[1])
    expected = recording.answer()
    with oai.chat.completions.stream(model=GPT, messages=chat_messages(recording),
                                     stream_options={"include_usage": True}) as events:
        completion = events.get_final_completion()
    assert completion.choices[0].message.content == expected.text
    assert completion.usage is not None and expected.usage is not None
    assert completion.usage.total_tokens == expected.usage.total


@pytest.mark.parametrize("prompt", PROMPTS, ids=["capital", "retries"])
@through
def test_responses_body_has_the_recorded_text_and_usage(analyze: ReplayServer, oai: openai.OpenAI, prompt: str) -> None:
    recording = ANALYZE.find(GPT, prompt)
    expected = recording.answer()
    response = oai.responses.create(model=GPT, instructions=recording.system, input=recording.prompt)
    assert response.status == "completed"
    assert response.output_text == expected.text
    assert response.usage is not None and expected.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        expected.usage.input, expected.usage.output, expected.usage.total)
    [attempt] = analyze.settled_attempts(1)
    # A Chat recording answers a Responses request: same conversation, another dialect.
    check_attempt(attempt, endpoint=RESPONSES.endpoint, model=GPT, stream=False, match="loose", interaction=recording.id)


@pytest.mark.parametrize("prompt", PROMPTS, ids=["capital", "retries"])
@through
def test_responses_stream_has_the_recorded_text_and_usage(analyze: ReplayServer, oai: openai.OpenAI, prompt: str) -> None:
    recording = ANALYZE.find(GPT, prompt)
    expected = recording.answer()
    events = list(oai.responses.create(model=GPT, instructions=recording.system, input=recording.prompt, stream=True))
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == expected.text
    assert [e.text for e in events if e.type == "response.output_text.done"] == [expected.text]
    final = events[-1].response
    assert final.output_text == expected.text
    assert final.usage is not None and expected.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (
        expected.usage.input, expected.usage.output, expected.usage.total)
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=RESPONSES.endpoint, model=GPT, stream=True, match="loose", interaction=recording.id)


@through
def test_responses_stream_helper_gives_the_recorded_final_response(analyze: ReplayServer, oai: openai.OpenAI) -> None:
    recording = ANALYZE.find(GPT, PROMPTS[1])
    with oai.responses.stream(model=GPT, instructions=recording.system, input=recording.prompt) as events:
        response = events.get_final_response()
    assert response.output_text == recording.answer().text


@pytest.mark.parametrize("prompt", PROMPTS, ids=["capital", "retries"])
@modes
@through
def test_anthropic_message_has_the_recorded_text_and_usage(analyze: ReplayServer, ant: anthropic.Anthropic,
                                                           prompt: str, stream: bool) -> None:
    recording = ANALYZE.find(CLAUDE, prompt)
    expected = recording.answer()
    if stream:
        with ant.messages.stream(**anthropic_arguments(recording)) as events:
            streamed = "".join(events.text_stream)
            message = events.get_final_message()
        assert streamed == expected.text
    else:
        message = ant.messages.create(**anthropic_arguments(recording))
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == expected.text
    assert message.stop_reason == expected.finish == "end_turn"
    assert message.model == CLAUDE
    assert expected.usage is not None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (expected.usage.input, expected.usage.output)
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=MESSAGES.endpoint, model=CLAUDE, stream=stream, match="exact", interaction=recording.id)
    if stream:
        assert attempt["frames_sent"] == len(recording.events)


@pytest.mark.parametrize("prompt", PROMPTS, ids=["capital", "retries"])
@modes
@through
def test_anthropic_sdk_asking_gpt_4o_gets_the_gpt_4o_recording(analyze: ReplayServer, ant: anthropic.Anthropic,
                                                               prompt: str, stream: bool) -> None:
    recording = ANALYZE.find(GPT, prompt)
    expected = recording.answer()
    arguments = {**anthropic_arguments(recording), "max_tokens": 1024}
    if stream:
        with ant.messages.stream(**arguments) as events:
            message = events.get_final_message()
    else:
        message = ant.messages.create(**arguments)
    assert "".join(block.text for block in message.content if block.type == "text") == expected.text
    assert message.stop_reason == "end_turn"  # what OpenAI's `stop` means in Anthropic's terms
    assert expected.usage is not None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (expected.usage.input, expected.usage.output)
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=MESSAGES.endpoint, model=GPT, stream=stream, match="loose", interaction=recording.id)


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_paths_without_a_provider_prefix_answer_the_same(analyze: ReplayServer, sdk: str) -> None:
    if sdk == "openai":
        recording = ANALYZE.find(GPT, PROMPTS[0])
        with openai_client(analyze, prefix="") as client:
            text = client.chat.completions.create(model=GPT, messages=chat_messages(recording)).choices[0].message.content
        endpoint = "/v1/chat/completions"
    else:
        recording = ANALYZE.find(CLAUDE, PROMPTS[0])
        with anthropic_client(analyze, prefix="") as client:
            text = client.messages.create(**anthropic_arguments(recording)).content[0].text
        endpoint = "/v1/messages"
    assert text == recording.answer().text
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=endpoint, model=recording.model, stream=False, interaction=recording.id)


# --- Tool calls (demo.jsonl) ------------------------------------------------------------------

TOOL_RECORDING = next(r for r in DEMO.of_model(GPT) if r.answer().tool_calls)


def test_tool_recording_is_a_single_function_call() -> None:
    """Guards the tool tests' premise: demo.jsonl's gpt-4o recording calls exactly one function."""
    answer = TOOL_RECORDING.answer()
    assert answer.finish == "tool_calls" and answer.text == ""
    [call] = answer.tool_calls
    assert call.id and call.name and json.loads(call.arguments)


@modes
@demo_through
def test_chat_completion_tool_call_has_the_recorded_id_name_and_arguments(demo: ReplayServer, demo_via: Listening, stream: bool) -> None:
    [call] = TOOL_RECORDING.answer().tool_calls
    request = {"model": GPT, "messages": TOOL_RECORDING.request["messages"], "tools": TOOL_RECORDING.request["tools"]}
    with openai_client(demo_via) as client:
        if stream:
            with client.chat.completions.stream(**request) as events:
                completion = events.get_final_completion()
        else:
            completion = client.chat.completions.create(**request)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [(c.id, c.type, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []] == [
        (call.id, "function", call.name, call.arguments)]
    [attempt] = demo.settled_attempts(1)
    check_attempt(attempt, endpoint=CHAT.endpoint, model=GPT, stream=stream, match="exact", interaction=TOOL_RECORDING.id)


def responses_tools(recording: Recording) -> list[dict[str, Any]]:
    """The recorded Chat tools in the Responses API's flat shape."""
    return [{"type": "function", **tool["function"]} for tool in recording.request["tools"]]


@modes
@demo_through
def test_responses_function_call_has_the_recorded_call_id_name_and_arguments(demo: ReplayServer, demo_via: Listening, stream: bool) -> None:
    [call] = TOOL_RECORDING.answer().tool_calls
    request = {"model": GPT, "input": TOOL_RECORDING.prompt, "tools": responses_tools(TOOL_RECORDING)}
    with openai_client(demo_via) as client:
        if stream:
            with client.responses.stream(**request) as events:
                response = events.get_final_response()
        else:
            response = client.responses.create(**request)
    assert [(item.type, item.call_id, item.name, item.arguments) for item in response.output] == [
        ("function_call", call.id, call.name, call.arguments)]
    [attempt] = demo.settled_attempts(1)
    check_attempt(attempt, endpoint=RESPONSES.endpoint, model=GPT, stream=stream, match="loose", interaction=TOOL_RECORDING.id)


def anthropic_tools(recording: Recording) -> list[dict[str, Any]]:
    return [{"name": tool["function"]["name"], "description": tool["function"]["description"],
             "input_schema": tool["function"]["parameters"]} for tool in recording.request["tools"]]


@demo_through
def test_anthropic_tool_use_has_the_recorded_id_name_and_input(demo: ReplayServer, demo_via: Listening) -> None:
    [call] = TOOL_RECORDING.answer().tool_calls
    with anthropic_client(demo_via) as client:
        message = client.messages.create(model=GPT, max_tokens=1024, tools=anthropic_tools(TOOL_RECORDING),
                                         messages=[{"role": "user", "content": TOOL_RECORDING.prompt}])
    assert message.stop_reason == "tool_use"
    assert [(b.type, b.id, b.name, b.input) for b in message.content] == [
        ("tool_use", call.id, call.name, json.loads(call.arguments))]


@modes
@demo_through
def test_anthropic_rendering_of_a_recording_without_usage_still_carries_usage(demo: ReplayServer, demo_via: Listening, stream: bool) -> None:
    [call] = TOOL_RECORDING.answer().tool_calls
    request = {"model": GPT, "max_tokens": 1024, "tools": anthropic_tools(TOOL_RECORDING),
               "messages": [{"role": "user", "content": TOOL_RECORDING.prompt}]}
    with anthropic_client(demo_via) as client:
        if stream:
            with client.messages.stream(**request) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**request)
    assert [(b.type, b.id, b.name) for b in message.content] == [("tool_use", call.id, call.name)]
    assert message.usage is not None


@through
def test_chat_stream_without_include_usage_has_a_choice_in_every_chunk(analyze: ReplayServer, oai: openai.OpenAI) -> None:
    recording = ANALYZE.find(GPT, PROMPTS[0])
    chunks = list(oai.chat.completions.create(model=GPT, messages=chat_messages(recording), stream=True))
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == recording.answer().text
    assert [chunk.usage for chunk in chunks if not chunk.choices] == []


# --- HTTP errors before any byte of the answer ----------------------------------------------

# anthropic maps 529 to OverloadedError, a subclass of InternalServerError; openai has no class of
# its own for it and raises InternalServerError (any status >= 500).
@pytest.mark.parametrize(("fault", "status", "kind", "names"), [
    ("http_error:status=429,retry_after=1", 429, "rate_limit", {"openai": "RateLimitError", "anthropic": "RateLimitError"}),
    ("http_error:status=529", 529, "overloaded", {"openai": "InternalServerError", "anthropic": "OverloadedError"}),
    ("http_error:status=500", 500, "server_error", {"openai": "InternalServerError", "anthropic": "InternalServerError"}),
], ids=["429", "529", "500"])
@surfaces
@modes
def test_http_error_raises_the_sdks_class_for_its_status(analyze: ReplayServer, surface: Surface, stream: bool, fault: str,
                                                          status: int, kind: str, names: dict[str, str]) -> None:
    received: list[str] = []
    with pytest.raises(surface.sdk.APIStatusError) as raised:
        surface.run(analyze, recording_for(surface), stream=stream, fault=fault, received=received)
    assert type(raised.value).__name__ == names[surface.sdk.__name__]
    assert raised.value.status_code == status
    assert raised.value.response.headers.get("retry-after") == ("1" if "retry_after=1" in fault else None)
    assert received == []
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=stream, fault=fault,
                  ending="http_error", status=status)
    assert attempt["error_kind"] == kind


@surfaces
@modes
def test_reset_before_headers_raises_api_connection_error(analyze: ReplayServer, surface: Surface, stream: bool) -> None:
    with pytest.raises(surface.sdk.APIConnectionError) as raised:
        surface.run(analyze, recording_for(surface), stream=stream, fault="reset_before_headers")
    assert type(raised.value) is surface.sdk.APIConnectionError  # not the timeout subclass
    assert isinstance(raised.value.__cause__, httpx2.ReadError)  # "connection reset by peer"
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=stream, fault="reset_before_headers",
                  ending="reset")
    assert attempt["status"] is None and attempt["frames_sent"] == 0


@pytest.mark.parametrize(("kind", "status", "names"), [
    ("overloaded", {"openai": 503, "anthropic": 529}, {"openai": "InternalServerError", "anthropic": "OverloadedError"}),
    ("rate_limit", {"openai": 429, "anthropic": 429}, {"openai": "RateLimitError", "anthropic": "RateLimitError"}),
    ("server_error", {"openai": 500, "anthropic": 500}, {"openai": "InternalServerError", "anthropic": "InternalServerError"}),
], ids=["overloaded", "rate_limit", "server_error"])
@surfaces
def test_error_event_without_streaming_is_the_matching_http_error(analyze: ReplayServer, surface: Surface, kind: str,
                                                                  status: dict[str, int], names: dict[str, str]) -> None:
    sdk = surface.sdk.__name__
    fault = f"error_event:kind={kind},after=3"
    with pytest.raises(surface.sdk.APIStatusError) as raised:
        surface.run(analyze, recording_for(surface), stream=False, fault=fault)
    assert type(raised.value).__name__ == names[sdk]
    assert raised.value.status_code == status[sdk]
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=False, fault=fault,
                  ending="http_error", status=status[sdk])


# --- Faults in the middle of a stream -------------------------------------------------------

@pytest.mark.parametrize("kind", ["overloaded", "rate_limit"])
@surfaces
def test_in_band_error_event_raises_while_iterating(analyze: ReplayServer, surface: Surface, kind: str) -> None:
    recording = recording_for(surface)
    pieces = surface.stream_pieces(analyze, recording)
    after = second_text_event(pieces) + 1
    fault = f"error_event:kind={kind},after={after}"
    analyze.clear_attempts()
    received: list[str] = []
    if surface.sdk is openai:
        # openai raises its base APIError for a `data: {"error": …}` event (no status: the HTTP
        # status was 200), for Chat and for Responses' nested `error` event alike.
        with pytest.raises(openai.APIError) as raised:
            surface.run(analyze, recording, stream=True, fault=fault, received=received)
        assert type(raised.value) is openai.APIError
        assert isinstance(raised.value.body, dict) and raised.value.body.get("message")
    else:
        # anthropic raises APIStatusError itself (not a subclass) with the stream's status, 200,
        # and the event's error type.
        with pytest.raises(anthropic.APIStatusError) as raised:
            surface.run(analyze, recording, stream=True, fault=fault, received=received)
        assert type(raised.value) is anthropic.APIStatusError
        assert raised.value.status_code == 200
        assert raised.value.type == {"overloaded": "overloaded_error", "rate_limit": "rate_limit_error"}[kind]
    assert "".join(received) == "".join(pieces[:after])  # exactly the text before the event, then the raise
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=True, fault=fault,
                  ending="in_band_error", status=200)
    assert attempt["error_kind"] == kind and attempt["frames_sent"] == after + 1


# A cut ends the chunked body without its last chunk (httpx: incomplete read); a reset is a TCP RST
# ("connection reset by peer"). openai wraps what httpx raises in APIConnectionError; anthropic's
# Stream does not wrap transport errors raised while iterating, so httpx's own exception arrives.
# Neither ends quietly with the partial text.
@pytest.mark.parametrize(("kind", "cause", "ending"), [
    ("cut", httpx2.RemoteProtocolError, "truncated"),
    ("reset", httpx2.ReadError, "reset"),
], ids=["cut", "reset"])
@surfaces
def test_broken_stream_raises_after_the_text_before_the_break(analyze: ReplayServer, surface: Surface, kind: str,
                                                              cause: type, ending: str) -> None:
    recording = recording_for(surface)
    pieces = surface.stream_pieces(analyze, recording)
    after = second_text_event(pieces) + 1
    fault = f"{kind}:after={after}"
    analyze.clear_attempts()
    received: list[str] = []
    with pytest.raises(Exception) as raised:
        surface.run(analyze, recording, stream=True, fault=fault, received=received)
    if surface.sdk is openai:
        assert type(raised.value) is openai.APIConnectionError
        assert isinstance(raised.value.__cause__, cause)
    else:
        assert type(raised.value) is cause
    text = "".join(received)
    assert text == "".join(pieces[:after])
    assert text and recording.answer().text.startswith(text) and text != recording.answer().text
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=True, fault=fault,
                  ending=ending, status=200)
    assert attempt["frames_sent"] == after


@surfaces
@pytest.mark.parametrize("fault", ["cut:after=3", "reset:after=3"])
def test_body_cut_or_reset_halfway_raises_api_connection_error(analyze: ReplayServer, surface: Surface, fault: str) -> None:
    with pytest.raises(surface.sdk.APIConnectionError) as raised:
        surface.run(analyze, recording_for(surface), stream=False, fault=fault)
    assert type(raised.value) is surface.sdk.APIConnectionError
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=False, fault=fault,
                  ending="truncated" if fault.startswith("cut") else "reset", status=200)


@surfaces
@modes
def test_stall_longer_than_the_client_timeout_raises_a_timeout(analyze: ReplayServer, surface: Surface, stream: bool) -> None:
    recording = recording_for(surface)
    pieces = surface.stream_pieces(analyze, recording)
    after = second_text_event(pieces) + 1
    # The stall (8 s) is far longer than the client's read timeout (2 s), and the frames before
    # it are sent at once (--speed max), so only the stall can time out.
    fault = f"stall:after={after},seconds=8"
    analyze.clear_attempts()
    received: list[str] = []
    with pytest.raises(Exception) as raised:
        surface.run(analyze, recording, stream=stream, fault=fault, received=received, timeout=2.0)
    if surface.sdk is anthropic and stream:
        assert type(raised.value) is httpx2.ReadTimeout  # unwrapped while iterating
    else:
        assert type(raised.value) is surface.sdk.APITimeoutError
    assert "".join(received) == ("".join(pieces[:after]) if stream else "")
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=stream, fault=fault, ending=None)
    # The ledger says `client_aborted` when the client leaves a stalled stream, `timeout` when it
    # leaves a stalled body (see README.md): either way the attempt did not complete.
    assert attempt["ending"] in {"client_aborted", "timeout"}


@surfaces
@modes
def test_malformed_json_raises_json_decode_error(analyze: ReplayServer, surface: Surface, stream: bool) -> None:
    recording = recording_for(surface)
    pieces = surface.stream_pieces(analyze, recording)
    at = second_text_event(pieces)
    fault = f"malformed:at={at}"
    analyze.clear_attempts()
    received: list[str] = []
    # Neither SDK turns invalid JSON in a 200 answer into one of its own errors.
    with pytest.raises(json.JSONDecodeError):
        surface.run(analyze, recording, stream=stream, fault=fault, received=received)
    assert "".join(received) == ("".join(pieces[:at]) if stream else "")
    [attempt] = analyze.settled_attempts(1)
    # The server may finish sending before the client gives up, or not: the ending is not asserted.
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=stream, fault=fault, ending=None,
                  status=200)


def test_anthropic_sdk_ignores_a_malformed_ping(analyze: ReplayServer) -> None:
    recording = recording_for(MESSAGES)
    [ping] = [i for i, event in enumerate(recording.content_events) if event.name == "ping"]
    text = MESSAGES.run(analyze, recording, stream=True, fault=f"malformed:at={ping}")
    assert text == recording.answer().text  # the SDK skips `ping` events without parsing them


@surfaces
def test_stream_without_its_terminator_ends_quietly_with_the_whole_text(analyze: ReplayServer, surface: Surface) -> None:
    # Neither SDK requires `[DONE]` / `message_stop` / `response.completed`: a stream that ends
    # without one is taken as finished.
    recording = recording_for(surface)
    text = surface.run(analyze, recording, stream=True, fault="drop_terminator")
    assert text == recording.answer().text
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=surface.endpoint, model=surface.model, stream=True, fault="drop_terminator",
                  ending=None, status=200)


def test_ledger_does_not_call_a_stream_without_terminator_complete(analyze: ReplayServer) -> None:
    CHAT.run(analyze, recording_for(CHAT), stream=True, fault="drop_terminator")
    [attempt] = analyze.settled_attempts(1)
    assert attempt["ending"] != "complete"


# --- Assistant prefill ------------------------------------------------------------------------

@modes
def test_prefill_to_a_model_that_rejects_it_raises_bad_request_with_the_providers_sentence(
        analyze: ReplayServer, ant: anthropic.Anthropic, stream: bool) -> None:
    recording = recording_for(MESSAGES)
    prefill = " ".join(recording.answer().text.split(" ")[:3])
    arguments = anthropic_arguments(recording)
    arguments["messages"] = arguments["messages"] + [{"role": "assistant", "content": prefill}]
    with pytest.raises(anthropic.BadRequestError) as raised:
        if stream:
            with ant.messages.stream(**arguments) as events:
                events.get_final_message()
        else:
            ant.messages.create(**arguments)
    assert raised.value.status_code == 400
    assert raised.value.type == "invalid_request_error"
    assert PREFILL_SENTENCE in raised.value.message
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=MESSAGES.endpoint, model=CLAUDE, stream=stream, fault="rejects_prefill",
                  ending="http_error", status=400)
    assert attempt["error_kind"] == "prefill_rejected"
    assert attempt["continuation"] == {"style": "prefill", "text": prefill}


@modes
def test_prefill_to_a_model_that_accepts_it_gets_the_rest_of_the_answer(
        analyze: ReplayServer, ant: anthropic.Anthropic, stream: bool) -> None:
    recording = ANALYZE.find(GPT, PROMPTS[0])
    answer = recording.answer().text
    prefill = " ".join(answer.split(" ")[:4])
    arguments = {**anthropic_arguments(recording), "max_tokens": 1024}
    arguments["messages"] = arguments["messages"] + [{"role": "assistant", "content": prefill}]
    if stream:
        with ant.messages.stream(**arguments) as events:
            text = events.get_final_text()
    else:
        text = ant.messages.create(**arguments).content[0].text
    assert prefill + text == answer and text
    [attempt] = analyze.settled_attempts(1)
    check_attempt(attempt, endpoint=MESSAGES.endpoint, model=GPT, stream=stream, match="loose", interaction=recording.id)
    assert attempt["continuation"] == {"style": "prefill", "text": prefill}


# --- SDK retries against a fault schedule ------------------------------------------------------

@surfaces
@modes
def test_sdk_retry_after_a_transient_error_gets_the_recorded_text(flaky: ReplayServer, surface: Surface, stream: bool) -> None:
    # flaky's schedule: the first attempt per model fails (gpt-4o 429 with retry-after 1 s,
    # claude-sonnet-4-6 529), every later one is healthy. Both SDKs retry both statuses.
    recording = recording_for(surface)
    text = surface.run(flaky, recording, stream=stream, max_retries=2)
    assert text == recording.answer().text
    first, second = flaky.settled_attempts(2)
    status = 429 if surface.model == GPT else 529
    check_attempt(first, endpoint=surface.endpoint, model=surface.model, stream=stream, ending="http_error",
                  status=status, fault=f"http_error:status={status}" + (",retry_after=1" if status == 429 else ""))
    check_attempt(second, endpoint=surface.endpoint, model=surface.model, stream=stream, interaction=recording.id)


# --- The ledger ---------------------------------------------------------------------------------

def test_ledger_lists_every_attempt_in_order_with_model_stream_fault_and_ending(analyze: ReplayServer) -> None:
    gpt, claude = recording_for(CHAT), recording_for(MESSAGES)
    CHAT.run(analyze, gpt, stream=False)
    MESSAGES.run(analyze, claude, stream=True)
    with pytest.raises(anthropic.RateLimitError):
        MESSAGES.run(analyze, claude, stream=False, fault=f"{CLAUDE}=http_error:status=429")
    with pytest.raises(openai.APIConnectionError):
        RESPONSES.run(analyze, gpt, stream=True, fault="cut:after=5")
    # A model-scoped fault for another model leaves this request alone.
    CHAT.run(analyze, gpt, stream=True, fault=f"{CLAUDE}=reset_before_headers")
    attempts = analyze.settled_attempts(5)
    assert [(a["endpoint"], a["model"], a["stream"], a["fault"], a["ending"]) for a in attempts] == [
        (CHAT.endpoint, GPT, False, None, "complete"),
        (MESSAGES.endpoint, CLAUDE, True, None, "complete"),
        (MESSAGES.endpoint, CLAUDE, False, "http_error:status=429", "http_error"),
        (RESPONSES.endpoint, GPT, True, "cut:after=5", "truncated"),
        (CHAT.endpoint, GPT, True, None, "complete"),
    ]
    assert [a["id"] for a in attempts] == sorted(a["id"] for a in attempts)
    assert all(a["continuation"] is None for a in attempts)
