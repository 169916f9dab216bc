"""Face detection: a registry of detectors and their union (STYLE.md section 3).

``detect_faces(rgb)`` runs every default detector on one RGB image and returns all the faces any of
them found (the union: a face one detector misses, another may find). It is the reusable entry
point: photographs, DICOM photographs and rendered head surfaces (the volume defacer) call it.

Fail closed (DESIGN.md): a detector that is unavailable or raises makes :func:`detect_faces` raise
:class:`FaceDetectionUnavailable`; the caller quarantines. "Could not look" is never "no face".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from medanon.core.errors import UnsupportedInput
from medanon.core.plugins import instantiate
from medanon.photo.faces.base import FaceDetector
from medanon.photo.faces.scan import ScanPlan, Window, scan_faces
from medanon.photo.model import FaceBox

#: label -> (module, class name)
PLUGINS: dict[str, tuple[str, str]] = {
    "centerface": ("medanon.photo.faces.centerface", "CenterFaceDetector"),
    "haar": ("medanon.photo.faces.haar", "HaarDetector"),
}
#: The detectors :func:`detect_faces` runs unless told otherwise: two independent kinds.
DEFAULT_DETECTORS = ("centerface", "haar")


class FaceDetectionUnavailable(UnsupportedInput):
    """A face detector could not run, so the absence of faces cannot be proven."""


def detector_names() -> tuple[str, ...]:
    """The registered labels."""
    return tuple(PLUGINS)


@cache
def get_detector(name: str) -> FaceDetector:
    """The detector registered as ``name`` with default settings (one shared instance).

    Raises
    ------
    ValueError
        If no detector is registered under ``name``.
    """
    detector: FaceDetector = instantiate(PLUGINS, name, "face detector")
    return detector


def available_detectors() -> dict[str, bool]:
    """Each registered label and whether it can run on this machine."""
    return {name: get_detector(name).is_available() for name in PLUGINS}


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A ``uint8`` RGB view of a grey, grey+alpha, RGB or RGBA array (other dtypes are rescaled).

    Raises
    ------
    ValueError
        If the array is not 2-D or 3-D with 1 to 4 channels.
    """
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        low, high = float(array.min(initial=0.0)), float(array.max(initial=0.0))
        array = ((array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)).astype(np.uint8)
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim == 3 and array.shape[2] in (1, 2):
        return np.repeat(array[:, :, :1], 3, axis=2)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return np.ascontiguousarray(array[:, :, :3])
    raise ValueError(f"expected a grey or colour image, got an array of shape {array.shape}")


def detect_faces(image: np.ndarray, detectors: Sequence[str | FaceDetector] = DEFAULT_DETECTORS,
                 plan: ScanPlan | None = None, windows: Sequence[Window] | None = None,
                 fine_windows: Sequence[Window] | None = None) -> list[FaceBox]:
    """Every face any of ``detectors`` finds in ``image`` (the union), in the image's pixels.

    Parameters
    ----------
    image : numpy.ndarray
        Grey (rows, columns) or colour (rows, columns, 3|4) image; converted to ``uint8`` RGB.
    detectors : sequence of str or FaceDetector
        Registry labels or instances; default :data:`DEFAULT_DETECTORS`.
    plan : ScanPlan, optional
        Search an overview copy with every detector and the whole picture in tiles at the scale
        ``plan.min_face`` needs (:mod:`medanon.photo.faces.scan`). Without a plan each detector
        searches its own shrunk copy of the image (renders and small pictures).
    windows : sequence of Window, optional
        With a plan: limit its fine pass to these parts of the picture.
    fine_windows : sequence of Window, optional
        With ``windows``: where the fine pass runs instead (the residual check's strips).

    Returns
    -------
    list of FaceBox
        All boxes, each labelled with its detector; overlapping boxes from different detectors are
        all kept (the obscuring step covers their union).

    Raises
    ------
    FaceDetectionUnavailable
        If no detector is given, or one is unavailable or fails.
    """
    if not detectors:
        raise FaceDetectionUnavailable("no face detector selected")
    rgb = as_rgb(image)
    rgb.setflags(write=False)
    resolved = []
    for entry in detectors:
        detector = get_detector(entry) if isinstance(entry, str) else entry
        if not detector.is_available():
            raise FaceDetectionUnavailable(
                f"face detector {detector.name!r} is unavailable (needs {', '.join(detector.DEPENDENCIES)})")
        resolved.append(detector)
    if plan is not None:
        try:
            return scan_faces(rgb, resolved, plan, windows, fine_windows)
        except Exception as exc:
            raise FaceDetectionUnavailable(f"face scan failed: {type(exc).__name__}") from exc
    found: list[FaceBox] = []
    for detector in resolved:
        try:
            found.extend(detector.detect(rgb))
        except Exception as exc:
            raise FaceDetectionUnavailable(f"face detector {detector.name!r} failed: {type(exc).__name__}") from exc
    return found


__all__ = [
    "DEFAULT_DETECTORS",
    "PLUGINS",
    "FaceBox",
    "FaceDetectionUnavailable",
    "FaceDetector",
    "ScanPlan",
    "Window",
    "as_rgb",
    "available_detectors",
    "detect_faces",
    "detector_names",
    "get_detector",
]
