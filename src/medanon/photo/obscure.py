"""Obscuring whole faces: a detection grown to hairline, chin and both ears, then filled solid.

Guidance for clinical photographs is that masking the eyes or a mild blur is not enough (both can be
undone or recognised by software): the whole face goes, coarsely. Detectors box the inner face (a
Haar box runs from the brows to the mouth, a CenterFace box from the brow to the chin), so every box
is grown by :data:`MARGINS` before it is filled. The fill is one flat colour: no feature, texture
or outline of the face survives, and nothing can be reversed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from medanon.photo.model import FaceBox

#: Growth of a detection box, as fractions of its width (left, right) and height (top, bottom):
#: hairline above the brow, ears beside the cheeks, chin below the mouth.
MARGINS = {"left": 0.35, "right": 0.35, "top": 0.6, "bottom": 0.3}
#: The fill value (mid grey on every channel; alpha, if any, is set opaque).
FILL = 128


def whole_face(box: FaceBox, width: int, height: int) -> FaceBox:
    """``box`` grown by :data:`MARGINS` and clipped to a ``width`` x ``height`` image."""
    grown = FaceBox.clipped(
        box.x0 - MARGINS["left"] * box.width,
        box.y0 - MARGINS["top"] * box.height,
        box.x1 + MARGINS["right"] * box.width,
        box.y1 + MARGINS["bottom"] * box.height,
        width, height, box.score, box.detector,
    )
    assert grown is not None  # a box inside the image grows, it never vanishes
    return grown


def obscure_faces(pixels: np.ndarray, faces: Iterable[FaceBox],
                  fill: int | float | np.ndarray | None = None) -> tuple[np.ndarray, list[FaceBox]]:
    """A copy of ``pixels`` with every face's whole-face region filled; and the regions filled.

    ``pixels`` may be grey (rows, columns) or colour (rows, columns, channels), any integer dtype;
    the input array is never modified. ``fill`` defaults to mid grey of the dtype's range (opaque).
    """
    out = np.array(pixels, copy=True)
    height, width = out.shape[:2]
    filled = []
    if fill is None:
        fill = _fill_value(out)
    for face in faces:
        region = whole_face(face, width, height)
        out[region.y0:region.y1, region.x0:region.x1] = fill
        filled.append(region)
    return out, filled


def _fill_value(pixels: np.ndarray) -> np.ndarray | int:
    top = int(np.iinfo(pixels.dtype).max) if np.issubdtype(pixels.dtype, np.integer) else 1
    grey = (top + 1) // 2
    if pixels.ndim == 3:
        value = np.full(pixels.shape[2], grey, dtype=pixels.dtype)
        if pixels.shape[2] in (2, 4):
            value[-1] = top
        return value
    return grey
