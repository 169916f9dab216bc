"""Cleaning one photograph: bare pixels out, every face obscured whole, checked again before release.

``clean_photo(data)`` is the photo engine's one call. The order is the fail-closed contract:

1. decode to pixels in display orientation (:mod:`medanon.photo.io`); metadata is left behind;
2. detect faces with every default detector and take the union (:mod:`medanon.photo.faces`), as a
   scan (:mod:`medanon.photo.faces.scan`): every detector on an overview copy, CenterFace over the
   whole picture in tiles at the scale the smallest face searched (``min_face``, 20 px) needs;
3. fill each whole face (:mod:`medanon.photo.obscure`), unless the caller names a consent to keep
   faces, which the outcome records;
4. encode a fresh file from the pixels and the ICC profile only;
5. decode that file again and run the detectors on it: the overview pass over the whole output,
   and the fine pass around every filled region (outside them the output holds the pixels the first
   scan searched at the same scale, so a face that survived obscuring is at or next to a fill; the
   flat inside of a large fill is left out, :func:`~medanon.photo.faces.scan.recheck_strips`);
   a residual face is obscured too and the file re-encoded, for at most :data:`MAX_ROUNDS` rounds;
   what still remains is in ``residual`` and the caller must withhold the photo;
6. screen the output's pixels for text (:mod:`medanon.photo.text`).

The engine raises on input it cannot read and when a detector cannot run; it never decides release
(the pipeline does, after the independent metadata check of :mod:`medanon.verify.photo`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medanon.photo.faces import DEFAULT_DETECTORS, FaceDetector, ScanPlan, detect_faces
from medanon.photo.faces.scan import DEFAULT_MIN_FACE, recheck_strips, recheck_windows
from medanon.photo.io import decode_output, read_photo, write_photo
from medanon.photo.model import FaceBox, PhotoOutcome
from medanon.photo.obscure import obscure_faces
from medanon.photo.preview import make_preview
from medanon.photo.text import screen_photo_text

#: Re-obscuring rounds after the first before a residual face withholds the photo.
MAX_ROUNDS = 2


@dataclass
class CleanedPhoto:
    """The new file's bytes, what was done, and a before/after preview (``None`` if not asked for)."""

    data: bytes
    outcome: PhotoOutcome
    preview: bytes | None = None
    extension: str = ".jpg"


def clean_photo(data: bytes, source: str = "", *, consent: str | None = None,
                detectors: Sequence[str | FaceDetector] = DEFAULT_DETECTORS, screen_text: bool = True,
                preview: bool = False, min_face: int = DEFAULT_MIN_FACE) -> CleanedPhoto:
    """Decode, obscure faces, re-encode and re-check one photograph.

    Parameters
    ----------
    data : bytes
        The input file (JPEG, PNG, TIFF, WebP, GIF, BMP, HEIC/HEIF/AVIF).
    source : str
        Item label for error messages.
    consent : str, optional
        A consent reference under which faces are kept (e.g. a syndrome face the patient agreed to
        publish). Faces are then detected and reported but not obscured.
    detectors : sequence
        Face detectors (labels or instances); all run, their union counts.
    screen_text : bool
        Screen the output for text in the picture.
    preview : bool
        Also return a before/after preview.
    min_face : int
        Smallest face width, in pixels of the photo, the scan must find (default 20, the issue's
        requirement). A larger value is faster and misses faces below it; the outcome records it.

    Raises
    ------
    medanon.core.errors.InputError
        If the bytes are not a readable image.
    medanon.core.errors.UnsupportedInput
        If the file has several pages, is too large, or a face detector cannot run.
    """
    if consent is not None and not consent.strip():
        raise ValueError("a consent reference must name the consent (e.g. its form or record ID)")
    plan = ScanPlan(min_face=min_face)
    photo = read_photo(data, source)
    faces = detect_faces(photo.pixels, detectors, plan)
    outcome = PhotoOutcome(output_format=photo.output_format, size=(photo.pixels.shape[1], photo.pixels.shape[0]),
                           faces=faces, metadata_removed=photo.metadata, orientation_applied=photo.orientation,
                           detectors=tuple(d if isinstance(d, str) else d.name for d in detectors), consent=consent,
                           min_face=min_face)
    pixels = photo.pixels
    if consent is None:
        pixels, filled = obscure_faces(pixels, faces)
        outcome.obscured = filled
    else:
        outcome.review.append(f"{len(faces)} face(s) kept unobscured under consent {consent!r}")
    encoded = write_photo(pixels, photo.output_format, photo.icc_profile)
    written: np.ndarray | None = None
    if consent is None:
        pixels, encoded, written = _recheck(pixels, encoded, photo.output_format, photo.icc_profile, detectors,
                                            plan, outcome)
    if screen_text:
        screen = screen_photo_text(decode_output(encoded) if written is None else written)
        outcome.text_regions = screen.confirmed
        outcome.review.extend(screen.notes)
    else:
        outcome.review.append("text in the picture not screened (turned off): a person must check for names")
    shown = preview and make_preview(photo.pixels, pixels, outcome.obscured or outcome.faces)
    return CleanedPhoto(encoded, outcome, shown or None, ".jpg" if photo.output_format == "JPEG" else ".png")


def _recheck(pixels: np.ndarray, encoded: bytes, output_format: str, icc: bytes | None,
             detectors: Sequence[str | FaceDetector], plan: ScanPlan,
             outcome: PhotoOutcome) -> tuple[np.ndarray, bytes, np.ndarray]:
    """Scan the decoded output; obscure and re-encode what is found, up to MAX_ROUNDS times.

    Returns the pixels, the file and the file's decoded pixels (the text screen reads those).
    """
    for round_ in range(MAX_ROUNDS + 1):
        written = decode_output(encoded)
        rows, columns = written.shape[:2]
        residual = detect_faces(written, detectors, plan, recheck_windows(outcome.obscured, columns, rows, plan),
                                recheck_strips(outcome.obscured, columns, rows, plan))
        outcome.residual = residual
        if not residual or round_ == MAX_ROUNDS:
            return pixels, encoded, written
        pixels, filled = obscure_faces(pixels, residual)
        outcome.obscured.extend(filled)
        encoded = write_photo(pixels, output_format, icc)
    raise AssertionError("unreachable")


def faces_outside(boxes: Sequence[FaceBox], regions: Sequence[FaceBox]) -> list[FaceBox]:
    """The boxes not wholly inside one of ``regions`` (for reports and tests)."""
    return [b for b in boxes if not any(r.x0 <= b.x0 and r.y0 <= b.y0 and b.x1 <= r.x1 and b.y1 <= r.y1
                                        for r in regions)]
