"""Where the SDK checks find their cassettes, and official SDK clients pointed at a replay server."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import anthropic
import openai

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASSETTES = REPO / "fixtures" / "cassettes"
ANALYZE_CASSETTE = CASSETTES / "analyze-demo.jsonl"
DEMO_CASSETTE = CASSETTES / "demo.jsonl"

# Placeholders: the replay server ignores credentials, and no real key belongs in a test.
# Shaped like real keys, so a test can scan a recorded cassette for them (they must not be there).
OPENAI_KEY = "sk-proj-FAKE0tapedeck0sdk0check0placeholder0key"
ANTHROPIC_KEY = "sk-ant-api03-FAKE0tapedeck0sdk0check0placeholder0key"
# Generous for a debug build on a busy machine; tests that need a timeout set their own.
CLIENT_TIMEOUT = 30.0
ROUTER_CONFIG = REPO / "fixtures" / "routers" / "analyze-demo.yaml"


class Listening(Protocol):
    """Anything a client can be pointed at: a replay server, a recorder or a gateway in front of one."""

    url: str


def openai_client(server: Listening, prefix: str = "/openai", **options: object) -> openai.OpenAI:
    """An OpenAI client for the replay server; no retries unless asked, so a fault reaches the test."""
    settings: dict[str, object] = {"max_retries": 0, "timeout": CLIENT_TIMEOUT, **options}
    return openai.OpenAI(base_url=f"{server.url}{prefix}/v1", api_key=OPENAI_KEY, **settings)  # type: ignore[arg-type]


def anthropic_client(server: Listening, prefix: str = "/anthropic", **options: object) -> anthropic.Anthropic:
    """An Anthropic client for the replay server; no retries unless asked."""
    settings: dict[str, object] = {"max_retries": 0, "timeout": CLIENT_TIMEOUT, **options}
    return anthropic.Anthropic(base_url=f"{server.url}{prefix}", api_key=ANTHROPIC_KEY, **settings)  # type: ignore[arg-type]
