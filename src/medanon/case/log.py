"""The sharing record: an append-only, hash-chained JSON-lines log of every export.

Each entry holds ``prev`` (the SHA-256 of the previous entry's line, 64 zeros
for the first) and ``hash`` (the SHA-256 of the entry without ``hash``).
``verify_log`` recomputes both, so an edited, removed, inserted or reordered
entry breaks the chain. Removing entries from the *end* leaves a valid
shorter chain: that is caught only against a head hash kept elsewhere
(``expected_head``), which every export prints and writes into its package.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.core.errors import MedanonError

GENESIS = "0" * 64
ENTRY_FIELDS = ("seq", "when", "case", "purpose", "destination", "permission_id", "by", "package", "files")


class LogTampered(MedanonError):
    """The sharing record does not verify: an entry was edited, removed or reordered."""


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


@dataclass
class LogCheck:
    ok: bool
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)


def verify_log(path: Path, expected_head: str | None = None) -> LogCheck:
    """Recompute the chain; with ``expected_head``, a truncated log is caught too."""
    if not path.exists():
        return LogCheck(ok=expected_head in (None, GENESIS), entries=0, head=GENESIS,
                        problems=[] if expected_head in (None, GENESIS) else ["log is missing"])
    problems: list[str] = []
    previous = GENESIS
    count = 0
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        count = number
        try:
            entry = json.loads(raw)
            claimed = entry.pop("hash")
        except (ValueError, KeyError, AttributeError):
            problems.append(f"line {number}: not a log entry")
            previous = _line_hash(raw)
            continue
        if entry.get("seq") != number:
            problems.append(f"line {number}: sequence number {entry.get('seq')} (entries removed or reordered)")
        if entry.get("prev") != previous:
            problems.append(f"line {number}: does not follow the previous entry (edited, removed or reordered)")
        if _line_hash(_canonical(entry)) != claimed:
            problems.append(f"line {number}: content does not match its hash (edited)")
        previous = _line_hash(raw)
    if expected_head is not None and previous != expected_head:
        problems.append("the log's last entry is not the expected head (entries removed from the end?)")
    return LogCheck(ok=not problems, entries=count, head=previous, problems=problems)


def append_entry(path: Path, record: dict[str, Any]) -> str:
    """Append one entry after verifying the chain; returns the new head hash.

    Refuses to extend a log that does not verify: a broken record must be
    looked at, not buried under new entries.
    """
    unknown = sorted(set(record) - set(ENTRY_FIELDS))
    if unknown:
        raise MedanonError(f"unknown sharing-record fields {unknown}")
    check = verify_log(path)
    if not check.ok:
        raise LogTampered("the sharing record does not verify: " + "; ".join(check.problems))
    entry = {**record, "seq": check.entries + 1, "prev": check.head}
    entry["hash"] = _line_hash(_canonical(entry))
    line = _canonical(entry) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return _line_hash(line.rstrip(b"\n"))


def read_entries(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(raw) for raw in path.read_bytes().splitlines() if raw.strip()]
