#!/usr/bin/env python3
"""Check a real LiteLLM proxy with Tapedeck's analyzer: stream vs non-stream fallback divergences.

    python3 tools/litellm/check.py                      # LiteLLM 1.85.0, report in ./tapedeck-report-litellm-1.85.0/
    python3 tools/litellm/check.py --version 1.86.0 --report /tmp/report

Creates `.venv-litellm-<version>/` at the repository root if absent and installs
`litellm[proxy]==<version>` into it, writes a LiteLLM config (no database, master key only) whose
deployments point at the analyzer's replay server, starts the proxy on loopback, runs
`tapedeck analyze --target …` with `tools/litellm/scenarios.yaml`, and stops everything it started,
also on Ctrl-C and on errors. The exit code is the analyzer's (or 2 when the harness itself failed).

Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_VERSION = "1.85.0"
DEFAULT_SCENARIOS = HERE / "scenarios.yaml"
# The recordings the replay server answers from; scenarios.yaml asks for their models and conversations.
DEFAULT_CASSETTE = REPO / "fixtures" / "cassettes" / "analyze-demo.jsonl"
HARNESS_FAILED = 2

# The upstream key LiteLLM sends to the replay server: a placeholder, never a real secret.
UPSTREAM_KEY = "sk-tapedeck-upstream-placeholder"

# Shorter than the `stall:after=3,seconds=20` scenario, so a stalled stream must fail over;
# `timeout` (non-stream, and the first byte of a stream) is shorter than the stall too, so
# both modes see a timeout under the same fault.
STREAM_TIMEOUT_SECONDS = 5
TIMEOUT_SECONDS = 10

# How long the analyzer's client waits before it calls a run a hang. A stalled non-stream request
# legitimately takes two timed-out attempts plus a fallback (about 21 s with the values above),
# longer than the analyzer's default of 20 s, so the harness gives the proxy a minute.
CLIENT_DEADLINE_SECONDS = 60


class HarnessError(Exception):
    """A step of the harness failed; the message is one sentence for the user."""


@dataclass(frozen=True)
class Deployment:
    """One model group of the generated config, with the upstream model it routes to."""

    group: str
    provider: str  # openai | anthropic | gemini
    upstream_model: str
    note: str


# The groups clients ask for. Upstream model names are the ones recorded in the analyzer's cassette
# (fixtures/cassettes/analyze-demo.jsonl), so the replay server can answer every deployment.
DEPLOYMENTS = [
    Deployment("chat", "openai", "gpt-4o", "primary; falls back across providers to claude"),
    Deployment("claude", "anthropic", "claude-sonnet-4-6", "no fallbacks of its own (per-request fallbacks only)"),
    Deployment("claude-fb", "anthropic", "claude-sonnet-4-6", "the same model with a fallback: to chat"),
    Deployment("gemini", "gemini", "gemini-2.5-flash", "a deferred-error provider; falls back to chat"),
]

# Router-level fallbacks. `claude` has none on purpose: scenarios that give it per-request
# `fallbacks` then show whether the streaming path sees them or falls back to nothing.
# `claude-fb` and `gemini` fall back to the OpenAI group, whose continuation requests keep the
# recorded conversation as their prefix (README: the replay matcher and continuations).
FALLBACKS = [
    {"chat": ["claude"]},
    {"claude-fb": ["chat"]},
    {"gemini": ["chat"]},
]


def api_base(provider: str, upstream_port: int) -> str:
    """The api_base that makes LiteLLM call the replay server at its provider-prefixed paths.

    Measured on LiteLLM 1.85.0 (see NOTES.md): openai appends `/chat/completions` or `/responses`
    to the base, anthropic appends `/v1/messages`, gemini appends
    `/models/{model}:generateContent` (or `:streamGenerateContent?alt=sse`) without a version,
    so the gemini base must carry `/v1beta` itself.
    """
    root = f"http://127.0.0.1:{upstream_port}"
    return {
        "openai": f"{root}/openai/v1",
        "anthropic": f"{root}/anthropic",
        "gemini": f"{root}/gemini/v1beta",
    }[provider]


def build_config(upstream_port: int, master_key: str, deployments: list[Deployment] = DEPLOYMENTS,
                 fallbacks: list[dict] = FALLBACKS) -> dict:
    """The LiteLLM proxy config for a replay server on `upstream_port`, as plain data.

    `deployments` and `fallbacks` default to the groups the scenarios use; probe.py passes its own.
    """
    model_list = []
    for deployment in deployments:
        model_list.append({
            "model_name": deployment.group,
            "litellm_params": {
                "model": f"{deployment.provider}/{deployment.upstream_model}",
                "api_base": api_base(deployment.provider, upstream_port),
                "api_key": UPSTREAM_KEY,
                "timeout": TIMEOUT_SECONDS,
                "stream_timeout": STREAM_TIMEOUT_SECONDS,
            },
        })
    return {
        "model_list": model_list,
        "router_settings": {
            # One retry per group keeps runs short while still exercising retries in both modes.
            "num_retries": 1,
            # A failing deployment must not be cooled down between scenarios: every group has one.
            "allowed_fails": 1000,
            "cooldown_time": 0,
            "fallbacks": fallbacks,
        },
        "litellm_settings": {
            "drop_params": True,
            # Keep the proxy quiet and offline: no callbacks, no telemetry.
            "telemetry": False,
        },
        "general_settings": {
            "master_key": master_key,
            # Forward the client's `x-*` headers (so `x-tapedeck-*` reaches the replay server on
            # the paths where LiteLLM forwards at all; NOTES.md lists where it does not).
            "forward_client_headers_to_llm_api": True,
        },
    }


def to_yaml(value, indent: int = 0) -> str:
    """A small YAML emitter for the config: mappings, lists and JSON-compatible scalars.

    Strings are written double-quoted (JSON escaping is valid YAML), so no value is ever
    re-typed by a YAML reader (`"1.0"` stays a string, `"no"` stays a string).
    """
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}\n"
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {to_yaml(item).strip()}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]\n"
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {body[indent + 2:]}")
            else:
                lines.append(f"{pad}- {to_yaml(item).strip()}\n")
        return "".join(lines)
    if value is None:
        return "null\n"
    if isinstance(value, bool):
        return ("true" if value else "false") + "\n"
    if isinstance(value, (int, float)):
        return f"{value}\n"
    return json.dumps(str(value)) + "\n"


def redacted(config: dict) -> dict:
    """The config with its master key hidden, for the copy kept beside the report."""
    copy = json.loads(json.dumps(config))
    copy["general_settings"]["master_key"] = "<redacted>"
    return copy


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def venv_dir(version: str) -> Path:
    return REPO / f".venv-litellm-{version}"


def ensure_litellm(version: str, python: str) -> Path:
    """The `litellm` executable of the version's venv, creating and installing it if absent."""
    venv = venv_dir(version)
    litellm = venv / "bin" / "litellm"
    marker = venv / ".tapedeck-installed"
    if litellm.exists() and marker.exists():
        return litellm
    if not (venv / "bin" / "python").exists():
        log(f"creating {venv.name}")
        run_checked([python, "-m", "venv", str(venv)], f"could not create the virtual environment {venv}")
    log(f"installing litellm[proxy]=={version} (a few minutes the first time)")
    started = time.monotonic()
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--disable-pip-version-check", "-q", f"litellm[proxy]=={version}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise HarnessError(
            f"pip could not install litellm[proxy]=={version} into {venv} (the version may not be on "
            f"the package index here; 1.85.0 is known to install):\n{tail}")
    if not litellm.exists():
        raise HarnessError(f"litellm[proxy]=={version} installed but {litellm} is missing.")
    marker.write_text(f"litellm[proxy]=={version}\n")
    log(f"installed in {time.monotonic() - started:.0f} s")
    return litellm


def run_checked(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise HarnessError(f"{what}: {result.stdout.strip()[-2000:]}")


def tapedeck_command(option: str | None) -> list[str]:
    """How to run the analyzer: `--tapedeck`, else the release build, else `swift run`."""
    if option:
        return shlex.split(option)
    built = REPO / ".build" / "release" / "tapedeck"
    if built.exists():
        return [str(built)]
    return ["swift", "run", "--package-path", str(REPO), "-c", "release", "tapedeck"]


def analyzer_command(args: argparse.Namespace, url: str, master_key: str, upstream_port: int, report: Path) -> list[str]:
    """The `tapedeck analyze` invocation against the proxy; extra arguments after `--` come last."""
    command = tapedeck_command(args.tapedeck) + [
        "analyze", "--target", url, "--target-key", master_key, "--upstream-port", str(upstream_port),
        "--cassette", str(Path(args.cassette).resolve()), "--scenarios", str(Path(args.scenarios).resolve()),
        "--report", str(report)]
    if not any(arg == "--deadline" or arg.startswith("--deadline=") for arg in args.analyzer_args):
        command += ["--deadline", str(CLIENT_DEADLINE_SECONDS)]
    return command + list(args.analyzer_args)


def litellm_env() -> dict[str, str]:
    env = dict(os.environ)
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no download of the cost map at startup
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("DATABASE_URL", None)  # no database: key-level settings are out of reach (README)
    return env


class Processes:
    """Child processes started in their own process groups, stopped group by group."""

    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self.children.append((name, process))
        return process

    def stop_all(self) -> None:
        for name, process in reversed(self.children):
            stop_group(name, process)
        self.children.clear()


def stop_group(name: str, process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM to the child's process group, SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop within {grace:.0f} s; killing it")
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    except ProcessLookupError:
        pass


def wait_for_liveliness(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> float:
    """Seconds until `GET /health/liveliness` answers 200; an error if the proxy dies or never does."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise HarnessError(
                f"the LiteLLM proxy exited with status {process.returncode} during startup; "
                f"its log is {log_path}:\n{tail_of(log_path)}")
        try:
            with urllib.request.urlopen(f"{url}/health/liveliness", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise HarnessError(f"the LiteLLM proxy at {url} did not become live within {timeout:.0f} s; its log is {log_path}.")


def tail_of(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def log(message: str) -> None:
    print(f"litellm-check: {message}", file=sys.stderr, flush=True)


HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def interrupt(signum, frame) -> None:
    """SIGINT, SIGTERM and SIGHUP all take Ctrl-C's way out, so cleanup in `finally` always runs."""
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run Tapedeck's analyzer against a real LiteLLM proxy.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--version", default=DEFAULT_VERSION, help="the litellm[proxy] version to install and check")
    parser.add_argument("--tapedeck", help="the analyzer command (default: .build/release/tapedeck if built, else swift run -c release tapedeck)")
    parser.add_argument("--scenarios", default=str(DEFAULT_SCENARIOS), help="the scenario file")
    parser.add_argument("--cassette", default=str(DEFAULT_CASSETTE), help="the cassette the replay server answers from")
    parser.add_argument("--report", help="report directory (default: ./tapedeck-report-litellm-VERSION)")
    parser.add_argument("--python", default=sys.executable, help="the Python that creates the venv")
    parser.add_argument("--startup-timeout", type=float, default=120, help="seconds to wait for the proxy to become live")
    parser.add_argument("--print-config", metavar="UPSTREAM_PORT", type=int,
                        help="print the generated LiteLLM config for this replay-server port and exit")
    parser.add_argument("--serve-only", action="store_true",
                        help="start the proxy (against --upstream-port) and wait for Ctrl-C instead of analyzing")
    parser.add_argument("--upstream-port", type=int, help="replay-server port (default: a free port)")
    parser.add_argument("analyzer_args", nargs="*", help="extra arguments for `tapedeck analyze` (after --)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.print_config is not None:
        sys.stdout.write(to_yaml(build_config(args.print_config, "sk-tapedeck-check-example")))
        return 0

    # Installed explicitly, so even a run started in the background (where SIGINT is ignored)
    # stops what it started when told to.
    previous = {signum: signal.signal(signum, interrupt) for signum in HANDLED_SIGNALS}

    report = Path(args.report or f"tapedeck-report-litellm-{args.version}").resolve()
    processes = Processes()
    try:
        litellm = ensure_litellm(args.version, args.python)
        report.mkdir(parents=True, exist_ok=True)
        upstream_port = args.upstream_port or free_port()
        proxy_port = free_port()
        master_key = "sk-tapedeck-check-" + secrets.token_hex(8)
        config = build_config(upstream_port, master_key)
        work = report / "litellm"
        work.mkdir(exist_ok=True)
        config_path = work / "config.yaml"
        # The live config holds the run's throwaway master key; only the redacted copy stays.
        config_path.write_text(to_yaml(config))
        config_path.chmod(0o600)
        (work / "config.redacted.yaml").write_text(to_yaml(redacted(config)))
        proxy_log = work / "proxy.log"
        url = f"http://127.0.0.1:{proxy_port}"

        log(f"starting LiteLLM {args.version} on {url} (upstream port {upstream_port})")
        with open(proxy_log, "wb") as sink:
            proxy = processes.start(
                "litellm", [str(litellm), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(proxy_port)],
                stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=litellm_env(), cwd=str(work))
        startup = wait_for_liveliness(url, proxy, proxy_log, args.startup_timeout)
        log(f"LiteLLM is live after {startup:.1f} s")
        (work / "run.json").write_text(json.dumps({
            "litellm_version": args.version, "proxy_url": url, "upstream_port": upstream_port,
            "startup_seconds": round(startup, 2)}, indent=2) + "\n")

        if args.serve_only:
            # A throwaway key made for this run, printed so a person can call the proxy.
            log(f"serving on {url} with master key {master_key}; Ctrl-C stops it")
            proxy.wait()
            return 0

        command = analyzer_command(args, url, master_key, upstream_port, report)
        log("running: " + " ".join(shlex.quote(part) for part in command).replace(master_key, "<master-key>"))
        analyzer = processes.start("tapedeck analyze", command, cwd=str(REPO))
        status = analyzer.wait()
        if proxy.poll() is not None:
            log(f"warning: the LiteLLM proxy exited with status {proxy.returncode} during the run; see {proxy_log}")
        log(f"analyzer exited with status {status}; report in {report}, proxy log in {proxy_log}")
        return status
    except HarnessError as error:
        log(f"error: {error}")
        return HARNESS_FAILED
    except FileNotFoundError as error:
        log(f"error: cannot run {error.filename}: not found")
        return HARNESS_FAILED
    except KeyboardInterrupt:
        log("interrupted; stopping what was started")
        return 130
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        for signum in HANDLED_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        processes.stop_all()
        # The live config carries the master key; the proxy is gone, so is the need for it.
        live = report / "litellm" / "config.yaml"
        if live.exists():
            live.unlink()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
