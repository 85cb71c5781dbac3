"""Tests for the LiteLLM harness that need neither the network nor LiteLLM installed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import check  # noqa: E402
import mock_upstream  # noqa: E402

SCENARIOS = HERE.parent / "scenarios.yaml"
FAULT_KINDS = {"ok", "http_error", "reset_before_headers", "no_response", "slow_first_byte", "error_event", "cut",
               "reset", "stall", "malformed", "drop_terminator", "slow_drip"}
ENDPOINTS = {"/v1/chat/completions", "/v1/responses", "/v1/messages"}


def load_config(port: int = 43210) -> dict:
    return yaml.safe_load(check.to_yaml(check.build_config(port, "sk-test-master")))


def test_config_for_a_port_is_yaml_with_every_group_and_its_api_base():
    config = load_config(43210)
    bases = {entry["model_name"]: entry["litellm_params"]["api_base"] for entry in config["model_list"]}
    assert bases == {
        "chat": "http://127.0.0.1:43210/openai/v1",
        "claude": "http://127.0.0.1:43210/anthropic",
        "claude-fb": "http://127.0.0.1:43210/anthropic",
        "gemini": "http://127.0.0.1:43210/gemini/v1beta",
    }
    models = {entry["model_name"]: entry["litellm_params"]["model"] for entry in config["model_list"]}
    assert models == {"chat": "openai/gpt-4o", "claude": "anthropic/claude-sonnet-4-6",
                      "claude-fb": "anthropic/claude-sonnet-4-6", "gemini": "gemini/gemini-2.5-flash"}


def test_upstream_models_are_the_ones_the_cassette_recorded():
    recorded = {model for model, _ in recorded_conversations()}
    assert {d.upstream_model for d in check.DEPLOYMENTS} == recorded == {"gpt-4o", "claude-sonnet-4-6", "gemini-2.5-flash"}


def test_config_has_master_key_only_and_no_database():
    config = load_config()
    assert config["general_settings"]["master_key"] == "sk-test-master"
    assert "database_url" not in config["general_settings"]
    assert config["general_settings"]["forward_client_headers_to_llm_api"] is True


def test_config_fallbacks_name_existing_groups_and_claude_has_none():
    config = load_config()
    groups = {entry["model_name"] for entry in config["model_list"]}
    fallbacks = {}
    for item in config["router_settings"]["fallbacks"]:
        fallbacks.update(item)
    assert fallbacks == {"chat": ["claude"], "claude-fb": ["chat"], "gemini": ["chat"]}
    assert all(set(targets) <= groups for targets in fallbacks.values())


def test_stream_timeout_is_shorter_than_the_stall_scenario():
    config = load_config()
    stalls = [spec for item in scenarios() for spec in specs_of(item).values() for spec in spec if spec.startswith("stall:")]
    assert stalls
    for stall in stalls:
        seconds = float(re.search(r"seconds=([0-9.]+)", stall).group(1))
        for entry in config["model_list"]:
            assert entry["litellm_params"]["stream_timeout"] < seconds
            # Non-stream: both attempts time out, then the fallback answers, within the client's deadline.
            assert 2 * entry["litellm_params"]["timeout"] + 5 < check.CLIENT_DEADLINE_SECONDS


def analyzer_args(*extra: str) -> list[str]:
    args = check.parse_args(["--tapedeck", "/opt/tapedeck", "--", *extra] if extra else ["--tapedeck", "/opt/tapedeck"])
    return check.analyzer_command(args, "http://127.0.0.1:4000", "sk-run", 8788, Path("/tmp/report"))


def test_analyzer_command_names_the_cassette_and_a_deadline_longer_than_a_stalled_fallback():
    command = analyzer_args()
    assert command[:2] == ["/opt/tapedeck", "analyze"]
    assert command[command.index("--cassette") + 1] == str(check.DEFAULT_CASSETTE)
    assert check.DEFAULT_CASSETTE.exists()
    assert command[command.index("--deadline") + 1] == str(check.CLIENT_DEADLINE_SECONDS)
    assert command[command.index("--upstream-port") + 1] == "8788"


def test_analyzer_command_leaves_a_given_deadline_alone_and_passes_extra_arguments_last():
    command = analyzer_args("--deadline", "90", "--fail-on", "error")
    assert command.count("--deadline") == 1
    assert command[-4:] == ["--deadline", "90", "--fail-on", "error"]


def test_config_on_another_port_changes_only_the_api_bases():
    one, other = load_config(1111), load_config(2222)
    text = json.dumps(one).replace("1111", "2222")
    assert json.loads(text) == other


@pytest.mark.parametrize("value", [
    {"s": "no", "t": "1.0", "u": "a: b", "v": "quote \" and \\ back", "w": "line\nbreak", "x": ""},
    {"list": [], "map": {}, "nested": [{"a": [1, 2.5, True, None]}, ["x", ["y"]]]},
])
def test_yaml_emitter_round_trips_values_without_retyping(value):
    assert yaml.safe_load(check.to_yaml(value)) == value


def test_redacted_config_hides_the_master_key_only():
    config = check.build_config(5555, "sk-secret-run-key")
    hidden = check.redacted(config)
    assert "sk-secret-run-key" not in check.to_yaml(hidden)
    assert config["general_settings"]["master_key"] == "sk-secret-run-key"
    assert hidden["model_list"] == config["model_list"]


def test_print_config_writes_the_config_for_the_given_port(capsys):
    assert check.main(["--print-config", "8788"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model_list"][0]["litellm_params"]["api_base"] == "http://127.0.0.1:8788/openai/v1"


def scenarios() -> list[dict]:
    return yaml.safe_load(SCENARIOS.read_text())["scenarios"]


def specs_of(item: dict) -> dict[str, list[str]]:
    """A scenario's faults as upstream model -> list of specs."""
    return {model: spec if isinstance(spec, list) else [spec] for model, spec in item.get("faults", {}).items()}


def cassette_records() -> list[dict]:
    return [json.loads(line) for line in check.DEFAULT_CASSETTE.read_text().splitlines() if line.strip()]


def recorded_conversations() -> set[tuple[str, tuple]]:
    """(upstream model, ((role, text), ...)) of every recording, system prompt first."""
    conversations = set()
    for record in cassette_records():
        body = json.loads(record["request"]["body"]["text"])
        if "contents" in body:  # Gemini
            turns = [("system", part["text"]) for part in body.get("systemInstruction", {}).get("parts", [])]
            turns += [(content["role"], content["parts"][0]["text"]) for content in body["contents"]]
        else:
            turns = [("system", body["system"])] if "system" in body else []
            turns += [(message["role"], message["content"]) for message in body["messages"]]
        conversations.add((record["model"], tuple(turns)))
    return conversations


def conversation_of(item: dict) -> tuple:
    """The turns a scenario's client request asks, whatever the client endpoint."""
    request = item["request"]
    if item.get("endpoint") == "/v1/responses":
        return (("system", request["instructions"]), ("user", request["input"]))
    turns = [("system", request["system"])] if "system" in request else []
    return tuple(turns + [(message["role"], message["content"]) for message in request["messages"]])


# Events before the first text in each dialect LiteLLM speaks upstream. Responses streams are
# synthesized by the replay server from the chat recording, so they are not in the cassette.
RESPONSES_PREAMBLE = 4


def preamble(dialect: str) -> int:
    """Content events before the first piece of text in the cassette's streams of a dialect."""
    counts = set()
    for record in cassette_records():
        if record["dialect"] != dialect:
            continue
        for index, frame in enumerate(record["frames"]):
            if '"text_delta"' in frame["text"] or '"parts"' in frame["text"] or re.search(r'"content":"[^"]', frame["text"]):
                counts.add(index)
                break
    assert len(counts) == 1, (dialect, counts)
    return counts.pop()


def upstream_dialect(model: str, endpoint: str) -> str:
    provider = next(d.provider for d in check.DEPLOYMENTS if d.upstream_model == model)
    if provider == "openai":
        # LiteLLM calls OpenAI's Responses API for /v1/responses and /v1/messages clients (NOTES.md).
        return "openai_chat" if endpoint == "/v1/chat/completions" else "openai_responses"
    return {"anthropic": "anthropic_messages", "gemini": "gemini"}[provider]


def test_every_scenario_asks_a_recorded_conversation_of_a_recorded_model():
    conversations = recorded_conversations()
    asked = {turns for _, turns in conversations}
    groups = {d.group: d.upstream_model for d in check.DEPLOYMENTS}
    for item in scenarios():
        turns = conversation_of(item)
        assert turns in asked, item["name"]
        # The group's own model recorded that conversation, and so did every faulted model.
        for model in [groups[item["request"]["model"]], *specs_of(item)]:
            assert (model, turns) in conversations, (item["name"], model)


def test_mid_stream_faults_strike_after_text_and_before_content_faults_before_it():
    preambles = {dialect: preamble(dialect) for dialect in ("openai_chat", "anthropic_messages", "gemini")}
    assert preambles == {"openai_chat": 1, "anthropic_messages": 3, "gemini": 0}
    preambles["openai_responses"] = RESPONSES_PREAMBLE
    checked = 0
    for item in scenarios():
        endpoint = item.get("endpoint", "/v1/chat/completions")
        for model, specs in specs_of(item).items():
            found = re.search(r"(?:after|at)=(\d+)", specs[0])
            if not found:
                continue
            first_text = preambles[upstream_dialect(model, endpoint)]
            if "before-content" in item["name"]:
                assert int(found.group(1)) <= first_text, item["name"]
            else:
                assert int(found.group(1)) > first_text, item["name"]
            checked += 1
    assert checked >= 15


def test_every_scenario_has_name_request_and_description():
    items = scenarios()
    assert len(items) >= 20
    for item in items:
        assert set(item) <= {"name", "request", "endpoint", "faults", "capabilities", "api_key", "description"}, item["name"]
        assert isinstance(item["name"], str) and item["name"]
        assert isinstance(item["request"], dict) and item["request"].get("model"), item["name"]
        assert isinstance(item["description"], str) and item["description"].endswith("."), item["name"]
        assert item.get("endpoint", "/v1/chat/completions") in ENDPOINTS, item["name"]
    names = [item["name"] for item in items]
    assert len(names) == len(set(names))


def test_scenarios_use_the_configured_groups_and_upstream_models():
    groups = {d.group for d in check.DEPLOYMENTS}
    upstream = {d.upstream_model for d in check.DEPLOYMENTS}
    for item in scenarios():
        request = item["request"]
        assert request["model"] in groups, item["name"]
        assert set(request.get("fallbacks", [])) <= groups, item["name"]
        assert "stream" not in request, item["name"]
        assert set(item.get("faults", {})) <= upstream, item["name"]
        for model, capabilities in item.get("capabilities", {}).items():
            assert model in upstream and capabilities == ["rejects_prefill"], item["name"]


def test_scenario_fault_specs_are_in_the_fault_language():
    for item in scenarios():
        for spec in item.get("faults", {}).values():
            for one in spec if isinstance(spec, list) else [spec]:
                kind, _, params = one.partition(":")
                assert kind in FAULT_KINDS, (item["name"], one)
                for pair in filter(None, params.split(",")):
                    assert re.fullmatch(r"[a-z_]+=[a-z_0-9.]+", pair), (item["name"], one)


def test_scenarios_cover_every_seed_class_and_standard_fault():
    items = scenarios()
    text = " ".join(item["description"] for item in items)
    for seed in ("#22296", "#28216", "#25843", "prefill"):
        assert seed in text
    specs = " ".join(json.dumps(item.get("faults", {})) for item in items)
    for needle in ("error_event:kind=rate_limit", "error_event:kind=overloaded", "http_error:status=429",
                   "http_error:status=500", "reset_before_headers", "cut:", "reset:", "stall:", "malformed:",
                   "drop_terminator"):
        assert needle in specs, needle
    endpoints = {item.get("endpoint", "/v1/chat/completions") for item in items}
    assert endpoints == ENDPOINTS
    assert any(item["request"].get("disable_fallbacks") is True for item in items)
    assert any("fallbacks" in item["request"] for item in items)


def test_failed_install_names_the_version_and_the_package_index(tmp_path, monkeypatch):
    venv = tmp_path / ".venv-litellm-0.0.0"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    monkeypatch.setattr(check, "venv_dir", lambda version: venv)
    monkeypatch.setattr(check.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 1, stdout="ERROR: No matching distribution found for litellm[proxy]==0.0.0\n"))
    with pytest.raises(check.HarnessError) as raised:
        check.ensure_litellm("0.0.0", sys.executable)
    message = str(raised.value)
    assert "litellm[proxy]==0.0.0" in message
    assert "may not be on the package index" in message
    assert "No matching distribution" in message


def test_harness_error_becomes_exit_status_2(tmp_path, monkeypatch):
    def fail(version, python):
        raise check.HarnessError("no such version")
    monkeypatch.setattr(check, "ensure_litellm", fail)
    assert check.main(["--version", "0.0.0", "--report", str(tmp_path / "r")]) == check.HARNESS_FAILED


def test_tapedeck_command_prefers_the_option():
    assert check.tapedeck_command("/opt/tapedeck --verbose") == ["/opt/tapedeck", "--verbose"]
    default = check.tapedeck_command(None)
    assert default[0].endswith("tapedeck") or default[:2] == ["swift", "run"]


def test_stop_all_ends_the_whole_process_group():
    processes = check.Processes()
    # A shell whose child (the grandchild of the harness) would outlive a plain kill of the shell.
    parent = processes.start("sleeper", ["sh", "-c", "sleep 60 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    grandchild = int(parent.stdout.readline())
    processes.stop_all()
    assert parent.poll() is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and alive(grandchild):
        time.sleep(0.05)
    assert not alive(grandchild)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie reparented to init counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_mock_upstream_logs_without_secrets_and_injects_an_in_band_error():
    import threading
    server = mock_upstream.serve(0, {"claude-x": ["error_event:after=4"]}, None, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        body = json.dumps({"model": "claude-x", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/anthropic/v1/messages", data=body,
                                         headers={"x-api-key": "sk-ant-secret", "x-tapedeck-fault": "ok"})
        text = urllib.request.urlopen(request, timeout=5).read().decode()
        events = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event: ")]
        assert events == ["message_start", "content_block_start", "ping", "content_block_delta", "error"]
        logged = server.RequestHandlerClass.state.requests
        assert logged[0]["path"] == "/anthropic/v1/messages" and logged[0]["api"] == "anthropic"
        assert logged[0]["headers"]["x-api-key"] == "<redacted>"
        assert logged[0]["headers"]["x-tapedeck-fault"] == "ok"
        assert "sk-ant-secret" not in json.dumps(logged)
    finally:
        server.shutdown()
        server.server_close()


def test_signal_handler_turns_sigterm_into_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt):
        check.interrupt(signal.SIGTERM, None)


@pytest.mark.skipif(os.environ.get("TAPEDECK_LITELLM_E2E") != "1" or not check.venv_dir(check.DEFAULT_VERSION).exists(),
                    reason="set TAPEDECK_LITELLM_E2E=1 with .venv-litellm-1.85.0 installed to run the harness end to end")
def test_harness_end_to_end_with_a_fake_analyzer(tmp_path):
    """The real proxy, the generated config and the fake analyzer's mock upstream: every group answers both ways."""
    fake = f"{sys.executable} {HERE / 'fake_analyzer.py'}"
    status = subprocess.run([sys.executable, str(HERE.parent / "check.py"), "--tapedeck", fake,
                             "--report", str(tmp_path / "report"), "--", "--exit-code", "7"], timeout=300).returncode
    assert status == 7
    report = json.loads((tmp_path / "report" / "fake-report.json").read_text())
    assert [r["status"] for r in report["results"]] == [200] * 8
    assert "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent" in report["upstream_paths"]
    assert not (tmp_path / "report" / "litellm" / "config.yaml").exists()
