"""Where the SDK checks find their cassettes, and official SDK clients pointed at a replay server."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai

from replay_server import ReplayServer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASSETTES = REPO / "fixtures" / "cassettes"
ANALYZE_CASSETTE = CASSETTES / "analyze-demo.jsonl"
DEMO_CASSETTE = CASSETTES / "demo.jsonl"

# Placeholders: the replay server ignores credentials, and no real key belongs in a test.
OPENAI_KEY = "sk-tapedeck-placeholder"
ANTHROPIC_KEY = "sk-ant-tapedeck-placeholder"
# Generous for a debug build on a busy machine; tests that need a timeout set their own.
CLIENT_TIMEOUT = 30.0


def openai_client(server: ReplayServer, prefix: str = "/openai", **options: object) -> openai.OpenAI:
    """An OpenAI client for the replay server; no retries unless asked, so a fault reaches the test."""
    settings: dict[str, object] = {"max_retries": 0, "timeout": CLIENT_TIMEOUT, **options}
    return openai.OpenAI(base_url=f"{server.url}{prefix}/v1", api_key=OPENAI_KEY, **settings)  # type: ignore[arg-type]


def anthropic_client(server: ReplayServer, prefix: str = "/anthropic", **options: object) -> anthropic.Anthropic:
    """An Anthropic client for the replay server; no retries unless asked."""
    settings: dict[str, object] = {"max_retries": 0, "timeout": CLIENT_TIMEOUT, **options}
    return anthropic.Anthropic(base_url=f"{server.url}{prefix}", api_key=ANTHROPIC_KEY, **settings)  # type: ignore[arg-type]
