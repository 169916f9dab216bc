"""Free text on disk: ``.txt``/``.md`` files, folders of them, and JSONL batches.

Each input file gives one output file written atomically (temp file, fsync,
rename); inputs are never changed.  A JSONL batch holds one
``{"id", "text"}`` object a line (optionally ``patient_id`` and ``issuer``,
which key surrogates and date shifts exactly as the DICOM engine keys the
patient's images); each line gives one output line ``{"id", "text",
"spans"}``.  A line that cannot be read gives ``{"id", "error"}`` instead,
never its text, and the batch goes on (DESIGN.md "Fail closed").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medanon.core.enum import Status
from medanon.core.errors import InputError
from medanon.core.files import write_bytes_atomic
from medanon.core.keys import KeyRing
from medanon.core.results import ItemResult
from medanon.text.model import Output
from medanon.text.scrubber import scrub

TEXT_SUFFIXES = frozenset({".txt", ".md"})
BATCH_SUFFIX = ".jsonl"


def patient_key_from_id(patient_id: str, issuer: str = "") -> str:
    """The patient key the DICOM engine derives from Patient ID and Issuer of Patient ID.

    Same key, same surrogates and same date shift: a note and the patient's
    images shifted by the same number of days keep their intervals.
    """
    return "id\x00" + patient_id.strip() + "\x00" + issuer.strip()


@dataclass(frozen=True)
class TextJob:
    """What to do with every item: profile, output, key, and the patient key for plain files."""

    profile: str = "publication"
    output: Output | None = None
    keys: KeyRing | None = None
    patient_id: str = ""


def scrub_paths(source: Path, destination: Path, job: TextJob) -> list[ItemResult]:
    """Scrub a file or a folder (recursively) into ``destination``; one result per file.

    A single file goes to ``destination`` if that has a suffix, else into it
    under its own name; a folder's files keep their relative paths.

    Raises
    ------
    InputError
        ``source`` is missing, is not a text or JSONL file, or ``destination``
        is ``source`` or lies inside a source file's place.
    """
    if not source.exists():
        raise InputError(f"input not found: {source}")
    if destination.resolve() == source.resolve():
        raise InputError("the output must not be the input")
    if source.is_file():
        if source.suffix.lower() not in TEXT_SUFFIXES | {BATCH_SUFFIX}:
            raise InputError(f"not a .txt, .md or .jsonl file: {source.name}")
        target = destination if destination.suffix else destination / source.name
        return [_scrub_file(source, target, job)]
    results = []
    for path in _text_files(source):
        if destination.resolve() in path.resolve().parents:
            continue
        results.append(_scrub_file(path, destination / path.relative_to(source), job))
    return results


def _text_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES | {BATCH_SUFFIX}:
            yield path


def _scrub_file(source: Path, target: Path, job: TextJob) -> ItemResult:
    try:
        raw = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ItemResult(source=str(source), status=Status.FAILED, reasons=[f"unreadable: {type(exc).__name__}"])
    try:
        if source.suffix.lower() == BATCH_SUFFIX:
            body, reasons = _scrub_batch(raw, job)
        else:
            patient_key = patient_key_from_id(job.patient_id) if job.patient_id else "file\x00" + source.name
            result = scrub(raw, job.profile, keys=job.keys, patient_key=patient_key, output=job.output)
            body, reasons = result.text, []
        _write_atomic(target, body)
    except (ValueError, OSError) as exc:
        return ItemResult(source=str(source), status=Status.FAILED, reasons=[f"not scrubbed: {exc}"])
    status = Status.QUARANTINED if reasons else Status.RELEASED
    return ItemResult(source=str(source), status=status, output=str(target), reasons=reasons)


def _scrub_batch(raw: str, job: TextJob) -> tuple[str, list[str]]:
    """Every line of a JSONL batch; returns the output lines and a reason per line that failed."""
    lines: list[str] = []
    reasons: list[str] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        record_id: object = None
        try:
            record = json.loads(line)
            if isinstance(record, dict):
                record_id = record.get("id", number)
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError("not an object with a text string")
            patient_id = str(record.get("patient_id") or job.patient_id or "")
            patient_key = patient_key_from_id(patient_id, str(record.get("issuer") or "")) if patient_id \
                else f"record\x00{record_id}"
            result = scrub(record["text"], job.profile, keys=job.keys, patient_key=patient_key, output=job.output)
            out = {"id": record_id, "text": result.text, "spans": [s.to_dict() for s in result.spans]}
        except (ValueError, TypeError) as exc:
            reason = f"line {number}: {type(exc).__name__}: not scrubbed"
            reasons.append(reason)
            out = {"id": record_id if isinstance(record_id, (str, int)) else None, "error": reason}
        lines.append(json.dumps(out, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else ""), reasons


def _write_atomic(target: Path, body: str) -> None:
    """Temp file beside ``target``, fsync, rename: never a half-written file."""
    write_bytes_atomic(target, body.encode("utf-8"))
