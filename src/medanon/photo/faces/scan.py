"""Searching a large photograph for faces at the cost its smallest face needs, not more.

Running both detectors on the full 12-megapixel picture costs seconds; shrinking it to 1280 pixels
loses every face under about 60 pixels. A scan is two passes over one decoded picture:

* **overview**: one copy no larger than :attr:`ScanPlan.overview_side` pixels; every detector (the
  CNN and the Haar cascades) searches it. It finds the large and medium faces, and it is the only
  place the slow cascades run.
* **fine**: the detectors that find small faces (:attr:`FaceDetector.small_faces`, CenterFace) run
  over the whole picture in overlapping tiles, at the scale at which a face of
  :attr:`ScanPlan.min_face` pixels is as large as the smallest face the network reliably finds
  (:data:`NETWORK_MIN_FACE`). The fine pass is skipped when the overview already sees the picture
  at that scale (small pictures, or a caller who asked only for large faces).

The cost of the fine pass is the price of the smallest face: with the default ``min_face`` of 20
pixels, CenterFace must see the picture at full resolution (measured: at 0.8 of it, a 24-pixel face
of the labelled set is missed). A caller may raise ``min_face`` (the report says so) to trade small
faces for speed; medanon never does that silently.

A tile's overlap is larger than any face the overview might miss, so a face the fine pass is
responsible for lies whole inside at least one tile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medanon.photo.faces._scale import downscale
from medanon.photo.faces.base import FaceDetector
from medanon.photo.model import FaceBox

#: Smallest face width, in pixels of the picture the network sees, that CenterFace finds reliably at
#: its default threshold (measured on the labelled set and on pasted faces: 20 px found, 16 px not).
NETWORK_MIN_FACE = 20
#: The issue's requirement: faces from 20 pixels wide up are found.
DEFAULT_MIN_FACE = 20
#: Faces larger than this many times NETWORK_MIN_FACE in the overview are sure to be found there;
#: the fine tiles overlap by at least the size of the faces below it.
OVERVIEW_SAFETY = 1.5


@dataclass(frozen=True)
class ScanPlan:
    """How a picture is searched.

    Parameters
    ----------
    min_face : int
        Smallest face width in pixels of the picture that must be found. Lower finds smaller faces
        and costs more (the fine pass runs at ``NETWORK_MIN_FACE / min_face`` of full size, at most 1).
    overview_side : int
        Longer side of the copy every detector searches.
    tile : int
        Largest side of a fine-pass tile, in pixels at the fine scale (one network shape serves every
        tile). 2176 rather than 2048 lets two tiles span the 4000-4032 px side of a 12-MP photo
        instead of three: 14.3-14.5 megapixels through the network instead of 15.3, for the same
        memory (peak about 1.1 GB per process for a 12-MP photo with onnxruntime, measured).

    Raises
    ------
    ValueError
        If a size is not positive or the tile cannot hold its overlap.
    """

    min_face: int = DEFAULT_MIN_FACE
    overview_side: int = 480
    tile: int = 2176

    def __post_init__(self) -> None:
        if self.min_face < 1 or self.overview_side < 32 or self.tile < 64:
            raise ValueError(f"bad scan plan {self}")

    def fine_scale(self) -> float:
        """Scale at which a ``min_face`` face looks as large as the network's smallest face."""
        return min(1.0, NETWORK_MIN_FACE / self.min_face)


@dataclass(frozen=True)
class Window:
    """A rectangle of the picture (end-exclusive), for a fine pass limited to parts of it."""

    x0: int
    y0: int
    x1: int
    y1: int


def scan_faces(rgb: np.ndarray, detectors: Sequence[FaceDetector], plan: ScanPlan = ScanPlan(),
               windows: Sequence[Window] | None = None,
               fine_windows: Sequence[Window] | None = None) -> list[FaceBox]:
    """Every face the detectors find in ``rgb`` (uint8 RGB), overview and fine pass, in ``rgb``'s pixels.

    ``windows`` (the residual check: around what it filled) limits the fine pass, and the slow
    overview detectors (those without ``small_faces``), to those parts of the picture; the small-face
    detectors still search the whole overview. Outside the windows the picture holds the pixels the
    first scan searched with the same detectors at the same scales. ``None`` searches everything.
    ``fine_windows``, given with ``windows``, is where the fine pass runs instead: the residual
    check's windows without the flat inside of large fills (:func:`recheck_strips`).
    Detector errors propagate (the caller fails closed).
    """
    rows, columns = rgb.shape[:2]
    overview, factor = downscale(rgb, plan.overview_side)
    small = [d for d in detectors if getattr(d, "small_faces", False)]
    everywhere = detectors if windows is None else small
    found = [_scaled(box, factor, columns, rows) for d in everywhere for box in d.detect(overview)]
    if windows is not None:  # the slow detectors look again only where something was filled
        found += _overview_windows(overview, factor, [d for d in detectors if d not in small], windows, columns, rows)
    fine = plan.fine_scale()
    if fine > factor * 1.05 and small:
        areas = fine_windows if windows is not None and fine_windows is not None else windows
        found += _fine_pass(rgb, small, fine, _overlap(plan, fine, factor), plan.tile, areas)
    return _deduplicate([b for b in found if b is not None])


def _overview_windows(overview: np.ndarray, factor: float, detectors: Sequence[FaceDetector],
                      windows: Sequence[Window], columns: int, rows: int) -> list[FaceBox | None]:
    """The detectors' faces in the overview's crops of ``windows``, in the picture's pixels."""
    found: list[FaceBox | None] = []
    for w in windows:
        x0, y0 = int(w.x0 * factor), int(w.y0 * factor)
        crop = np.ascontiguousarray(overview[y0:math.ceil(w.y1 * factor), x0:math.ceil(w.x1 * factor)])
        if min(crop.shape[:2]) < 16:
            continue
        for detector in detectors:
            for box in detector.detect(crop):
                found.append(FaceBox.clipped((x0 + box.x0) / factor, (y0 + box.y0) / factor, (x0 + box.x1) / factor,
                                             (y0 + box.y1) / factor, columns, rows, box.score, box.detector))
    return found


def largest_missed(plan: ScanPlan, overview_factor: float) -> float:
    """Width (picture pixels) below which the overview may miss a face: the fine pass answers for those."""
    return OVERVIEW_SAFETY * NETWORK_MIN_FACE / overview_factor


def _overlap(plan: ScanPlan, fine: float, overview_factor: float) -> int:
    """Tile overlap (fine-scale pixels): any face the overview may miss, plus a little context."""
    return min(plan.tile // 2, math.ceil(largest_missed(plan, overview_factor) * fine) + 32)


def _fine_pass(rgb: np.ndarray, detectors: Sequence[FaceDetector], scale: float, overlap: int, tile: int,
               windows: Sequence[Window] | None) -> list[FaceBox | None]:
    import cv2

    rows, columns = rgb.shape[:2]
    areas = windows if windows is not None else [Window(0, 0, columns, rows)]
    found: list[FaceBox | None] = []
    for area in areas:
        part = rgb[area.y0:area.y1, area.x0:area.x1]
        if part.size == 0:
            continue
        if scale < 1.0:
            size = (max(1, round(part.shape[1] * scale)), max(1, round(part.shape[0] * scale)))
            part = cv2.resize(part, size, interpolation=cv2.INTER_AREA)
        starts_x, side_x = _split(part.shape[1], tile, overlap)
        starts_y, side_y = _split(part.shape[0], tile, overlap)
        for y in starts_y:
            for x in starts_x:
                block = np.zeros((side_y, side_x, 3), np.uint8)
                piece = part[y:y + side_y, x:x + side_x]
                block[:piece.shape[0], :piece.shape[1]] = piece
                for detector in detectors:
                    for box in _at_full_size(detector, block):
                        found.append(FaceBox.clipped(
                            area.x0 + (x + box.x0) / scale, area.y0 + (y + box.y0) / scale,
                            area.x0 + (x + box.x1) / scale, area.y0 + (y + box.y1) / scale,
                            columns, rows, box.score, box.detector))
    return found


def _at_full_size(detector: FaceDetector, block: np.ndarray) -> list[FaceBox]:
    """The detector's faces in ``block`` searched at the block's own size (never shrunk again).

    A detector that cannot be told its size (no ``detect_at``) and would shrink the block is refused:
    a tile searched smaller than planned would silently miss the small faces it is there for.
    """
    detect_at = getattr(detector, "detect_at", None)
    if detect_at is not None:
        return list(detect_at(block, max(block.shape[:2])))
    if max(block.shape[:2]) > getattr(detector, "max_side", max(block.shape[:2])):
        raise ValueError(f"detector {detector.name!r} would shrink a {block.shape[1]}x{block.shape[0]} tile")
    return detector.detect(block)


def _split(length: int, tile: int, overlap: int) -> tuple[list[int], int]:
    """Starts and common side (a multiple of 32) of equal tiles covering ``length`` with ``overlap``.

    Equal tiles waste least: n tiles of side (length + (n - 1) * overlap) / n, n as small as the
    largest tile side allows. One side for all tiles means one network shape.
    """
    if length <= tile:
        return [0], _ceil32(length)
    count = math.ceil((length - overlap) / (tile - overlap))
    side = _ceil32(math.ceil((length + (count - 1) * overlap) / count))
    step = (length - side) / (count - 1)
    return [round(i * step) for i in range(count)], side


def _ceil32(value: int) -> int:
    return -(-value // 32) * 32


def _scaled(box: FaceBox, factor: float, columns: int, rows: int) -> FaceBox | None:
    if factor == 1.0:
        return box
    return FaceBox.clipped(box.x0 / factor, box.y0 / factor, box.x1 / factor, box.y1 / factor, columns, rows,
                           box.score, box.detector)


def _deduplicate(boxes: list[FaceBox], overlap: float = 0.6) -> list[FaceBox]:
    """Drop a box that repeats one of the same detector (tiles overlap, the overview sees it too)."""
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if not any(k.detector == box.detector and k.iou(box) >= overlap for k in kept):
            kept.append(box)
    return kept


def around(regions: Sequence[FaceBox], columns: int, rows: int, margin: int) -> list[Window]:
    """Windows around ``regions``, each grown by ``margin`` pixels on every side, overlapping ones merged."""
    return merge_overlapping([Window(max(0, r.x0 - margin), max(0, r.y0 - margin), min(columns, r.x1 + margin),
                                     min(rows, r.y1 + margin)) for r in regions])


def merge_overlapping(windows: Sequence[Window]) -> list[Window]:
    """``windows`` with overlapping ones replaced by their bounding window, until none overlap."""
    merged = list(windows)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(merged):
            for j in range(i + 1, len(merged)):
                b = merged[j]
                if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1:
                    merged[i] = Window(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def recheck_windows(regions: Sequence[FaceBox], columns: int, rows: int, plan: ScanPlan = ScanPlan()) -> list[Window]:
    """Where the residual check runs its fine pass: around every filled region, as far as a face the
    overview may miss reaches (a face that survived obscuring touches or adjoins a fill)."""
    return around(regions, columns, rows, _recheck_margin(columns, rows, plan))


def _recheck_margin(columns: int, rows: int, plan: ScanPlan) -> int:
    """How far past a fill the residual check searches: the largest face the overview may miss, and 32 px."""
    overview_factor = min(1.0, plan.overview_side / max(columns, rows))
    return math.ceil(largest_missed(plan, overview_factor)) + 32


def recheck_strips(regions: Sequence[FaceBox], columns: int, rows: int,
                   plan: ScanPlan = ScanPlan()) -> list[Window]:
    """Where the residual check's fine pass runs: :func:`recheck_windows`, less the inside of each
    window's largest fill when that leaves less to search.

    The inside of a fill is the fill shrunk by the windows' margin, which is larger than any face
    the fine pass answers for, on every side not at the picture's edge. Why leaving it out is safe:
    a face that touches the inside lies wholly within the fill (it is smaller than the margin, and
    no face lies past the picture's edge), and a fill is one flat colour, so it holds no face. A face
    that does not touch the inside lies wholly above, below, left or right of it, so wholly in one
    of the four strips kept around it: above and below (the window's whole width) and left and right
    (as high as the inside plus the margin up and down).
    This pays for large fills (a close-up face fills most of the photo and its window is the whole
    photo); around a fill only a few margins wide the strips would overlap more than they leave
    out, and the window is searched whole.
    """
    margin = _recheck_margin(columns, rows, plan)
    areas: list[Window] = []
    for w in around(regions, columns, rows, margin):
        insides = [_inside(r, margin, columns, rows) for r in regions
                   if w.x0 <= r.x0 and w.y0 <= r.y0 and r.x1 <= w.x1 and r.y1 <= w.y1]
        insides = [i for i in insides if i.x1 > i.x0 and i.y1 > i.y0]
        strips = _strips(w, max(insides, key=_area), margin) if insides else [w]
        areas += strips if sum(map(_area, strips)) < _area(w) else [w]
    return areas


def _inside(fill: FaceBox, margin: int, columns: int, rows: int) -> Window:
    """``fill`` shrunk by ``margin``, except on sides at the picture's edge (no face lies beyond it)."""
    return Window(fill.x0 + margin if fill.x0 > 0 else 0, fill.y0 + margin if fill.y0 > 0 else 0,
                  fill.x1 - margin if fill.x1 < columns else columns, fill.y1 - margin if fill.y1 < rows else rows)


def _strips(w: Window, inside: Window, margin: int) -> list[Window]:
    """The four strips of ``w`` around ``inside`` (see :func:`recheck_strips`), empty ones dropped."""
    top, bottom = max(w.y0, inside.y0 - margin), min(w.y1, inside.y1 + margin)
    strips = [Window(w.x0, w.y0, w.x1, inside.y0), Window(w.x0, inside.y1, w.x1, w.y1),
              Window(w.x0, top, inside.x0, bottom), Window(inside.x1, top, w.x1, bottom)]
    return [s for s in strips if _area(s) > 0]


def _area(w: Window) -> int:
    return max(0, w.x1 - w.x0) * max(0, w.y1 - w.y0)
