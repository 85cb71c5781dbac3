"""Runs `tapedeck serve` as a child process for the SDK checks and reads its attempt ledger.

The server listens on port 0, so there is no race for a free port. The port is read from the line
it prints on stdout (`tapedeck serve: … on http://127.0.0.1:PORT`) or, since that line stays in
stdout's buffer while stdout is not a terminal, from its `replay server listening` log line on
stderr (`… host=127.0.0.1 port=PORT [Replay] replay server listening`).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

STARTUP_SECONDS = 60.0
STOP_SECONDS = 10.0
POLL_SECONDS = 0.05
ANNOUNCED = re.compile(r" on (http://[0-9.]+:\d+)\s*$", re.MULTILINE)
LOGGED = re.compile(r"host=([0-9.]+) port=(\d+) .*replay server listening")


class ReplayServerError(Exception):
    """The replay server could not be started or answered unexpectedly; one sentence for the user."""


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it if the test process dies, so a killed
    pytest leaves no replay server behind."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Polls `condition` until it returns something truthy; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ReplayServerError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(POLL_SECONDS)


class ReplayServer:
    """One `tapedeck serve` process: start it, ask its admin endpoints, stop it."""

    def __init__(self, binary: Path, cassette: Path, log_dir: Path, name: str, extra: Sequence[str] = ()):
        self.binary = binary
        self.cassette = cassette
        self.name = name
        self.extra = list(extra)
        self.stdout_path = log_dir / f"{name}.stdout.log"
        self.stderr_path = log_dir / f"{name}.stderr.log"
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.url = ""

    @property
    def command(self) -> list[str]:
        return [str(self.binary), "serve", "--cassette", str(self.cassette), "--listen", "127.0.0.1:0",
                "--speed", "max", *self.extra]

    def start(self) -> "ReplayServer":
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                            preexec_fn=_die_with_parent)
        try:
            self.url = wait_for(self._announced_url, STARTUP_SECONDS, f"{self.name} to print its address")
            wait_for(self._healthy, STARTUP_SECONDS, f"{self.name} to answer GET /_tapedeck/health")
        except BaseException:
            self.stop()
            raise
        return self

    def _announced_url(self) -> Optional[str]:
        assert self.process is not None
        announced = ANNOUNCED.search(self.stdout_path.read_text(errors="replace"))
        if announced:
            return announced.group(1)
        logged = LOGGED.search(self.stderr_path.read_text(errors="replace"))
        if logged:
            return f"http://{logged.group(1)}:{logged.group(2)}"
        if self.process.poll() is not None:
            raise ReplayServerError(
                f"{self.name} exited with status {self.process.returncode} before listening: "
                f"{self.stderr_path.read_text(errors='replace').strip()[-800:]}")
        return None

    def _healthy(self) -> bool:
        try:
            return self.request("GET", "/_tapedeck/health") == {"status": "ok"}
        except (OSError, ReplayServerError):
            return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within STOP_SECONDS."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)

    # Admin endpoints.

    def request(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ReplayServerError(f"{self.name}: {method} {path} answered {error.code}") from error

    def attempts(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_tapedeck/attempts")["attempts"]

    def clear_attempts(self) -> None:
        """Empties the ledger; the server also restarts its fault schedules and replay order."""
        self.request("DELETE", "/_tapedeck/attempts")

    def settled_attempts(self, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        """The ledger once it holds `count` attempts that have all ended on the wire (the server
        records an ending after the client may already have returned)."""
        def settled() -> Optional[list[dict[str, Any]]]:
            attempts = self.attempts()
            if len(attempts) >= count and all(a["ending"] is not None for a in attempts):
                return attempts
            return None

        attempts = wait_for(settled, seconds, f"{count} finished attempt(s) in {self.name}'s ledger")
        if len(attempts) != count:
            raise AssertionError(f"expected {count} attempt(s) in {self.name}'s ledger, found {len(attempts)}: {attempts}")
        return attempts


def tapedeck_binary(repo: Path) -> Path:
    """`$TAPEDECK_BIN`, else `.build/debug/tapedeck` under the repository root."""
    configured = os.environ.get("TAPEDECK_BIN")
    path = Path(configured) if configured else repo / ".build" / "debug" / "tapedeck"
    return path if path.is_absolute() else repo / path
