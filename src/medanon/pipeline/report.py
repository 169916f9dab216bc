"""The run report: what was done to each item and why, what was withheld, what to review."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import medanon
from medanon.core.policy import Policy
from medanon.core.results import ItemResult
from medanon.dicom import _ps315


def build_report(results: list[ItemResult], policy: Policy, key_fingerprint: str,
                 inputs: list[str]) -> dict[str, Any]:
    counts = Counter(r.status.value for r in results)
    actions = Counter(a.code for r in results for a in r.actions)
    return {
        "medanon": medanon.__version__,
        "standard": f"DICOM PS3.15 {_ps315.STANDARD_VERSION}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "profile": {"name": policy.name, "level": policy.level.value,
                    "options": sorted(o.value for o in policy.options),
                    "overrides": {k: v.value for k, v in sorted(policy.overrides.items())}},
        "key_fingerprint": key_fingerprint,
        "inputs": inputs,
        "counts": {"total": len(results), **{k: counts.get(k, 0) for k in
                                             ("released", "quarantined", "failed", "skipped")}},
        "actions_by_code": dict(sorted(actions.items())),
        "items": [_item(r) for r in results],
    }


def _item(result: ItemResult) -> dict[str, Any]:
    data = result.to_dict()
    data["actions_by_code"] = dict(sorted(Counter(a.code for a in result.actions).items()))
    data["actions"] = [a.to_dict() for a in result.actions]
    return data


def write_report(report: dict[str, Any], path: Path) -> None:
    """Atomic like every other output: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".report-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(report, stream, indent=1)
    os.replace(temp, path)
