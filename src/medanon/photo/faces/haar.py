"""OpenCV's Haar cascades: frontal and profile faces (Viola-Jones), a detector independent of CenterFace.

The cascades (``haarcascade_frontalface_default.xml``, ``haarcascade_frontalface_alt2.xml`` and
``haarcascade_profileface.xml``, Intel's licence) ship inside the ``opencv-python-headless`` 4.x
wheel under ``cv2.data.haarcascades``; the 5.x wheels dropped them, hence the ``<5`` pin. The profile
cascade knows one side only, so it also runs on the mirrored image for the other side.

A cascade sees grey levels and a very different kind of evidence from a CNN, which is why its union
with CenterFace is worth having: each misses different faces.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from medanon.photo.faces._scale import downscale
from medanon.photo.model import FaceBox

CASCADES = ("haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml")


def cascade_folder() -> Path | None:
    """The folder of the installed OpenCV wheel's cascades, if it has them."""
    if importlib.util.find_spec("cv2") is None:
        return None
    import cv2

    folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or "")
    return folder if all((folder / name).is_file() for name in CASCADES) else None


class HaarDetector:
    """:class:`~medanon.photo.faces.base.FaceDetector` backed by OpenCV Haar cascades.

    Parameters
    ----------
    max_side : int
        Longer side of the grey copy the cascades search.
    min_neighbors : int
        How many overlapping hits make a face; higher gives fewer false faces.
    min_face : int
        Smallest face searched, in pixels of the searched copy.
    scale_factor : float
        Step between the scales searched; smaller finds more faces, slower.
    """

    name = "haar"
    #: Too slow to search a large picture for small faces: a scan runs it on the overview only.
    small_faces = False
    DEPENDENCIES = ("opencv-python-headless>=4.8,<5 (ships the Haar cascades)",)

    def __init__(self, max_side: int = 640, min_neighbors: int = 5, min_face: int = 16,
                 scale_factor: float = 1.1) -> None:
        self.scale_factor = scale_factor
        self.max_side = max_side
        self.min_neighbors = min_neighbors
        self.min_face = min_face
        self._cascades: list[object] | None = None
        self._lock = threading.Lock()

    def is_available(self) -> bool:
        return cascade_folder() is not None

    def _load(self) -> list[object]:
        with self._lock:
            if self._cascades is None:
                import cv2

                folder = cascade_folder()
                if folder is None:
                    raise RuntimeError("OpenCV Haar cascades not found: pip install 'opencv-python-headless<5'")
                loaded = [cv2.CascadeClassifier(str(folder / name)) for name in CASCADES]
                if any(c.empty() for c in loaded):
                    raise RuntimeError("an OpenCV Haar cascade failed to load")
                self._cascades = list(loaded)
            return self._cascades

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        import cv2

        rows, columns = rgb.shape[:2]
        small, factor = downscale(rgb, self.max_side)
        grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        frontal, profile = self._load()
        width = grey.shape[1]
        found: list[tuple[int, int, int, int]] = []
        found += list(self._run(frontal, grey))
        found += list(self._run(profile, grey))
        found += [(width - x - w, y, w, h) for x, y, w, h in self._run(profile, np.ascontiguousarray(grey[:, ::-1]))]
        boxes = []
        for x, y, w, h in found:
            box = FaceBox.clipped(x / factor, y / factor, (x + w) / factor, (y + h) / factor, columns, rows,
                                  1.0, self.name)
            if box is not None:
                boxes.append(box)
        return boxes

    def _run(self, cascade: object, grey: np.ndarray) -> list[tuple[int, int, int, int]]:
        hits = cascade.detectMultiScale(  # type: ignore[attr-defined]
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_face, self.min_face))
        return [tuple(int(v) for v in hit) for hit in hits]  # type: ignore[misc]
