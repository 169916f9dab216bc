"""One call for a whole DICOM batch: what the CLI, a gateway or a web page use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.core.enum import Option
from medanon.core.errors import PolicyError
from medanon.core.keys import KeyRing, default_key_path, load_or_create_key
from medanon.core.policy import Policy
from medanon.core.results import ItemResult
from medanon.pipeline.inputs import Item, discover
from medanon.pipeline.report import ReportWriter
from medanon.pipeline.run import Job, run_items


@dataclass
class BatchOutcome:
    results: list[ItemResult]
    report: dict[str, Any]
    report_path: Path
    key_path: Path
    key_created: bool


def deidentify_dicom(
    inputs: list[Path],
    out_dir: Path,
    profile: str | Path = "publication",
    *,
    key_path: Path | None = None,
    options: list[str] | None = None,
    quarantine_dir: Path | None = None,
    workers: int = 1,
    screen_pixels: bool = True,
    deface_heads: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
) -> BatchOutcome:
    """De-identify DICOM ``inputs`` into ``out_dir`` by a profile; write ``report.json``.

    ``screen_pixels`` runs the burnt-in text screen on every image the header
    rules did not already withhold; turning it off leaves only the header
    rules between pixel text and release. ``deface_heads`` sends thin-slice head CT/MR series through
    the defacer as whole volumes (``pipeline.heads``); off, their slices go the per-file way with a
    review note (only for a project that needs the face region and may share it).

    Raises
    ------
    medanon.core.errors.PolicyError
        Unknown profile or option, contradictory options, bad or misplaced key.
    """
    policy = Policy.load(profile)
    if options:
        policy = policy.with_options({_option(o) for o in options})
    batch = prepare_batch(inputs, out_dir, key_path, quarantine_dir)
    if on_start is not None:
        on_start(len(batch.items))
    job = Job(policy=policy, keys=batch.keys, out_dir=batch.out_dir, quarantine_dir=batch.quarantine_dir,
              screen_pixels=screen_pixels)
    report_path = batch.out_dir / "report.json"
    writer = ReportWriter(report_path)

    def record(result: ItemResult) -> None:
        writer.add(result)
        if on_result is not None:
            on_result(result)

    try:
        results, items = _route_heads(batch.items, job, record, workers) if deface_heads else ([], batch.items)
        results += run_items(items, job, workers=workers, on_result=record)
    except BaseException:
        writer.close()
        raise
    report = writer.finish(policy, batch.keys.fingerprint, [str(p) for p in inputs])
    return BatchOutcome(results=results, report=report, report_path=report_path, key_path=batch.key_file,
                        key_created=batch.key_created)


def _route_heads(items: list[Item], job: Job, record: Callable[[ItemResult], None],
                 workers: int) -> tuple[list[ItemResult], list[Item]]:
    """Head series first, defaced whole (issue 7); the items left go the per-file way."""
    from medanon.pipeline.heads import route_head_series

    return route_head_series(items, job, record, workers=workers)


@dataclass(frozen=True)
class PreparedBatch:
    """What every batch front end sets up before its first item: folders, key, items."""

    out_dir: Path
    quarantine_dir: Path
    keys: KeyRing
    key_file: Path
    key_created: bool
    items: list[Item]


def prepare_batch(inputs: list[Path], out_dir: Path, key_path: Path | None,
                  quarantine_dir: Path | None) -> PreparedBatch:
    """Resolve the output and quarantine folders, load or create the key outside the output, refuse an
    input that is the output or inside it, create the output folder and list the items.

    Raises
    ------
    PolicyError
        Bad or misplaced key, or an input inside the output folder.
    """
    out_dir = out_dir.resolve()
    key_file = key_path or default_key_path()
    keys, created = load_or_create_key(key_file, forbidden_dirs=(out_dir,))
    quarantine = quarantine_dir.resolve() if quarantine_dir else out_dir / "quarantine"
    for source in inputs:
        resolved = source.resolve()
        if resolved == out_dir or out_dir in resolved.parents:
            raise PolicyError(f"input {source} is the output folder or inside it")
    out_dir.mkdir(parents=True, exist_ok=True)
    items = list(discover(inputs, exclude=(out_dir, quarantine)))
    return PreparedBatch(out_dir, quarantine, keys, key_file, created, items)


def _option(name: str) -> Option:
    try:
        return Option(name)
    except ValueError:
        raise PolicyError(f"unknown option {name!r}; choose from {', '.join(o.value for o in Option)}") from None
