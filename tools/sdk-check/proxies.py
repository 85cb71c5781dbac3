"""Runs `tapedeck record` and `tapedeck route` as child processes in front of a replay server, so
the SDK checks can also pass through the recording proxy and through the fallback gateway.

Both listen on port 0 and announce their address on stdout. That line stays in stdout's buffer
while stdout is not a terminal, so the child runs under `stdbuf -oL` (line-buffered stdio) when
`stdbuf` exists; otherwise a port is picked here first (a small race, loopback only).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any, Optional, Pattern, Sequence

from replay_server import STARTUP_SECONDS, STOP_SECONDS, ReplayServerError, _die_with_parent, wait_for

RECORDER_ANNOUNCED = re.compile(r"Recording on ([0-9.]+:\d+) into")
GATEWAY_ANNOUNCED = re.compile(r"listening on (http://[0-9.]+:\d+)")
DRAIN_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepts(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


class ChildProxy:
    """One tapedeck subcommand that listens for clients: start it, wait until it accepts, stop it."""

    announced: Pattern[str]

    def __init__(self, binary: Path, log_dir: Path, name: str):
        self.binary = binary
        self.name = name
        self.stdout_path = log_dir / f"{name}.stdout.log"
        self.stderr_path = log_dir / f"{name}.stderr.log"
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.returncode: Optional[int] = None
        self.url = ""

    def arguments(self, listen: str) -> list[str]:
        raise NotImplementedError

    def start(self) -> "ChildProxy":
        line_buffered = shutil.which("stdbuf")
        listen = "127.0.0.1:0" if line_buffered else f"127.0.0.1:{_free_port()}"
        command = [str(self.binary), *self.arguments(listen)]
        if line_buffered:
            command = [line_buffered, "-oL", *command]
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                            preexec_fn=_die_with_parent)
        try:
            self.url = wait_for(self._announced_url, STARTUP_SECONDS, f"{self.name} to print its address")
            wait_for(lambda: _accepts(self.url), STARTUP_SECONDS, f"{self.name} to accept connections")
        except BaseException:
            self.kill()
            raise
        return self

    def _announced_url(self) -> Optional[str]:
        assert self.process is not None
        found = self.announced.search(self.stdout_path.read_text(errors="replace")) or \
            self.announced.search(self.stderr_path.read_text(errors="replace"))
        if found:
            address = found.group(1)
            return address if address.startswith("http://") else f"http://{address}"
        if self.process.poll() is not None:
            raise ReplayServerError(
                f"{self.name} exited with status {self.process.returncode} before listening: "
                f"{self.stderr_path.read_text(errors='replace').strip()[-800:]}")
        return None

    def terminate(self, seconds: float = DRAIN_SECONDS) -> int:
        """SIGTERM and wait for a graceful exit; returns the exit status (None-safe: kills on timeout)."""
        process, self.process = self.process, None
        if process is None:
            assert self.returncode is not None, f"{self.name} was never started"
            return self.returncode
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_SECONDS)
                raise ReplayServerError(f"{self.name} did not exit within {seconds:g} s of SIGTERM")
        self.returncode = process.returncode
        return process.returncode

    def kill(self) -> None:
        """Stops it whatever state it is in (teardown)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)


class Recorder(ChildProxy):
    """`tapedeck record` relaying every path to one upstream (a replay server) into `cassette`."""

    announced = RECORDER_ANNOUNCED

    def __init__(self, binary: Path, log_dir: Path, name: str, upstream: str, cassette: Path):
        super().__init__(binary, log_dir, name)
        self.upstream = upstream
        self.cassette = cassette

    def arguments(self, listen: str) -> list[str]:
        return ["record", "--listen", listen, "--upstream", self.upstream, "--cassette", str(self.cassette),
                "--drain-timeout", "5"]

    def interactions(self) -> list[dict[str, Any]]:
        """`tapedeck cassette ls --json` of the cassette (after `terminate`, so it is flushed)."""
        listed = subprocess.run([str(self.binary), "cassette", "ls", str(self.cassette), "--json"],
                                capture_output=True, timeout=60, check=True)
        return json.loads(listed.stdout)

    def verify(self) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([str(self.binary), "cassette", "verify", str(self.cassette)],
                              capture_output=True, timeout=60)


class Gateway(ChildProxy):
    """`tapedeck route` with a LiteLLM config whose api_bases point at a replay server."""

    announced = GATEWAY_ANNOUNCED

    def __init__(self, binary: Path, log_dir: Path, name: str, config: Path):
        super().__init__(binary, log_dir, name)
        self.config = config

    def arguments(self, listen: str) -> list[str]:
        return ["route", "--config", str(self.config), "--listen", listen]


def point_config_at(template: Path, server_url: str, into: Path, placeholder: str = "http://127.0.0.1:8788") -> Path:
    """Writes `template` with its placeholder api_base host replaced by the replay server's."""
    text = template.read_text()
    if placeholder not in text:
        raise ReplayServerError(f"{template} has no api_base on {placeholder} to point at the replay server")
    into.write_text(text.replace(placeholder, server_url))
    return into
