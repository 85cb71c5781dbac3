"""The secret scan finds a planted secret in every kind of artifact and passes clean ones."""
from __future__ import annotations

import gzip
import json
import sqlite3
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import scan  # noqa: E402

PLANTED = "sk-proj-FAKE0secret0scan0planted0key000001"  # a FAKE token: found as a known literal
SHAPED = "sk-ant-api03-" + "Q" * 24  # not in any list: found by its shape only
CHAT_DICTIONARY = scan.HERE / "zlib-dictionaries" / "openAIChatV1.bin"


def blob(payload: bytes, dictionary: bytes | None) -> bytes:
    """A BlobCodec blob: tag 1, then zlib primed with the dictionary."""
    deflater = zlib.compressobj(6, zlib.DEFLATED, 15, zdict=dictionary) if dictionary else zlib.compressobj(6)
    return bytes([1]) + deflater.compress(payload) + deflater.flush()


def make_cassette(path: Path, frame_text: str, header_value: str = "[REDACTED]", keep_open: bool = False):
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("CREATE TABLE interaction (id TEXT, request_headers TEXT, request_body BLOB, response_blob BLOB)")
    frames = f'data: {{"choices":[{{"delta":{{"content":"{frame_text}"}}}}]}}\n\ndata: [DONE]\n\n'.encode()
    body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}'
    connection.execute(
        "INSERT INTO interaction VALUES (?, ?, ?, ?)",
        ("ix-1", json.dumps([["authorization", header_value]]), blob(body, None),
         blob(frames, CHAT_DICTIONARY.read_bytes())))
    connection.commit()
    if keep_open:
        return connection
    connection.close()
    return None


def run(folder: Path, capsys, *extra: str) -> tuple[int, str]:
    status = scan.main([str(folder), "--repo", str(scan.HERE.parent.parent), *extra])
    return status, capsys.readouterr().out


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    return folder


def test_clean_artifacts_of_every_kind_pass(artifacts: Path, capsys):
    make_cassette(artifacts / "clean.sqlite", "Paris")
    (artifacts / "export.jsonl").write_text('{"request":{"headers":[["x-api-key","[REDACTED]"]]}}\n')
    (artifacts / "export.har").write_text('{"log":{"entries":[{"request":{"headers":[{"name":"authorization","value":"Bearer [REDACTED]"}]}}]}}')
    (artifacts / "report.json").write_text('{"summary":{"findings":0}}')
    (artifacts / "report.md").write_text("# Report\nno findings; sk-[REDACTED] was masked\n")
    (artifacts / "record.log").write_text("info exchange recorded path=/v1/chat/completions status=200\n")
    (artifacts / "frames.sse.gz").write_bytes(gzip.compress(b"data: {}\n\n"))
    status, out = run(artifacts, capsys)
    assert status == 0, out
    assert "0 leaks" in out
    assert "1 cassette" in out and "1 export-jsonl" in out and "1 log" in out and "1 gzip" in out


@pytest.mark.parametrize("kind, write", [
    ("export-jsonl", lambda f: (f / "x.jsonl").write_text(f'{{"frames":[{{"text":"{PLANTED}"}}]}}\n')),
    ("export-har", lambda f: (f / "x.har").write_text(f'{{"value":"Bearer {SHAPED}"}}')),
    ("report", lambda f: (f / "report.html").write_text(f"<td>{PLANTED}</td>")),
    ("log", lambda f: (f / "route.log").write_text(f"error upstream failed key={SHAPED}\n")),
    ("gzip", lambda f: (f / "body.gz").write_bytes(gzip.compress(PLANTED.encode()))),
])
def test_a_planted_secret_is_found_in_each_kind_of_file(artifacts: Path, capsys, kind, write):
    write(artifacts)
    status, out = run(artifacts, capsys)
    assert status == 1
    assert f"in {kind} " in out, out


def test_a_secret_only_inside_a_dictionary_compressed_blob_is_found(artifacts: Path, capsys):
    make_cassette(artifacts / "leaky.sqlite", PLANTED)
    raw = (artifacts / "leaky.sqlite").read_bytes()
    assert PLANTED.encode() not in raw, "the planted secret must only be reachable by decompressing"
    status, out = run(artifacts, capsys)
    assert status == 1
    assert "cassette-blob" in out and "response_blob row 0 decompressed" in out, out


def test_a_secret_in_the_wal_of_an_open_cassette_is_found(artifacts: Path, capsys):
    connection = make_cassette(artifacts / "live.sqlite", "Paris", header_value=f"Bearer {PLANTED}", keep_open=True)
    try:
        assert (artifacts / "live.sqlite-wal").exists()
        status, out = run(artifacts, capsys)
    finally:
        connection.close()
    assert status == 1
    assert "in wal " in out, out
    assert "cassette-column" in out, out  # also read through the database


def test_an_unredacted_x_api_key_header_pair_is_found_and_a_redacted_one_is_not(artifacts: Path, capsys):
    (artifacts / "a.jsonl").write_text('[["x-api-key","abcdef0123456789"]]\n[["x-api-key","[REDACTED]"]]\n')
    status, out = run(artifacts, capsys)
    assert status == 1
    assert out.count("x-api-key value") == 1, out


def test_findings_are_masked_never_printed_in_full(artifacts: Path, capsys):
    (artifacts / "x.log").write_text(f"{PLANTED} {SHAPED}")
    status, out = run(artifacts, capsys)
    assert status == 1
    assert PLANTED not in out and SHAPED not in out
    assert f"({len(PLANTED)} chars)" in out


def test_a_control_folder_expects_findings_and_a_blind_control_fails(artifacts: Path, capsys):
    control = artifacts / "redaction-disabled"
    control.mkdir()
    (control / scan.CONTROL_MARKER).write_text("on purpose\n")
    make_cassette(control / "unredacted.sqlite", PLANTED)
    status, out = run(artifacts, capsys)
    assert status == 0, out
    assert "expected findings in 1 control folders" in out and "0 leaks" in out

    (control / "unredacted.sqlite").unlink()
    (control / "other.log").write_text("nothing to see\n")
    status, _ = run(artifacts, capsys)
    assert status == 1, "a control folder without findings means the scan is blind"


def test_fake_tokens_are_collected_from_the_test_sources():
    literals = scan.load_literals(scan.HERE.parent.parent)
    assert b"sk-proj-FAKE0redaction0test0key00000001" in literals  # Tests/*/Redaction*.swift
    assert b"sk-proj-FAKE0tapedeck0sdk0check0placeholder0key" in literals  # tools/sdk-check
    assert b"sk-tapedeck-demo" in literals  # known-secrets.txt


def test_a_missing_folder_is_a_usage_error(tmp_path: Path, capsys):
    assert scan.main([str(tmp_path / "absent")]) == 2


def test_files_named_as_inputs_are_counted_not_scanned(artifacts: Path, capsys):
    suite = artifacts / "sdk-check" / "logs0"
    suite.mkdir(parents=True)
    (suite / "route-config.yaml").write_text("api_key: sk-fake-openai-key-for-replay\n")
    (suite / "route.stderr.log").write_text("info listening\n")
    status, out = run(artifacts, capsys, "--input", "sdk-check/*.yaml")
    assert status == 0, out
    assert "1 input (not scanned)" in out
    status, out = run(artifacts, capsys)
    assert status == 1 and "route-config.yaml" in out
