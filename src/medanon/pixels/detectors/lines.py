"""A geometric text-line detector: rows of glyph-sized strokes, in numpy and scipy.

Burnt-in annotations are lines of characters: thin strokes that stand out sharply from the local
background, in connected pieces of similar height, side by side on a common baseline with small
gaps. Anatomy rarely looks like that. For each polarity (bright text, dark text) and a few scales
(small text at full resolution, larger text on pooled images) the detector:

1. keeps details narrower than a few pixels with a morphological top-hat (strokes, not organs);
2. thresholds them at a contrast well above the frame's own texture (speckle, noise);
3. labels connected pieces and keeps glyph-sized ones (height, width, not solid blocks);
4. links pieces that overlap vertically, have similar heights and small horizontal gaps;
5. reports a line of at least :attr:`LineParams.min_glyphs` glyphs whose tops or bottoms align,
   then joins the words of one line into one box.

A line is *strong* (score >= :attr:`LineParams.strong_score`) when it has several separate
glyphs of even height, thin strokes and high contrast, as rendered text has; otherwise it is
*weak*: text-like, but also like some anatomy (a row of vessels, dark sulci). The screen sends weak
lines to a confirming detector (OCR) when one is available and keeps them as text when none is:
without OCR the screen is more conservative, never less.

It costs a few milliseconds per 512x512 frame. It finds text; it does not read it, so test charts
and rulers with numbers are flagged too, as they should be for a human to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medanon.pixels import _morph
from medanon.pixels.model import Box


@dataclass(frozen=True)
class LineParams:
    """Tunables of :class:`LineTextDetector`, in pixels of the frame and 8-bit grey levels."""

    #: Smallest glyph height searched at full resolution (capitals of a 5x7 font are 7).
    min_height: int = 6
    #: Largest glyph height searched at one scale; taller text is searched on pooled images.
    max_height: int = 24
    #: Smallest glyph height searched on a pooled image, in pooled pixels (overlaps the scale above).
    pooled_min_height: int = 10
    #: Side of the top-hat square: strokes must be narrower than this (odd).
    tophat_size: int = 7
    #: A stroke stands out from its surroundings by at least this many grey levels...
    min_contrast: int = 40
    #: ... and by at least this multiple of the frame's typical detail contrast (90th percentile).
    texture_factor: float = 2.0
    #: Glyphs needed for a line, counting touching glyphs by their width.
    min_glyphs: int = 3
    #: Horizontal gap allowed between neighbouring glyphs, as a multiple of their height.
    max_gap: float = 1.1
    #: Gap between the words of one line that are joined into one box, as a multiple of height.
    word_gap: float = 3.0
    #: Fraction of a line's glyphs whose tops or bottoms must align.
    min_aligned: float = 0.7
    #: A strong line has at least this many separate pieces...
    strong_pieces: int = 3
    #: ... a median stroke contrast of at least this (grey levels)...
    strong_contrast: float = 100.0
    #: ... thin strokes: at most this median fraction of a piece's pixels survives a 3x3 erosion...
    strong_core: float = 0.4
    #: ... and glyph heights whose coefficient of variation is at most this.
    #: A two-piece line of only ``min_glyphs`` glyphs needs pieces at least this thin (core fraction).
    thin_core: float = 0.2
    strong_spread: float = 0.35
    #: Score at or above which a line counts as strong.
    strong_score: float = 0.5
    #: Also look for lines running up or down the frame (rotated text). Off by default: columns of
    #: left-aligned horizontal text and some anatomy look like vertical lines, so these are only
    #: ever weak candidates, for OCR to confirm (which reads them rotated both ways).
    vertical: bool = False
    #: Pooled scales are searched while glyphs of their largest height fit this many times in the
    #: frame's shorter side (taller "text" would be a shape, not an annotation).
    min_lines_per_frame: int = 6


class LineTextDetector:
    """Searching :class:`~medanon.pixels.base.TextDetector` for lines of glyphs (geometric)."""

    name = "lines"
    DEPENDENCIES: tuple[str, ...] = ("numpy", "scipy")

    def __init__(self, params: LineParams | None = None) -> None:
        self.params = params or LineParams()

    def is_available(self) -> bool:
        try:
            import scipy.ndimage  # noqa: F401
            import scipy.sparse.csgraph  # noqa: F401
            import scipy.spatial  # noqa: F401
        except ImportError:
            return False
        return True

    def scales(self, shape: tuple[int, ...]) -> list[int]:
        """Pooling factors searched for a frame of this shape: 1, then 2, 4, ... for large frames."""
        p = self.params
        factors = [1]
        factor = 2
        while p.max_height * factor * p.min_lines_per_frame <= min(shape[:2]):
            factors.append(factor)
            factor *= 2
        return factors

    def detect(self, frame: np.ndarray, candidates: Sequence[Box] | None = None) -> list[Box]:
        """Lines of glyphs in a 2-D ``uint8`` frame; with ``candidates``, only lines meeting them.

        Raises
        ------
        ValueError
            If ``frame`` is not a 2-D ``uint8`` array.
        """
        boxes, _ = self.detect_lines(frame)
        if candidates is not None:
            boxes = [b for b in boxes if any(b.overlaps(c) for c in candidates)]
        return boxes

    def detect_lines(self, frame: np.ndarray, short_words: bool = False,
                     glyphs: list[np.ndarray] | None = None) -> tuple[list[Box], list[Box]]:
        """Lines of glyphs, and with ``short_words`` also two-glyph words, in one pass over the frame.

        Short words ("DO", initials, "Rt") are below :attr:`LineParams.min_glyphs` and look like
        many pairs of blobs in anatomy, so they are returned apart, never joined to lines, as
        *candidates only*: the caller has OCR read them (a few crops on one sheet, instead of a
        whole-frame OCR read). Both lists come from the same top-hats and labels. With ``glyphs``
        (a list), the boxes of every glyph-sized piece are added to it as ``(n, 4)`` arrays of
        x0, y0, x1, y1 in frame pixels: where no such piece is, no character can be read.

        Raises
        ------
        ValueError
            If ``frame`` is not a 2-D ``uint8`` array.
        """
        if frame.ndim != 2 or frame.dtype != np.uint8:
            raise ValueError("LineTextDetector needs a 2-D uint8 frame")
        p = self.params
        boxes: list[Box] = []
        shorts: list[Box] = []
        for factor in self.scales(frame.shape):
            min_height = p.min_height if factor == 1 else p.pooled_min_height
            # Mean pooling keeps the contrast of strokes as wide as the pooling block (large text)
            # and averages fine texture away, so speckle does not become large "glyphs".
            pooled = _morph.pool_mean(frame, factor)
            if min(pooled.shape) < 2 * min_height:
                continue
            for bright in (True, False):
                if bright:
                    details = _morph.white_tophat(pooled, p.tophat_size)
                else:
                    details = _morph.black_tophat(pooled, p.tophat_size)
                found: list[np.ndarray] | None = [] if glyphs is not None else None
                lines, pairs = self._lines(details, min_height, short_words, found)
                if glyphs is not None and found:
                    glyphs.extend(np.minimum(piece * factor, [frame.shape[1], frame.shape[0]] * 2)
                                  for piece in found)
                boxes.extend(_scale_box(box, factor, frame.shape) for box in lines)
                shorts.extend(_scale_box(box, factor, frame.shape) for box in pairs)
        boxes = join_words(boxes, p.word_gap)
        shorts = [b for b in merge_boxes(shorts) if not any(b.overlaps(line) for line in boxes)]
        return boxes, shorts

    # -- one scale, one polarity ------------------------------------------------------------
    def _lines(self, details: np.ndarray, min_height: int, short_words: bool = False,
               glyphs: list[np.ndarray] | None = None) -> tuple[list[Box], list[Box]]:
        p = self.params
        histogram = np.cumsum(np.bincount(details[::2, ::2].ravel(), minlength=256))
        texture = float(np.searchsorted(histogram, 0.9 * histogram[-1]))  # 90th percentile
        threshold = max(float(p.min_contrast), p.texture_factor * texture)
        mask = details >= threshold
        if not mask.any():
            return [], []
        labels, count, y0, y1, x0, x1, area = _morph.components(mask)
        fill = area / ((y1 - y0) * (x1 - x0))
        inside = labels[mask]
        contrast = np.bincount(inside, weights=details[mask], minlength=count + 1)[1:] / area
        core_mask = _morph.erode(mask.view(np.uint8), 3).view(bool)
        core = np.bincount(labels[core_mask], minlength=count + 1)[1:] / area
        boxes: list[Box] = []
        shorts: list[Box] = []
        orientations = [(y0, y1, x0, x1)]
        if p.vertical:  # text running up or down the frame: the same pieces, rows and columns swapped
            orientations.append((x0, x1, y0, y1))
        for k, (r0, r1, c0, c1) in enumerate(orientations):
            h = r1 - r0
            w = c1 - c0
            glyph = (
                (h >= min_height)
                & (h <= p.max_height)
                & (w <= 4 * h)
                & (area >= h)
                & ~((w > 0.4 * h) & (fill > 0.85))  # solid blocks and dots are not glyphs
            )
            idx = np.flatnonzero(glyph)
            if glyphs is not None and k == 0 and idx.size:
                glyphs.append(np.column_stack((x0[idx], y0[idx], x1[idx], y1[idx])))
            if idx.size < 2:
                continue
            pieces = _Pieces(r0[idx], r1[idx], c0[idx], c1[idx], core[idx], contrast[idx])
            found, pairs = self._group(pieces, short_words and k == 0)
            if k == 1:  # rotated text is never trusted without confirmation: always weak
                cap = round(p.strong_score - 0.01, 3)
                found = [Box(b.y0, b.x0, b.y1, b.x1, min(b.score, cap)) for b in found]
            boxes.extend(found)
            shorts.extend(pairs)
        return boxes, shorts

    def _group(self, g: _Pieces, short_words: bool = False) -> tuple[list[Box], list[Box]]:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree

        p = self.params
        n = g.h.size
        # Rows count double, so that the search radius reaches further along a line than across.
        centres = np.column_stack(((g.x0 + g.x1) / 2.0, (g.y0 + g.y1).astype(np.float64)))
        radius = (p.max_gap + 4.0) * p.max_height
        pairs = cKDTree(centres).query_pairs(radius, output_type="ndarray")
        if pairs.size:
            i, j = pairs[:, 0], pairs[:, 1]
            h_hi = np.maximum(g.h[i], g.h[j])
            h_lo = np.minimum(g.h[i], g.h[j])
            v_overlap = np.minimum(g.y1[i], g.y1[j]) - np.maximum(g.y0[i], g.y0[j])
            gap = np.maximum(g.x0[i], g.x0[j]) - np.minimum(g.x1[i], g.x1[j])
            linked = (
                (h_hi <= 2.2 * h_lo)
                & (v_overlap >= 0.5 * h_lo)
                & (gap <= p.max_gap * h_hi)
                & (gap >= -0.5 * np.minimum(g.w[i], g.w[j]))
            )
            i, j = i[linked], j[linked]
        else:
            i = j = np.zeros(0, dtype=np.int64)
        graph = coo_matrix((np.ones(i.size), (i, j)), shape=(n, n))
        _, group = connected_components(graph, directed=False)
        # Cheap, vectorised pre-selection: groups of two or more pieces and enough glyphs.
        units = np.clip(np.round(g.w / (0.8 * g.h)), 1, None)
        sizes = np.bincount(group)
        glyphs = np.bincount(group, weights=units)
        fewest = 1.5 if short_words else p.min_glyphs - 0.5
        keep = np.flatnonzero((sizes >= 2) & (glyphs >= fewest))
        boxes: list[Box] = []
        shorts: list[Box] = []
        for label in keep:
            members = g.take(np.flatnonzero(group == label))
            box = self._line_box(members)
            if box is not None:
                boxes.append(box)
            elif short_words and glyphs[label] < p.min_glyphs + 0.5:
                pair = self._short_box(members)
                if pair is not None:
                    shorts.append(pair)
        return boxes, shorts

    def _short_box(self, g: _Pieces) -> Box | None:
        """Two glyphs of one short word: pieces of even height on a common top or baseline."""
        h_med = float(np.median(g.h))
        tol = max(1.0, 0.2 * h_med)
        aligned = (np.abs(g.y0 - np.median(g.y0)) <= tol) | (np.abs(g.y1 - np.median(g.y1)) <= tol)
        if float(np.mean(aligned)) < self.params.min_aligned or float(g.h.max()) > 1.6 * float(g.h.min()):
            return None
        pad = max(1, int(round(0.2 * h_med)))
        return Box(max(0, int(g.x0.min()) - pad), max(0, int(g.y0.min()) - pad),
                   int(g.x1.max()) + pad, int(g.y1.max()) + pad, 0.05)

    def _line_box(self, g: _Pieces) -> Box | None:
        p = self.params
        h_med = float(np.median(g.h))
        # Touching glyphs form one wide piece: count it as several.
        units = float(np.clip(np.round(g.w / (0.8 * h_med)), 1, None).sum())
        if units < p.min_glyphs:
            return None
        # Two blobs side by side are common in anatomy: two pieces make a short line only if both
        # are thin strokes (little survives an erosion), or if they hold more glyphs.
        if g.h.size == 2 and units < p.min_glyphs + 1 and float(g.core.max()) > p.thin_core:
            return None
        tol = max(1.0, 0.2 * h_med)
        top = np.abs(g.y0 - np.median(g.y0)) <= tol
        bottom = np.abs(g.y1 - np.median(g.y1)) <= tol
        aligned = float(np.mean(top | bottom))
        if aligned < p.min_aligned:
            return None
        spread = float(np.std(g.h) / np.mean(g.h))
        contrast = float(np.median(g.contrast))
        core = float(np.median(g.core))
        strong = (
            g.h.size >= p.strong_pieces
            and contrast >= p.strong_contrast
            and core <= p.strong_core
            and spread <= p.strong_spread
        )
        # Within a class, more glyphs, better alignment and stronger strokes score higher.
        quality = (
            min(1.0, (units - 1.0) / 6.0)
            * aligned
            * max(0.0, 1.0 - spread)
            * min(1.0, contrast / 255.0 + 0.25)
        )
        low, high = (p.strong_score, 1.0) if strong else (0.05, p.strong_score - 0.05)
        score = round(low + (high - low) * min(1.0, max(0.0, quality)), 3)
        pad = max(1, int(round(0.2 * h_med)))
        return Box(
            max(0, int(g.x0.min()) - pad),
            max(0, int(g.y0.min()) - pad),
            int(g.x1.max()) + pad,
            int(g.y1.max()) + pad,
            score,
        )


class _Pieces:
    """Bounding boxes and measures of connected pieces (parallel arrays)."""

    __slots__ = ("y0", "y1", "x0", "x1", "h", "w", "core", "contrast")

    def __init__(self, y0: np.ndarray, y1: np.ndarray, x0: np.ndarray, x1: np.ndarray,
                 core: np.ndarray, contrast: np.ndarray) -> None:
        self.y0, self.y1, self.x0, self.x1 = y0, y1, x0, x1
        self.h = (y1 - y0).astype(np.float64)
        self.w = (x1 - x0).astype(np.float64)
        self.core = core
        self.contrast = contrast

    def take(self, members: np.ndarray) -> _Pieces:
        return _Pieces(self.y0[members], self.y1[members], self.x0[members], self.x1[members],
                       self.core[members], self.contrast[members])


def _scale_box(box: Box, factor: int, shape: tuple[int, ...]) -> Box:
    rows, cols = shape[:2]
    return Box(
        box.x0 * factor,
        box.y0 * factor,
        min(cols, box.x1 * factor),
        min(rows, box.y1 * factor),
        box.score,
        box.confirmed,
    )


def merge_boxes(boxes: Sequence[Box], margin: int = 0) -> list[Box]:
    """Merge boxes that overlap (after growing each by ``margin``) until none do."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        out: list[Box] = []
        for box in merged:
            for k, kept in enumerate(out):
                if box.overlaps(kept, margin):
                    out[k] = kept.union(box)
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return sorted(merged, key=lambda b: (b.y0, b.x0))


def join_words(boxes: Sequence[Box], word_gap: float) -> list[Box]:
    """Merge overlapping boxes, and boxes side by side on one line (similar height, small gap).

    The joined box keeps the highest score, so one strong word makes its whole line strong.
    """
    merged = merge_boxes(boxes)
    changed = True
    while changed:
        changed = False
        out: list[Box] = []
        for box in sorted(merged, key=lambda b: (b.x0, b.y0)):
            for k, kept in enumerate(out):
                lo, hi = sorted((box.height, kept.height))
                overlap = min(box.y1, kept.y1) - max(box.y0, kept.y0)
                gap = max(box.x0, kept.x0) - min(box.x1, kept.x1)
                if hi <= 1.6 * lo and overlap >= 0.6 * lo and gap <= word_gap * lo:
                    out[k] = kept.union(box)
                    changed = True
                    break
            else:
                out.append(box)
        merged = merge_boxes(out)
    return merged
