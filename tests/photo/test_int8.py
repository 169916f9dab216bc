"""CenterFace in 8 bits: the copy made from the wheel's model at first use finds the faces the float model finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from medanon.photo.faces.centerface import CenterFaceDetector, onnxruntime_available
from tests.photo.conftest import ASTRONAUT_FACE, detectors_or_skip


def _runtime_or_skip() -> None:
    detectors_or_skip()
    if not onnxruntime_available():
        pytest.skip("onnxruntime and onnx not installed")


def _faces_in_tones(astronaut: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The astronaut photograph beside her face pasted 20, 24 and 40 px wide in three tones (as is,
    darkened to 0.35 and lightened to 1.25 of its brightness) on a plain 1600x1200 picture."""
    x0, y0, x1, y1 = ASTRONAUT_FACE
    crop = Image.fromarray(astronaut[y0:y1, x0:x1])
    canvas = np.full((1200, 1600, 3), (176, 168, 150), np.uint8)
    canvas[650:1162, 0:512] = astronaut
    labels = []
    for row, tone in enumerate((1.0, 0.35, 1.25)):
        for column, width in enumerate((20, 24, 40)):
            height = round(width * crop.height / crop.width)
            face = np.asarray(crop.resize((width, height), Image.Resampling.LANCZOS)).astype(np.float32) * tone
            x, y = 700 + column * 250, 150 + row * 250
            canvas[y:y + height, x:x + width] = np.clip(face, 0, 255).astype(np.uint8)
            labels.append((x, y, x + width, y + height))
    return canvas, labels


def test_int8_finds_every_face_the_float_model_finds(astronaut: np.ndarray) -> None:
    """Small faces of every tone and the large face: same faces, boxes in the same places."""
    _runtime_or_skip()
    canvas, labels = _faces_in_tones(astronaut)
    int8 = CenterFaceDetector(precision="int8").detect_at(canvas, 1600)
    reference = CenterFaceDetector(precision="float").detect_at(canvas, 1600)
    for x0, y0, x1, y1 in labels:  # the float model finds every pasted face: the comparison means something
        assert any(b.x0 < x1 and x0 < b.x1 and b.y0 < y1 and y0 < b.y1 for b in reference), (x0, y0)
    assert len(int8) == len(reference)
    assert all(max(r.iou(b) for b in int8) > 0.7 for r in reference)


def test_int8_session_runs_a_quantised_model() -> None:
    """The default session holds integer convolutions (a float model would make the int8 claim false)."""
    _runtime_or_skip()
    import onnx

    from medanon.photo.faces._int8 import int8_model
    from medanon.photo.faces.centerface import _free_size_model, model_path

    path = model_path()
    assert path is not None
    model = onnx.load_from_string(int8_model(path, _free_size_model(path)))
    kinds = {node.op_type for node in model.graph.node}
    assert "QuantizeLinear" in kinds and "DequantizeLinear" in kinds
    assert "Sigmoid" in kinds  # the heads stay in float


def test_int8_copy_is_cached_and_a_damaged_copy_is_made_again(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _runtime_or_skip()
    from medanon.photo.faces import _int8
    from medanon.photo.faces.centerface import _free_size_model, model_path

    path = model_path()
    assert path is not None
    free = _free_size_model(path)
    made: list[int] = []

    def counted(model: bytes) -> bytes:  # the float model stands in for the slow quantiser: the cache is tested
        made.append(1)
        return model

    monkeypatch.setenv("MEDANON_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_int8, "quantise", counted)
    build = _int8.int8_model.__wrapped__
    first = build(path, free)
    cached = list(tmp_path.glob("centerface-int8-*.onnx"))
    assert len(cached) == 1 and cached[0].read_bytes() == first
    assert build(path, free) == first and len(made) == 1  # read back, not made again
    cached[0].write_bytes(b"truncated")
    assert build(path, free) == first and len(made) == 2  # a damaged copy is replaced
    assert cached[0].read_bytes() == first


def test_uncertain_int8_boxes_are_decided_by_the_float_model(astronaut: np.ndarray) -> None:
    """At a threshold most pasted faces do not reach, the 8-bit copy's uncertain boxes are asked of the
    float model on a crop: what it reports is what the float model reports, not every box over 0.2."""
    _runtime_or_skip()
    canvas, _ = _faces_in_tones(astronaut)
    strict_int8 = CenterFaceDetector(precision="int8", threshold=0.8).detect_at(canvas, 1600)
    strict_float = CenterFaceDetector(precision="float", threshold=0.8).detect_at(canvas, 1600)
    loose = CenterFaceDetector(precision="float", threshold=0.35).detect_at(canvas, 1600)
    assert len(loose) > len(strict_float) >= 1  # some faces fall in the uncertain band
    assert all(max(r.iou(b) for b in strict_int8) > 0.7 for r in strict_float)  # nothing the float model finds is lost
    assert len(strict_int8) <= len(strict_float) + 1 < len(loose)  # uncertain boxes were not just accepted
