"""The run report: what was done to each item and why, what was withheld, what to review.

Items are streamed to disk as they finish, so a batch of any size keeps only
counts in memory; ``report.json`` is assembled at the end and moved into place
atomically, so a reader never sees half a report.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, Any

import medanon
from medanon.core.policy import Policy
from medanon.core.results import Action, ItemResult
from medanon.dicom import _ps315


class ReportWriter:
    """Collects item records on disk and counts in memory; ``finish`` writes ``report.json``."""

    def __init__(self, path: Path, standard: str | None = None) -> None:
        """``standard`` is the header's line on what the run follows (default: the DICOM PS3.15 edition)."""
        self.path = path
        self.standard = standard
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".report-items-", dir=path.parent)
        self._items_path = Path(name)
        self._items: IO[str] = os.fdopen(handle, "w+", encoding="utf-8")
        self.counts: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self._first = True

    def add(self, result: ItemResult) -> None:
        """Record one item, then drop its action list from memory (the record keeps it)."""
        self.counts[result.status.value] += 1
        by_code = Counter(a.code for a in result.actions)
        self.actions.update(by_code)
        record = result.to_dict(with_actions=False)
        record["actions_by_code"] = dict(sorted(by_code.items()))
        text = json.dumps(record)
        actions = ", ".join(map(_action_json, result.actions))
        separator = "" if self._first else ",\n"
        self._items.write(f'{separator}{text[:-1]}, "actions": [{actions}]}}')
        self._first = False
        result.actions = []

    def finish(self, policy: Policy, key_fingerprint: str, inputs: list[str]) -> dict[str, Any]:
        """Write ``report.json`` atomically; return its header (everything but the items)."""
        header = build_header(self.counts, self.actions, policy, key_fingerprint, inputs, self.standard)
        self._items.flush()
        self._items.seek(0)
        handle, temp = tempfile.mkstemp(prefix=".report-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                head = json.dumps(header, indent=1)
                stream.write(head[:-2] + ',\n "items": [\n')
                while chunk := self._items.read(1 << 20):
                    stream.write(chunk)
                stream.write("\n ]\n}\n")
            os.replace(temp, self.path)
        finally:
            self.close()
        return header

    def close(self) -> None:
        if not self._items.closed:
            self._items.close()
        self._items_path.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1 << 16)
def _action_json(action: Action) -> str:
    """One action as JSON; a series repeats its actions in every file, so each is encoded once."""
    return json.dumps(action.to_dict())


def build_header(counts: Counter[str], actions: Counter[str], policy: Policy, key_fingerprint: str,
                 inputs: list[str], standard: str | None = None) -> dict[str, Any]:
    return {
        "medanon": medanon.__version__,
        "standard": standard or f"DICOM PS3.15 {_ps315.STANDARD_VERSION}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "profile": {"name": policy.name, "level": policy.level.value,
                    "options": sorted(o.value for o in policy.options),
                    "overrides": {k: v.value for k, v in sorted(policy.overrides.items())}},
        "key_fingerprint": key_fingerprint,
        "inputs": inputs,
        "counts": {"total": sum(counts.values()),
                   **{k: counts.get(k, 0) for k in ("released", "quarantined", "failed", "skipped")}},
        "actions_by_code": dict(sorted(actions.items())),
    }
