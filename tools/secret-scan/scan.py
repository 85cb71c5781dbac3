#!/usr/bin/env python3
"""Secret scan over everything Tapedeck's tests wrote: cassettes, exports, reports, logs.

    python3 tools/secret-scan/scan.py ARTIFACTS_DIR [--tapedeck BIN] [--repo ROOT] [--json]

Every file under ARTIFACTS_DIR is read as raw bytes. On top of that:
  - an SQLite file (a cassette) is copied with its -wal/-shm to a scratch folder and opened there
    (so the scan never changes an artifact); every text value is scanned and every blob is scanned
    raw and decompressed (BlobCodec: tag byte 1, then zlib, primed with the preset dictionary the
    zlib header names; copies of those dictionaries live in zlib-dictionaries/). With --tapedeck,
    the copy is also exported with `tapedeck cassette export` to JSONL and HAR and both are scanned.
  - a -wal file is scanned raw (it is also read through its database);
  - a gzip file is decompressed and scanned.

It looks for key-shaped strings (OpenAI sk-/sk-proj-, Anthropic sk-ant-, Google AIza, `Bearer
<token>`, `x-api-key: <value>`) whose secret part is not the redaction marker, and for every
literal secret the tests and fixtures use: known-secrets.txt, plus every FAKE-containing token in
the test sources (so a new fake key is covered without editing a list).

Strict everywhere: nothing the tests keep is an echo of the test's own request; cassettes, exports,
reports and logs are exactly what Tapedeck wrote, and Tapedeck must redact all of them. Two
exceptions, both explicit:
  - a folder holding a SECRET-SCAN-CONTROL file belongs to a test that writes secrets unredacted
    on purpose (to prove its own check can fail). Findings there are expected and counted; if such
    folders exist and none of them yields a finding, the scan itself is blind and fails.
  - inputs: files a test wrote for Tapedeck to read (a router config with the fixture's API keys)
    are not output. The Swift tests keep them out of the artifacts folder; for suites that keep
    them beside their output (tools/sdk-check), CI names them with --input GLOB. They are counted
    and listed as inputs, not scanned.

Findings print the file, the kind of artifact, where in it, and the kind of secret, with the secret
masked (its first characters and its length), never in full. Exit status: 0 clean, 1 findings (or
a blind control), 2 bad usage.
"""
from __future__ import annotations

import argparse
import fnmatch
import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

HERE = Path(__file__).resolve().parent
CONTROL_MARKER = "SECRET-SCAN-CONTROL"
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
BLOB_ZLIB_TAG = 1

# The key shapes. The secret part excludes `[`, so a redacted `sk-proj-[REDACTED]` or
# `Bearer [REDACTED]` never matches.
SHAPES: list[tuple[str, re.Pattern[bytes]]] = [
    ("anthropic key", re.compile(rb"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai key", re.compile(rb"(?<![A-Za-z0-9_-])sk-(?!ant-)[A-Za-z0-9_-]{20,}")),
    ("google key", re.compile(rb"(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{30,}")),
    ("bearer token", re.compile(rb"(?i)(?<![A-Za-z0-9])bearer(?:\s|%20|\+)+([A-Za-z0-9._~+/=-]{12,})")),
    # `x-api-key: v`, `x-api-key=v`, JSON `"x-api-key":"v"` and header pairs `["x-api-key","v"]`.
    ("x-api-key value", re.compile(rb"""(?i)x-api-key["']?\s*(?::|=|,)\s*["']?([^\s"',\[\]{}]{8,})""")),
]
FAKE_TOKEN = re.compile(rb"[A-Za-z0-9_=.-]*FAKE[A-Za-z0-9_=.-]*")


@dataclass(frozen=True)
class Finding:
    path: str
    artifact: str  # the kind of file: cassette, wal, export-jsonl, report, log…
    where: str  # the place inside it: raw, table.column row N, blob decompressed…
    secret_kind: str
    masked: str
    control: bool

    def line(self) -> str:
        prefix = "control " if self.control else ""
        return f"{prefix}{self.secret_kind} in {self.artifact} {self.path} ({self.where}): {self.masked}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    scanned: dict[str, int] = field(default_factory=dict)  # artifact kind -> files or parts
    problems: list[str] = field(default_factory=list)  # files that could not be read fully
    control_folders: int = 0

    def count(self, kind: str) -> None:
        self.scanned[kind] = self.scanned.get(kind, 0) + 1

    @property
    def leaks(self) -> list[Finding]:
        return [f for f in self.findings if not f.control]

    @property
    def control_hits(self) -> list[Finding]:
        return [f for f in self.findings if f.control]

    @property
    def blind(self) -> bool:
        return self.control_folders > 0 and not self.control_hits

    @property
    def failed(self) -> bool:
        return bool(self.leaks) or self.blind


def mask(secret: bytes) -> str:
    """The first few characters and the length: enough to tell which key, never the key."""
    text = secret.decode("utf-8", errors="replace")
    shown = 6 if len(text) > 12 else 2
    return f"{text[:shown]}…({len(text)} chars)"


class Scanner:
    """Finds key shapes and known literal secrets in byte strings."""

    def __init__(self, literals: Iterable[bytes]):
        self.literals = sorted({l for l in literals if len(l) >= 8}, key=len, reverse=True)

    def find(self, data: bytes) -> Iterator[tuple[str, bytes]]:
        seen: set[bytes] = set()
        for literal in self.literals:
            if literal in data and literal not in seen:
                seen.add(literal)
                yield "known test secret", literal
        for kind, pattern in SHAPES:
            for match in pattern.finditer(data):
                secret = match.group(match.lastindex or 0)
                if secret in seen or any(secret in known for known in seen):
                    continue
                seen.add(secret)
                yield kind, secret


def load_literals(repo: Path | None) -> list[bytes]:
    """known-secrets.txt plus every FAKE token in the test sources and tools."""
    literals: list[bytes] = []
    listed = HERE / "known-secrets.txt"
    if listed.exists():
        for raw in listed.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                literals.append(line.encode())
    if repo is not None:
        sources = list((repo / "Tests").rglob("*.swift")) + [
            p for p in (repo / "tools").rglob("*.py") if HERE not in p.parents
        ]
        for source in sources:
            for token in FAKE_TOKEN.findall(source.read_bytes()):
                # A bare mention of the word is not a secret; a fake key is long.
                if len(token) >= 16:
                    literals.append(token)
    return literals


def load_dictionaries() -> dict[int, bytes]:
    """The store's preset zlib dictionaries, by the Adler-32 a zlib header names them with."""
    table: dict[int, bytes] = {}
    for file in sorted((HERE / "zlib-dictionaries").glob("*.bin")):
        data = file.read_bytes()
        table[zlib.adler32(data)] = data
    return table


def decompress_blob(blob: bytes, dictionaries: dict[int, bytes]) -> bytes | None:
    """A cassette blob's payload (BlobCodec), or None when it is not one."""
    if len(blob) < 3 or blob[0] != BLOB_ZLIB_TAG:
        return None
    stream = blob[1:]
    cmf, flg = stream[0], stream[1]
    if cmf & 0x0F != 8 or ((cmf << 8) | flg) % 31 != 0:
        return None
    if flg & 0x20:  # FDICT: the next four bytes are the dictionary's Adler-32
        dictid = int.from_bytes(stream[2:6], "big")
        dictionary = dictionaries.get(dictid)
        if dictionary is None:
            raise zlib.error(f"the blob names an unknown preset dictionary {dictid:08x}")
        inflater = zlib.decompressobj(zdict=dictionary)
    else:
        inflater = zlib.decompressobj()
    return inflater.decompress(stream) + inflater.flush()


def artifact_kind(path: Path, head: bytes) -> str:
    name = path.name.lower()
    if head.startswith(SQLITE_MAGIC):
        return "cassette"
    if name.endswith("-wal"):
        return "wal"
    if name.endswith("-shm") or name.endswith("-journal"):
        return "sqlite-side-file"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if name.endswith(".log") or "logs" in path.parts[:-1]:
        return "log"
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "export-jsonl"
    if suffix == ".har":
        return "export-har"
    if name.startswith("report") or name in ("junit.xml",) or suffix in (".md", ".html", ".xml"):
        return "report"
    if suffix in (".json",):
        return "report"
    return "other"


class ArtifactScan:
    def __init__(self, root: Path, scanner: Scanner, dictionaries: dict[int, bytes], tapedeck: Path | None,
                 inputs: Iterable[str] = ()):
        self.root = root
        self.inputs = list(inputs)
        self.scanner = scanner
        self.dictionaries = dictionaries
        self.tapedeck = tapedeck
        self.report = Report()

    def control_folder_of(self, path: Path) -> bool:
        for folder in [path.parent, *path.parent.parents]:
            if (folder / CONTROL_MARKER).exists():
                return True
            if folder == self.root:
                break
        return False

    def record(self, data: bytes, path: Path, artifact: str, where: str, control: bool) -> None:
        for kind, secret in self.scanner.find(data):
            self.report.findings.append(Finding(str(path), artifact, where, kind, mask(secret), control))

    def run(self) -> Report:
        for folder, _, _ in os.walk(self.root):
            if (Path(folder) / CONTROL_MARKER).exists():
                self.report.control_folders += 1
        for path in sorted(p for p in self.root.rglob("*") if p.is_file() and not p.is_symlink()):
            if path.name == CONTROL_MARKER:
                continue
            relative = path.relative_to(self.root).as_posix()
            if any(fnmatch.fnmatch(relative, pattern) for pattern in self.inputs):
                self.report.count("input (not scanned)")
                continue
            try:
                self.scan_file(path)
            except (OSError, sqlite3.Error, zlib.error, EOFError, subprocess.SubprocessError) as error:
                self.report.problems.append(f"{path}: {error}")
        return self.report

    def scan_file(self, path: Path) -> None:
        data = path.read_bytes()
        kind = artifact_kind(path, data[:16])
        control = self.control_folder_of(path)
        self.report.count(kind)
        self.record(data, path, kind, "raw", control)
        if kind == "gzip":
            self.record(gzip.decompress(data), path, kind, "decompressed", control)
        elif kind == "cassette":
            self.scan_cassette(path, control)

    def scan_cassette(self, path: Path, control: bool) -> None:
        with tempfile.TemporaryDirectory(prefix="secret-scan-") as scratch:
            copy = Path(scratch) / "copy.sqlite"
            shutil.copyfile(path, copy)
            for side in ("-wal", "-shm"):
                original = Path(str(path) + side)
                if original.exists():
                    shutil.copyfile(original, Path(str(copy) + side))
            self.scan_database(copy, path, control)
            if self.tapedeck is not None:
                self.scan_exports(copy, path, control, Path(scratch))

    def scan_database(self, copy: Path, path: Path, control: bool) -> None:
        connection = sqlite3.connect(copy)
        try:
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                quoted = '"' + table.replace('"', '""') + '"'
                cursor = connection.execute(f"SELECT * FROM {quoted}")
                columns = [d[0] for d in cursor.description]
                for number, row in enumerate(cursor):
                    for column, value in zip(columns, row):
                        where = f"{table}.{column} row {number}"
                        if isinstance(value, str):
                            self.record(value.encode(), path, "cassette-column", where, control)
                        elif isinstance(value, bytes):
                            self.record(value, path, "cassette-blob", where + " raw", control)
                            try:
                                inflated = decompress_blob(value, self.dictionaries)
                            except zlib.error as error:
                                self.report.problems.append(f"{path}: {where}: {error}")
                                continue
                            if inflated is not None:
                                self.report.count("cassette-blob")
                                self.record(inflated, path, "cassette-blob", where + " decompressed", control)
        finally:
            connection.close()

    def scan_exports(self, copy: Path, path: Path, control: bool, scratch: Path) -> None:
        for format_name in ("jsonl", "har"):
            out = scratch / f"export.{format_name}"
            result = subprocess.run(
                [str(self.tapedeck), "cassette", "export", str(copy), "--format", format_name, "--out", str(out)],
                capture_output=True, timeout=120)
            if result.returncode != 0 or not out.exists():
                # Not every SQLite file is a cassette (or it may be damaged on purpose by a test).
                message = result.stderr.decode(errors="replace").strip().splitlines()[:1]
                self.report.problems.append(f"{path}: export {format_name} failed: {' '.join(message)}")
                continue
            self.report.count(f"cassette-export-{format_name}")
            self.record(out.read_bytes(), path, f"cassette-export-{format_name}", "tapedeck cassette export", control)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("artifacts", type=Path, help="the folder the tests kept their artifacts in")
    parser.add_argument("--tapedeck", type=Path, help="the tapedeck binary, to export every cassette too")
    parser.add_argument("--repo", type=Path, default=HERE.parent.parent,
                        help="the repository root, whose test sources name the fake secrets")
    parser.add_argument("--input", action="append", default=[], metavar="GLOB",
                        help="a test input, not output (path relative to the folder; * matches /); repeatable")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    options = parser.parse_args(argv)
    if not options.artifacts.is_dir():
        print(f"secret-scan: {options.artifacts} is not a folder", file=sys.stderr)
        return 2
    if options.tapedeck is not None and not os.access(options.tapedeck, os.X_OK):
        print(f"secret-scan: --tapedeck {options.tapedeck} is not an executable file", file=sys.stderr)
        return 2
    scanner = Scanner(load_literals(options.repo))
    report = ArtifactScan(options.artifacts.resolve(), scanner, load_dictionaries(), options.tapedeck,
                           options.input).run()

    for finding in report.leaks:
        print(f"LEAK {finding.line()}")
    if options.json:
        print(json.dumps({
            "scanned": report.scanned, "leaks": len(report.leaks), "control_folders": report.control_folders,
            "control_hits": len(report.control_hits), "problems": report.problems,
        }, indent=2, sort_keys=True))
    else:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.scanned.items()))
        print(f"secret-scan: scanned {kinds}")
        print(f"secret-scan: {len(report.leaks)} leaks; {len(report.control_hits)} expected findings in "
              f"{report.control_folders} control folders")
        for problem in report.problems:
            print(f"secret-scan: note: {problem}")
    if report.blind:
        print("secret-scan: the control folders hold secrets on purpose, yet none was found: the scan is blind",
              file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
