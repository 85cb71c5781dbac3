"""Fixtures for the SDK checks: replay servers started once per session, a clean ledger per test,
and official SDK clients pointed at them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import anthropic
import openai
import pytest

from harness import ANALYZE_CASSETTE, DEMO_CASSETTE, REPO, Listening, anthropic_client, openai_client
from proxies import Recorder
from replay_server import ReplayServer, tapedeck_binary

# The first attempt for each model fails with an error its SDK retries; every later one is healthy.
FLAKY_FAULTS = """\
models:
  gpt-4o:
    schedule: ["http_error:status=429,retry_after=1", ok]
  claude-sonnet-4-6:
    schedule: ["http_error:status=529", ok]
"""


@pytest.fixture(scope="session", autouse=True)
def loopback_without_proxy() -> None:
    """The SDKs honour proxy variables; the replay server is on loopback and must be reached directly."""
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h]
        os.environ[name] = ",".join(hosts + ["127.0.0.1", "localhost"])


@pytest.fixture(scope="session")
def binary() -> Path:
    path = tapedeck_binary(REPO)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.skip(f"no tapedeck binary at {path}: build it with `swift build --product tapedeck` "
                    f"or set TAPEDECK_BIN")
    return path


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("replay-logs")


def _serve(binary: Path, logs: Path, cassette: Path, name: str, *extra: str) -> Iterator[ReplayServer]:
    server = ReplayServer(binary, cassette, logs, name, extra).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def analyze_server(binary: Path, server_logs: Path) -> Iterator[ReplayServer]:
    """analyze-demo.jsonl; claude-sonnet-4-6 rejects assistant prefill, as the real model does."""
    yield from _serve(binary, server_logs, ANALYZE_CASSETTE, "analyze",
                      "--capability", "claude-sonnet-4-6=rejects_prefill")


@pytest.fixture(scope="session")
def demo_server(binary: Path, server_logs: Path) -> Iterator[ReplayServer]:
    """demo.jsonl: the gpt-4o tool call among others."""
    yield from _serve(binary, server_logs, DEMO_CASSETTE, "demo")


@pytest.fixture(scope="session")
def flaky_server(binary: Path, server_logs: Path) -> Iterator[ReplayServer]:
    """analyze-demo.jsonl with a faults file: each model's first attempt fails, then it is healthy."""
    faults = server_logs / "flaky-faults.yaml"
    faults.write_text(FLAKY_FAULTS)
    yield from _serve(binary, server_logs, ANALYZE_CASSETTE, "flaky", "--faults", str(faults))


# Per test: the same servers with an empty ledger (and restarted schedules), so a test sees only
# its own attempts.

@pytest.fixture
def analyze(analyze_server: ReplayServer) -> ReplayServer:
    analyze_server.clear_attempts()
    return analyze_server


@pytest.fixture
def demo(demo_server: ReplayServer) -> ReplayServer:
    demo_server.clear_attempts()
    return demo_server


@pytest.fixture
def flaky(flaky_server: ReplayServer) -> ReplayServer:
    flaky_server.clear_attempts()
    return flaky_server


@pytest.fixture(scope="session")
def analyze_recorder(binary: Path, server_logs: Path, analyze_server: ReplayServer) -> Iterator[Recorder]:
    """`tapedeck record` in front of the analyze server, recording into a throwaway cassette."""
    recorder = Recorder(binary, server_logs, "analyze-recorder", analyze_server.url,
                        server_logs / "analyze-recorder.jsonl")
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.kill()


# Tests marked `@through` run twice: the client talks to the analyze server directly, then through
# a recorder in front of it; the server's ledger sees the same attempts either way.
VIAS = ["direct", "recorder"]


@pytest.fixture
def via(request: pytest.FixtureRequest, analyze: ReplayServer) -> Listening:
    """Where clients send: the analyze server itself unless a test is parametrized with `recorder`."""
    if getattr(request, "param", "direct") == "direct":
        return analyze
    return request.getfixturevalue("analyze_recorder")


@pytest.fixture(scope="session")
def demo_recorder(binary: Path, server_logs: Path, demo_server: ReplayServer) -> Iterator[Recorder]:
    """`tapedeck record` in front of the demo server."""
    recorder = Recorder(binary, server_logs, "demo-recorder", demo_server.url, server_logs / "demo-recorder.jsonl")
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.kill()


@pytest.fixture
def demo_via(request: pytest.FixtureRequest, demo: ReplayServer) -> Listening:
    """Where tool-call clients send: the demo server, or a recorder in front of it."""
    if getattr(request, "param", "direct") == "direct":
        return demo
    return request.getfixturevalue("demo_recorder")


@pytest.fixture
def oai(via: Listening) -> Iterator[openai.OpenAI]:
    """An OpenAI client for the analyze-demo server (under `/openai`), no retries."""
    with openai_client(via) as client:
        yield client


@pytest.fixture
def ant(via: Listening) -> Iterator[anthropic.Anthropic]:
    """An Anthropic client for the analyze-demo server (under `/anthropic`), no retries."""
    with anthropic_client(via) as client:
        yield client
