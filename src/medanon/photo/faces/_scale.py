"""Resizing for detection: detectors look at a copy no larger than a set size, boxes come back in
the original's pixels."""

from __future__ import annotations

import numpy as np


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` shrunk so that its longer side is at most ``max_side``, and the factor used (<= 1)."""
    import cv2

    rows, columns = image.shape[:2]
    factor = min(1.0, max_side / max(rows, columns))
    if factor >= 1.0:
        return image, 1.0
    size = (max(1, round(columns * factor)), max(1, round(rows * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor
