"""The sharing record: a hash chain that detects edited, removed, inserted and reordered entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medanon.case import LogTampered, append_entry, verify_log


def entry(n: int) -> dict[str, object]:
    return {"when": f"2026-01-0{n}T00:00:00+00:00", "case": "case-1", "purpose": "teaching",
            "destination": f"lecture {n}", "permission_id": "P-1", "by": "Dr S", "package": "ab" * 32,
            "files": {"a.dcm": "cd" * 32}}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "sharing-log.jsonl"
    for n in (1, 2, 3):
        append_entry(path, entry(n))
    return path


def rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def test_an_untouched_log_verifies_and_reports_its_head(log_path: Path) -> None:
    check = verify_log(log_path)
    assert check.ok and check.entries == 3
    assert verify_log(log_path, expected_head=check.head).ok


def test_an_edited_entry_is_detected(log_path: Path) -> None:
    lines = log_path.read_bytes().splitlines()
    lines[1] = lines[1].replace(b"lecture 2", b"lecture 9")
    rewrite(log_path, lines)
    check = verify_log(log_path)
    assert not check.ok and any("line 2" in p for p in check.problems)


def test_an_edited_entry_with_a_recomputed_own_hash_still_breaks_the_chain(log_path: Path) -> None:
    import hashlib

    lines = log_path.read_bytes().splitlines()
    data = json.loads(lines[1])
    data.pop("hash")
    data["destination"] = "elsewhere"
    data["hash"] = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    lines[1] = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    rewrite(log_path, lines)
    check = verify_log(log_path)
    assert not check.ok and any("line 3" in p and "previous" in p for p in check.problems)


def test_a_removed_entry_is_detected(log_path: Path) -> None:
    lines = log_path.read_bytes().splitlines()
    rewrite(log_path, [lines[0], lines[2]])
    assert not verify_log(log_path).ok


def test_reordered_entries_are_detected(log_path: Path) -> None:
    lines = log_path.read_bytes().splitlines()
    rewrite(log_path, [lines[1], lines[0], lines[2]])
    assert not verify_log(log_path).ok


def test_a_truncated_tail_is_detected_against_the_kept_head(log_path: Path) -> None:
    head = verify_log(log_path).head
    rewrite(log_path, log_path.read_bytes().splitlines()[:2])
    assert verify_log(log_path).ok  # a shorter chain is still a chain ...
    assert not verify_log(log_path, expected_head=head).ok  # ... but not the one that was handed out


def test_a_broken_log_is_not_extended(log_path: Path) -> None:
    rewrite(log_path, log_path.read_bytes().splitlines()[1:])
    with pytest.raises(LogTampered):
        append_entry(log_path, entry(4))


def test_append_returns_the_new_head(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    head = append_entry(path, entry(1))
    assert verify_log(path).head == head
