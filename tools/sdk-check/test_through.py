"""The official SDKs through `tapedeck record` and through `tapedeck route`, both in front of
`tapedeck serve` (issues 5 and 8).

Through the recorder, a fault must reach the SDK exactly as it does directly (same exception, same
cause, same text before it), and the cassette must hold each interaction with the ending it had on
the wire and without the API key the SDK sent. Through the gateway, the `gpt-4o` group answers
with gpt-4o's recorded text, and with gpt-4o failing (429) with its fallback's, in both modes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

import anthropic
import openai
import pytest

from calls import CHAT, MESSAGES, RESPONSES, SURFACES, Surface, anthropic_arguments, chat_messages
from cassette import Cassette
from harness import ANALYZE_CASSETTE, ANTHROPIC_KEY, CLIENT_TIMEOUT, OPENAI_KEY, ROUTER_CONFIG
from proxies import Gateway, Recorder, point_config_at
from replay_server import ReplayServer

ANALYZE = Cassette(ANALYZE_CASSETTE)
GPT = "gpt-4o"
CLAUDE = "claude-sonnet-4-6"
PROMPT = next(r.prompt for r in ANALYZE.of_model(GPT) if r.ending == "complete")
GATEWAY_KEY = "sk-tapedeck-demo"  # general_settings.master_key of analyze-demo.yaml

modes = pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
surfaces = pytest.mark.parametrize("surface", SURFACES, ids=str)


def outcome(surface: Surface, target: Any, *, stream: bool, fault: Optional[str]) -> dict[str, Any]:
    """What the SDK made of one call: the text, or the exception (class, cause's class, status)
    and the text received before it."""
    received: list[str] = []
    try:
        return {"text": surface.run(target, ANALYZE.find(surface.model, PROMPT), stream=stream, fault=fault,
                                    received=received)}
    except Exception as error:  # noqa: BLE001 - the exception itself is what is compared
        return {"raised": type(error).__name__, "module": type(error).__module__.split(".")[0],
                "cause": type(error.__cause__).__name__ if error.__cause__ else None,
                "status": getattr(error, "status_code", None), "received": "".join(received)}


def mid_stream(surface: Surface, analyze: ReplayServer) -> int:
    """After the second text-carrying event: some text arrives before the fault."""
    pieces = surface.stream_pieces(analyze, ANALYZE.find(surface.model, PROMPT))
    analyze.clear_attempts()  # Responses' pieces come from a clean replay: not this test's attempt
    return [index for index, piece in enumerate(pieces) if piece][1] + 1


# --- Faults through the recorder -------------------------------------------------------------

@surfaces
@pytest.mark.parametrize(("fault", "stream"), [
    ("http_error:status=429,retry_after=1", False), ("http_error:status=429,retry_after=1", True),
    ("reset_before_headers", False), ("reset_before_headers", True),
    ("error_event:kind=overloaded,after={mid}", True), ("cut:after={mid}", True), ("reset:after={mid}", True),
], ids=["429-body", "429-stream", "reset_before_headers-body", "reset_before_headers-stream",
        "error_event-stream", "cut-stream", "reset-stream"])
def test_fault_through_the_recorder_raises_what_it_raises_directly(
        analyze: ReplayServer, analyze_recorder: Recorder, surface: Surface, fault: str, stream: bool) -> None:
    fault = fault.format(mid=mid_stream(surface, analyze))
    direct = outcome(surface, analyze, stream=stream, fault=fault)
    recorded = outcome(surface, analyze_recorder, stream=stream, fault=fault)
    assert "raised" in direct  # the premise: this fault fails the call
    assert recorded == direct
    # The recorder sends the request upstream exactly once, even when the upstream resets before
    # answering (it cannot tell whether the upstream acted on it).
    direct_attempt, recorded_attempt = analyze.settled_attempts(2)
    assert {k: recorded_attempt[k] for k in ("endpoint", "fault", "ending", "status")} == \
        {k: direct_attempt[k] for k in ("endpoint", "fault", "ending", "status")}


# --- What the recorder wrote -------------------------------------------------------------------

@pytest.fixture
def fresh_recorder(binary: Path, tmp_path: Path, analyze: ReplayServer) -> Iterator[Recorder]:
    recorder = Recorder(binary, tmp_path, "fresh-recorder", analyze.url, tmp_path / "through.jsonl")
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.kill()


def test_recorder_cassette_holds_each_interaction_with_its_ending_and_no_api_key(
        analyze: ReplayServer, fresh_recorder: Recorder) -> None:
    mid = mid_stream(CHAT, analyze)
    calls = [  # (surface, stream, fault, the ending the recorder must write)
        (CHAT, False, None, "complete"),
        (MESSAGES, True, None, "complete"),
        (CHAT, False, "http_error:status=429", "http_error"),
        (MESSAGES, True, "http_error:status=429", "http_error"),
        (CHAT, True, f"error_event:kind=overloaded,after={mid}", "in_band_error"),
        (CHAT, True, f"cut:after={mid}", "truncated"),
        (MESSAGES, True, "reset_before_headers", "reset"),
        (CHAT, True, f"reset:after={mid}", "reset"),
    ]
    for surface, stream, fault, _ in calls:
        outcome(surface, fresh_recorder, stream=stream, fault=fault)
    analyze.settled_attempts(len(calls))  # each call reached the upstream once
    assert fresh_recorder.terminate() == 0
    interactions = fresh_recorder.interactions()
    assert [(i["model"], i["stream"], i["ending"]) for i in interactions] == [
        (surface.model, stream, ending) for surface, stream, _, ending in calls], interactions
    verified = fresh_recorder.verify()
    assert verified.returncode == 0, verified.stderr.decode(errors="replace")
    written = fresh_recorder.cassette.read_bytes()
    assert written  # the premise: something was recorded
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert key.encode() not in written
        assert key.split("FAKE")[1].encode() not in written  # not even the key's tail


# --- Through the gateway -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def gateway(binary: Path, server_logs: Path, analyze_server: ReplayServer) -> Iterator[Gateway]:
    config = point_config_at(ROUTER_CONFIG, analyze_server.url, server_logs / "route-analyze-demo.yaml")
    gateway = Gateway(binary, server_logs, "gateway", config)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.kill()


def gateway_text(gateway: Gateway, sdk: str, stream: bool, fault: Optional[str]) -> str:
    """Asks the `gpt-4o` group with the gateway's key and returns the text the SDK received."""
    recording = ANALYZE.find(GPT, PROMPT)
    headers = {"x-tapedeck-fault": fault} if fault else {}
    if sdk == "openai":
        with openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=GATEWAY_KEY, max_retries=0,
                           timeout=CLIENT_TIMEOUT) as client:
            request = {"model": GPT, "messages": chat_messages(recording), "extra_headers": headers}
            if not stream:
                return client.chat.completions.create(**request).choices[0].message.content or ""
            return "".join(choice.delta.content or "" for chunk in client.chat.completions.create(**request, stream=True)
                           for choice in chunk.choices)
    with anthropic.Anthropic(base_url=gateway.url, api_key=None, auth_token=GATEWAY_KEY, max_retries=0,
                             timeout=CLIENT_TIMEOUT) as client:
        request = {**anthropic_arguments(recording), "max_tokens": 1024, "extra_headers": headers}
        if not stream:
            return "".join(block.text for block in client.messages.create(**request).content if block.type == "text")
        with client.messages.stream(**request) as events:
            return "".join(events.text_stream)


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
@modes
def test_gateway_answers_the_gpt_4o_group_with_the_gpt_4o_recording(
        analyze: ReplayServer, gateway: Gateway, sdk: str, stream: bool) -> None:
    assert gateway_text(gateway, sdk, stream, None) == ANALYZE.find(GPT, PROMPT).answer().text
    [attempt] = analyze.settled_attempts(1)
    assert (attempt["model"], attempt["ending"]) == (GPT, "complete")


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
@modes
def test_gateway_falls_back_to_claude_when_gpt_4o_answers_429(
        analyze: ReplayServer, gateway: Gateway, sdk: str, stream: bool) -> None:
    text = gateway_text(gateway, sdk, stream, f"{GPT}=http_error:status=429")
    assert text == ANALYZE.find(CLAUDE, PROMPT).answer().text
    attempts = analyze.settled_attempts(len(analyze.attempts()))
    assert [a["model"] for a in attempts if a["ending"] == "complete"] == [CLAUDE]
    assert {a["status"] for a in attempts if a["model"] == GPT} == {429}
