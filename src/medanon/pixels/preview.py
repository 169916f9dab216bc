"""Before/after PNG previews of a redaction, boxes drawn, for a person's review.

The "before" half shows the original burnt-in text: a preview is for the data controller's
review, like the quarantine folder, and must not be shared with the cleaned images.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from medanon.pixels.model import Box

#: Longest side of each half of a preview, in pixels.
PREVIEW_SIZE = 512
BOX_COLOUR = (255, 40, 40)


def before_after_png(before: np.ndarray, after: np.ndarray, boxes: Sequence[Box]) -> bytes:
    """Two 8-bit grey frames side by side, the filled boxes outlined in red on both halves."""
    from PIL import Image, ImageDraw

    rows, cols = before.shape[:2]
    scale = min(1.0, PREVIEW_SIZE / max(rows, cols))
    width, height = max(1, round(cols * scale)), max(1, round(rows * scale))
    sheet = Image.new("RGB", (2 * width + 8, height), (255, 255, 255))
    for offset, frame in ((0, before), (width + 8, after)):
        half = Image.fromarray(frame).convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        draw = ImageDraw.Draw(half)
        for box in boxes:
            draw.rectangle((box.x0 * scale, box.y0 * scale, max(box.x0, box.x1 - 1) * scale,
                            max(box.y0, box.y1 - 1) * scale), outline=BOX_COLOUR)
        sheet.paste(half, (offset, 0))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    return buffer.getvalue()
