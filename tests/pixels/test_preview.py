"""Before/after previews: both halves, the filled boxes outlined in red, the greys kept."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from medanon.pixels.model import Box
from medanon.pixels.preview import BOX_COLOUR, before_after_png


def test_preview_shows_both_frames_with_the_boxes_outlined_in_red() -> None:
    before = np.tile(np.arange(256, dtype=np.uint8), (64, 1))  # every grey level
    after = before.copy()
    after[10:20, 30:90] = 0
    png = before_after_png(before, after, [Box(30, 10, 90, 20)])
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert rgb.shape == (64, 2 * 256 + 8, 3)
    for offset in (0, 256 + 8):  # the outline on both halves
        assert tuple(rgb[10, offset + 50]) == BOX_COLOUR
        assert tuple(rgb[15, offset + 30]) == BOX_COLOUR
    # Away from the boxes, each half shows its frame's greys (within one level of palette rounding).
    assert np.abs(rgb[40, :256, 0] - before[40]).max() <= 1
    assert np.abs(rgb[15, 256 + 8 + 40:256 + 8 + 80, 0]).max() <= 1  # the fill is black after
    assert np.abs(rgb[15, 40:80, 0] - before[15, 40:80]).max() <= 1  # and the text was there before
