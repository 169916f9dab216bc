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
#: Palette index of the outlines, and of the white gap between the halves (grey 254 is white).
RED_INDEX = 255
GAP_INDEX = 254


def before_after_png(before: np.ndarray, after: np.ndarray, boxes: Sequence[Box]) -> bytes:
    """Two 8-bit grey frames side by side, the filled boxes outlined in red on both halves.

    Written as a palette PNG (255 greys and the red of the outlines): a third of the bytes of an
    RGB image, and as quick to compress, since the pipeline writes one per cleaned file.
    """
    from PIL import Image

    rows, cols = before.shape[:2]
    scale = min(1.0, PREVIEW_SIZE / max(rows, cols))
    width, height = max(1, round(cols * scale)), max(1, round(rows * scale))
    sheet = np.full((height, 2 * width + 8), GAP_INDEX, dtype=np.uint8)
    for offset, frame in ((0, before), (width + 8, after)):
        half = np.asarray(Image.fromarray(frame).resize((width, height), Image.Resampling.BILINEAR))
        half = (half.astype(np.uint16) * 254 // 255).astype(np.uint8)  # index 255 is the outline red
        for box in boxes:
            x0, y0 = int(box.x0 * scale), int(box.y0 * scale)
            x1 = min(width - 1, int(max(box.x0, box.x1 - 1) * scale))
            y1 = min(height - 1, int(max(box.y0, box.y1 - 1) * scale))
            half[y0, x0:x1 + 1] = half[y1, x0:x1 + 1] = RED_INDEX
            half[y0:y1 + 1, x0] = half[y0:y1 + 1, x1] = RED_INDEX
        sheet[:, offset:offset + width] = half
    image = Image.fromarray(sheet)  # "L"; putpalette makes it "P"
    palette = [round(level * 255 / 254) for level in range(255) for _ in range(3)] + list(BOX_COLOUR)
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
