"""Before/after previews for the person who reviews a run.

A preview is one small JPEG: the input on the left with every obscured region outlined, the output
on the right. It lets a reviewer see at a glance that each face was covered whole. The left half
shows the unobscured input at thumbnail size, so previews belong with ``report.json`` and the
quarantine records (for the data controller), never with the shared output.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from medanon.photo.faces import as_rgb
from medanon.photo.model import FaceBox

PREVIEW_HEIGHT = 320
OUTLINE = (255, 0, 0)


def make_preview(before: np.ndarray, after: np.ndarray, regions: Sequence[FaceBox],
                 height: int = PREVIEW_HEIGHT) -> bytes:
    """A JPEG with ``before`` (regions outlined in red) and ``after`` side by side, ``height`` pixels high."""
    left = Image.fromarray(as_rgb(before))
    right = Image.fromarray(as_rgb(after))
    factor = min(1.0, height / left.height)
    size = (max(1, round(left.width * factor)), max(1, round(left.height * factor)))
    left, right = left.resize(size), right.resize(size)
    draw = ImageDraw.Draw(left)
    for region in regions:
        draw.rectangle([region.x0 * factor, region.y0 * factor, region.x1 * factor - 1, region.y1 * factor - 1],
                       outline=OUTLINE, width=2)
    sheet = Image.new("RGB", (size[0] * 2 + 8, size[1]), (255, 255, 255))
    sheet.paste(left, (0, 0))
    sheet.paste(right, (size[0] + 8, 0))
    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
