"""Material kind -> cleaner: the case composes whichever engines this installation has.

A cleaner takes (input path, output folder, policy, key ring) and returns one
``ItemResult`` per file it met; it writes only released files into the output
folder (named ``out/<item id>/``), and names them without any part of the input's
file name, which may hold the patient's name. A kind with no registered cleaner is quarantined with that reason
(DESIGN.md "Fail closed"). Adding an engine is one function and one
``register`` call, as ``_register_defaults`` does for DICOM and photographs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medanon.case.enum import MaterialKind
from medanon.core.enum import Status
from medanon.core.errors import MedanonError, safe_message
from medanon.core.files import write_bytes_atomic
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.core.results import Action, ItemResult

Cleaner = Callable[[Path, Path, Policy, KeyRing], list[ItemResult]]
NO_CLEANER = "no cleaner for this kind of material in this installation"

_REGISTRY: dict[MaterialKind, Cleaner] = {}


def register(kind: MaterialKind, cleaner: Cleaner) -> None:
    """Make ``cleaner`` the one for ``kind`` (a later call replaces an earlier one)."""
    _REGISTRY[MaterialKind(kind)] = cleaner


def unregister(kind: MaterialKind) -> None:
    _REGISTRY.pop(MaterialKind(kind), None)


def cleaner_for(kind: MaterialKind) -> Cleaner | None:
    return _REGISTRY.get(MaterialKind(kind))


def available_kinds() -> list[str]:
    return sorted(k.value for k in _REGISTRY)


def clean(kind: MaterialKind, source: Path, out_dir: Path, policy: Policy, keys: KeyRing,
          label: str) -> list[ItemResult]:
    """Run the kind's cleaner; no cleaner or an exception quarantines the item (the case goes on)."""
    cleaner = cleaner_for(kind)
    if cleaner is None:
        return [ItemResult(source=label, status=Status.QUARANTINED, reasons=[NO_CLEANER])]
    try:
        return cleaner(source, out_dir, policy, keys)
    except MedanonError as exc:
        return [ItemResult(source=label, status=Status.FAILED, reasons=[exc.message])]
    except Exception as exc:  # an engine bug must not stop the case or release anything
        return [ItemResult(source=label, status=Status.FAILED, reasons=[f"internal error: {safe_message(exc)}"])]


REVIEW = "review"


def review_folder(out_dir: Path) -> Path:
    """Where an item's before/after previews go: ``<case>/review/<item id>/``, beside ``out/``, never in it.

    The case runs each cleaner with ``out_dir = <case>/<staging>/<item id>``; previews show original
    pixels (burnt-in text, faces), so they stay on the reviewer's machine and export never sees them.
    """
    return out_dir.parent.parent / REVIEW / out_dir.name


def _clean_dicom(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
    """The DICOM pipeline (header engine, pixel screen, residual scan) on one file or folder.

    Head CT/MR series take the same route as in ``medanon dicom`` (``pipeline.heads``): defaced and
    render-checked as whole volumes, or withheld whole; every other file goes the per-file way.
    """
    from medanon.pipeline.heads import route_head_series
    from medanon.pipeline.inputs import discover
    from medanon.pipeline.run import Job, run_items

    out_dir.mkdir(parents=True, exist_ok=True)
    # The pipeline's own quarantine notes name input files: they go to a folder that is thrown away (the case
    # writes its own notes outside out/). Its before/after previews of burnt-in text show the original pixels:
    # they go to the case's local review folder, never beside the material that will be exported.
    with tempfile.TemporaryDirectory(prefix="medanon-case-") as scratch:
        job = Job(policy=policy, keys=keys, out_dir=out_dir, quarantine_dir=Path(scratch),
                  preview_dir=review_folder(out_dir))
        routed, rest = route_head_series(list(discover([source])), job)
        return routed + run_items(rest, job)


def _clean_photos(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
    """Clinical photographs (medanon.photo): pixels only, every face filled, re-checked before release.

    Faces are always obscured here: keeping a consented face is a deliberate ``medanon photo --consent``
    run, not a case default. Text read in a photo becomes a review note, which ``case check`` makes a
    person sign off; before/after sheets go to the case's local review folder (see ``review_folder``).
    """
    from medanon.pipeline.inputs import discover
    from medanon.pipeline.photo import PhotoOptions, process_photo
    from medanon.pipeline.run import Job

    out_dir.mkdir(parents=True, exist_ok=True)
    options = PhotoOptions(previews=True, text_review=True)
    with tempfile.TemporaryDirectory(prefix="medanon-case-") as quarantine:
        job = Job(policy=policy, keys=keys, out_dir=out_dir, quarantine_dir=Path(quarantine),
                  preview_dir=review_folder(out_dir))
        return [process_photo(item, job, options) for item in discover([source])]


def _clean_volume(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
    """Head volumes (medanon.volume): defaced, render-checked for a face, headers through the DICOM engine.

    A NIfTI file becomes ``volume.nii.gz`` (or ``.nii``), a DICOM series a folder named by its new UIDs;
    the input's name survives nowhere.
    """
    from medanon import volume
    from medanon.pipeline.deface import DefaceJob, deface_with

    out_dir.mkdir(parents=True, exist_ok=True)
    if volume.is_nifti(source):
        destination = out_dir / ("volume.nii" if source.name.lower().endswith(".nii") else "volume.nii.gz")
    else:
        destination = out_dir
    with tempfile.TemporaryDirectory(prefix="medanon-case-") as quarantine:
        job = DefaceJob(policy=policy, keys=keys, quarantine_dir=Path(quarantine),
                        preview_dir=review_folder(out_dir))
        result = deface_with(source, destination, job)
    result.source = source.name
    return [result]


def _text_cleaner() -> Cleaner | None:
    """The free-text scrubber, if this installation has it (``medanon.text.scrub``)."""
    try:
        from medanon.text import scrub  # type: ignore[attr-defined]
    except ImportError:
        return None

    def _clean_text(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
        text = source.read_text(encoding="utf-8")
        # One case is one patient: the case folder keys surrogates and the date shift (never shown anywhere).
        outcome: Any = scrub(text, policy, keys=keys, patient_key=f"case\0{out_dir.resolve().parent.parent.name}")
        cleaned = outcome.text
        if not isinstance(cleaned, str):
            raise MedanonError("the text scrubber returned no text")
        out_dir.mkdir(parents=True, exist_ok=True)
        destination = out_dir / f"{out_dir.name}.txt"  # named by the case item, never by the input's name
        write_bytes_atomic(destination, cleaned.encode("utf-8"))
        actions = [Action(path=f"text[{span.start}:{span.end}]", code=outcome.output.value,
                          reason=f"{span.kind.value}: {span.why}") for span in outcome.spans]
        return [ItemResult(source=source.name, status=Status.RELEASED, output=destination.name, actions=actions)]

    return _clean_text


def _register_defaults() -> None:
    register(MaterialKind.DICOM, _clean_dicom)
    text = _text_cleaner()
    if text is not None:
        register(MaterialKind.TEXT, text)
    register(MaterialKind.PHOTO, _clean_photos)
    register(MaterialKind.VOLUME, _clean_volume)


_register_defaults()
