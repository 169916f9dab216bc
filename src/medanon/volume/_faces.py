"""The face detector used on renders: a thin adapter over OpenCV's shipped Haar cascades.

One function, ``find_faces``, so that it can later be pointed at the photo
engine's detector (``medanon.photo``) without touching the rest of ``volume/``.
The cascades ship inside the ``opencv-python-headless`` wheel (``cv2.data``);
nothing is downloaded. Of the shipped cascades, ``frontalface_alt2`` at 8
neighbours was the one setting that found the synthetic heads' faces from
-30 to +30 degrees and fired on none of the defaced renders (the default and
profile cascades fire on ears and on the flat cut). It is a weak detector for
renders; see docs/guide/volume.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

Box = tuple[int, int, int, int]  # x, y, width, height
CASCADES = ("haarcascade_frontalface_alt2.xml",)
MIN_NEIGHBOURS = 8
DEPENDENCIES = ("opencv-python-headless",)


def is_available() -> bool:
    try:
        _cascades()
    except Exception:
        return False
    return True


@lru_cache(maxsize=1)
def _cascades() -> tuple[object, ...]:
    import cv2

    loaded = []
    for name in CASCADES:
        cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))  # type: ignore[attr-defined]
        if cascade.empty():
            raise RuntimeError(f"OpenCV cascade {name} could not be loaded")
        loaded.append(cascade)
    return tuple(loaded)


def find_faces(image: np.ndarray) -> list[Box]:
    """Boxes of faces in an 8-bit grey image.

    Raises whatever OpenCV raises: the caller treats an error as "could not
    check", never as "no face".
    """
    import cv2

    grey = np.asarray(cv2.equalizeHist(np.ascontiguousarray(image, dtype=np.uint8)))
    min_side = max(24, min(grey.shape) // 8)
    boxes: list[Box] = []
    for cascade in _cascades():
        found = cascade.detectMultiScale(grey, scaleFactor=1.05, minNeighbors=MIN_NEIGHBOURS,  # type: ignore[attr-defined]
                                         minSize=(min_side, min_side))
        boxes.extend((int(x), int(y), int(w), int(h)) for x, y, w, h in np.asarray(found).reshape(-1, 4))
    return boxes
