"""OCR with Tesseract: confirms that candidate boxes hold characters, and reads them.

Tesseract runs in this process through ``tesserocr`` when that wheel is installed, otherwise as the
``tesseract`` program (:mod:`medanon.pixels.detectors._tesseract_engines`). Nothing is downloaded at
run time: the ``eng`` language data comes from the Debian package ``tesseract-ocr-eng``.

As a *confirming* detector it receives the weak candidate boxes of the geometric detector for one
frame. Each candidate is cropped and turned into two clean views, its bright strokes and its dark
strokes drawn black on white (a morphological top-hat removes the background, whatever the text's
polarity), enlarged to a glyph height Tesseract reads well; a box much taller than wide is also
sent turned a quarter turn each way, for rotated text. All views go one under another on a single
sheet, read in one run, and a candidate is confirmed when the words read inside its views hold at
least :attr:`TesseractConfirmer.min_chars` letters or digits at a confidence of at least
:attr:`TesseractConfirmer.min_confidence`. The bar is low on purpose: a candidate OCR does not
confirm is dropped, so a strict bar would let real text through (fail closed). The recognised
text is never returned or logged (it may be a patient's name).

As a *searching* detector (``candidates=None``) it reads the whole frame, which is slow (about a
second per frame) and meant for checks, not for every image.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medanon.pixels import _morph
from medanon.pixels.detectors._tesseract_engines import OcrFailed, TesseractEngine, choose
from medanon.pixels.model import Box

#: Glyph height (pixels) crops are scaled to before OCR. 28 rather than 36: sheets 40 % smaller,
#: and on bench/bench_pixels.py the screen read as well (synthetic recall 191/200 against 190/200,
#: clean-image false positives 4/85 and 0/45 against 4/85 and 1/45), bench_redact unchanged.
TARGET_GLYPH_HEIGHT = 28
#: Strokes standing out by fewer grey levels than this are not read (the line detector's
#: contrast floor is 40; codec ringing and noise stay below it).
MIN_STROKE_CONTRAST = 20.0
#: White space between crops on the sheet, and around the sheet.
SPACER = 24
#: Tallest sheet sent in one run; more crops go to further runs.
MAX_SHEET_HEIGHT = 6000


@dataclass(frozen=True)
class _Word:
    text: str
    confidence: float
    top: int
    height: int
    left: int
    width: int


class TesseractConfirmer:
    """:class:`~medanon.pixels.base.TextDetector` backed by the ``tesseract`` program.

    Parameters
    ----------
    executable : str, optional
        Program name or path; giving one asks for the program instead of ``tesserocr``.
    language : str
        Tesseract language data to use (``eng``).
    timeout : float
        Seconds one run of the program may take; a slower run raises :class:`OcrFailed`. (The
        in-process engine cannot be interrupted; it reads crops and frames in milliseconds.)
    min_confidence : float
        Words read with a lower confidence (0-100) are ignored. The default (20) confirmed 92 % of
        weak candidates over real text and 1 of 28 weak candidates over clean images when measured
        (bench/bench_pixels.py corpora and synthetic text on them).
    min_chars : int
        Letters or digits needed to confirm a candidate.
    backend : str
        ``"auto"`` (``tesserocr`` when installed, else the program), ``"tesserocr"`` or
        ``"program"``.
    """

    name = "tesseract"
    DEPENDENCIES: tuple[str, ...] = ("tesserocr (pip) or the tesseract program (Debian: tesseract-ocr)",
                                     "eng language data (Debian: tesseract-ocr-eng)", "pillow")

    def __init__(self, executable: str | None = None, *, language: str = "eng", timeout: float = 5.0,
                 min_confidence: float = 20.0, min_chars: int = 2, backend: str = "auto") -> None:
        self.engine: TesseractEngine = choose(backend, executable, language, timeout)
        self.language = language
        self.timeout = timeout
        self.min_confidence = min_confidence
        self.min_chars = min_chars

    def is_available(self) -> bool:
        try:
            import PIL  # noqa: F401
        except ImportError:
            return False
        return self.engine.is_available()

    def detect(self, frame: np.ndarray, candidates: Sequence[Box] | None = None) -> list[Box]:
        """Candidates holding characters (confirmed), or with ``candidates=None`` word boxes.

        Raises
        ------
        ValueError
            If ``frame`` is not a 2-D ``uint8`` array.
        OcrFailed
            If Tesseract cannot be started, fails, or exceeds the timeout.
        """
        if frame.ndim != 2 or frame.dtype != np.uint8:
            raise ValueError("TesseractConfirmer needs a 2-D uint8 frame")
        if candidates is None:
            return self._search(frame)
        boxes = list(candidates)
        confirmed: set[int] = set()
        for batch in _batches(frame, boxes):
            confirmed |= self._confirm(batch)
        return [dataclasses.replace(box, confirmed=True) for i, box in enumerate(boxes) if i in confirmed]

    # -- confirming ---------------------------------------------------------------------------
    def _confirm(self, batch: list[tuple[int, np.ndarray]]) -> set[int]:
        sheet, spans = _sheet_of(batch)
        words = self._read(sheet, psm=4)
        confirmed = set()
        for (index, _), (lo, hi) in zip(batch, spans, strict=True):
            chars = sum(
                sum(ch.isalnum() for ch in word.text)
                for word in words
                if word.confidence >= self.min_confidence and lo <= word.top + word.height / 2 < hi
            )
            if chars >= self.min_chars:
                confirmed.add(index)
        return confirmed

    # -- reading ------------------------------------------------------------------------------
    def read_boxes(self, crops: Sequence[tuple[np.ndarray, Box]],
                   min_confidence: Sequence[float] | None = None) -> list[str]:
        """The words read in each (frame, box) pair, in order; ``""`` where nothing was read.

        Boxes of many frames go on shared sheets, so a whole multi-frame file costs one or two
        Tesseract reads. Only words at or above :attr:`min_confidence` count, or at or above the
        crop's own floor in ``min_confidence`` (one per crop). The text is returned to the caller
        for a decision (allow list, identifiers) and must never be logged.

        Raises
        ------
        OcrFailed
            If Tesseract cannot be started, fails, or exceeds the timeout.
        """
        prepared: list[tuple[int, np.ndarray]] = []
        for index, (frame, box) in enumerate(crops):
            for batch in _batches(frame, [box]):
                prepared.extend((index, view) for _, view in batch)
        floors = list(min_confidence) if min_confidence is not None else [self.min_confidence] * len(crops)
        if len(floors) != len(crops):
            raise ValueError("one confidence floor per crop")
        texts: list[list[str]] = [[] for _ in crops]
        for sheet in _sheets(prepared):
            for index, words in self._read_sheet(sheet, floors).items():
                texts[index].extend(words)
        return [" ".join(words) for words in texts]

    def _read_sheet(self, batch: list[tuple[int, np.ndarray]], floors: list[float]) -> dict[int, list[str]]:
        sheet, spans = _sheet_of(batch)
        words = sorted(self._read(sheet, psm=4), key=lambda w: w.left)
        found: dict[int, list[str]] = {}
        for (index, _), (lo, hi) in zip(batch, spans, strict=True):
            found.setdefault(index, []).extend(
                w.text for w in words if lo <= w.top + w.height / 2 < hi and w.confidence >= floors[index])
        return found

    def read_words(self, frame: np.ndarray, min_confidence: float | None = None) -> list[tuple[Box, str]]:
        """Every word read in a whole 2-D ``uint8`` frame, with its box in frame pixels.

        Words below ``min_confidence`` (default :attr:`min_confidence`) are left out. Slow (a
        fraction of a second per frame): for a few frames per file. Never log the text.

        Raises
        ------
        OcrFailed
            If Tesseract cannot be started, fails, or exceeds the timeout.
        """
        floor = self.min_confidence if min_confidence is None else min_confidence
        scale = max(1, int(round(1024 / max(frame.shape))))
        found = []
        for word in self._read(_prepare(frame, scale), psm=11):
            if word.confidence < floor:
                continue
            x0, y0 = word.left // scale, word.top // scale
            x1 = min(frame.shape[1], -(-(word.left + word.width) // scale))
            y1 = min(frame.shape[0], -(-(word.top + word.height) // scale))
            if x1 > x0 and y1 > y0:
                found.append((Box(x0, y0, x1, y1, round(min(100.0, max(0.0, word.confidence)) / 100, 3), True),
                              word.text))
        return found

    # -- searching ----------------------------------------------------------------------------
    def _search(self, frame: np.ndarray) -> list[Box]:
        scale = max(1, int(round(1024 / max(frame.shape))))
        image = _prepare(frame, scale)
        boxes = []
        for word in self._read(image, psm=11):
            if word.confidence < self.min_confidence:
                continue
            if sum(ch.isalnum() for ch in word.text) < self.min_chars:
                continue
            x0, y0 = word.left // scale, word.top // scale
            x1 = min(frame.shape[1], -(-(word.left + word.width) // scale))
            y1 = min(frame.shape[0], -(-(word.top + word.height) // scale))
            if x1 > x0 and y1 > y0:
                boxes.append(Box(x0, y0, x1, y1, round(word.confidence / 100, 3), True))
        return boxes

    # -- the engine ---------------------------------------------------------------------------
    def _read(self, image: np.ndarray, psm: int) -> list[_Word]:
        return _parse_tsv(self.engine.read_tsv(image, psm))


def _sheet_of(batch: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The crops stacked on one white sheet, and the band of rows that belongs to each crop.

    A word belongs to the crop whose band holds its vertical centre.
    """
    width = max(crop.shape[1] for _, crop in batch) + 2 * SPACER
    height = sum(crop.shape[0] for _, crop in batch) + SPACER * (len(batch) + 1)
    sheet = np.full((height, width), 255, dtype=np.uint8)
    spans = []
    top = SPACER
    for _, crop in batch:
        sheet[top:top + crop.shape[0], SPACER:SPACER + crop.shape[1]] = crop
        spans.append((top - SPACER // 2, top + crop.shape[0] + SPACER // 2))
        top += crop.shape[0] + SPACER
    return sheet, spans


def _parse_tsv(text: str) -> list[_Word]:
    words = []  # the header line (the program writes one, the library none) has no level 5
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) != 12 or fields[0] != "5" or not fields[11].strip():
            continue
        try:
            left, top, width, height = (int(v) for v in fields[6:10])
            confidence = float(fields[10])
        except ValueError:
            continue
        words.append(_Word(fields[11].strip(), confidence, top, height, left, width))
    return words


def _prepare(image: np.ndarray, scale: float) -> np.ndarray:
    """Contrast-stretch, make dark-on-light (judged by the border's brightness) and enlarge."""
    values = image.astype(np.float32)
    lo, hi = float(values.min()), float(values.max())
    values = (values - lo) * (255.0 / max(1.0, hi - lo))
    border = np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])
    if float(np.median(border)) < 128:
        values = 255.0 - values
    return _resize(values.astype(np.uint8), scale)


def _stroke_views(crop: np.ndarray, glyph_height: float) -> list[np.ndarray]:
    """The crop's bright strokes and its dark strokes, each drawn black on white.

    A top-hat a third of a glyph high keeps strokes and drops the background (anatomy, gradients,
    a box behind the text), whatever the polarity: Tesseract reads these far better than the grey
    crop (measured on weak candidates over real images: about nine in ten read, against four).
    Strokes fainter than :data:`MIN_STROKE_CONTRAST` are not drawn: stretched to full contrast,
    the ringing of a lossy codec around a filled box reads as letters.
    """
    size = max(5, int(glyph_height / 3) | 1)
    views = []
    for tophat in (_morph.white_tophat, _morph.black_tophat):
        strokes = tophat(crop, size).astype(np.float32)
        top = float(np.percentile(strokes, 99))
        if top < MIN_STROKE_CONTRAST:
            continue
        views.append((255.0 - np.clip(strokes * (255.0 / top), 0, 255)).astype(np.uint8))
    return views


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    from PIL import Image

    if scale == 1:
        return image
    picture = Image.fromarray(image)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return np.asarray(picture.resize(size, Image.Resampling.BICUBIC))


def _batches(frame: np.ndarray, candidates: list[Box]) -> list[list[tuple[int, np.ndarray]]]:
    """Prepared crops (candidate index, image), grouped into sheets of bounded height.

    Each candidate gives its bright-stroke and dark-stroke views (none if its crop is flat: then
    there is nothing to read and it is not confirmed); a candidate much taller than wide may be
    rotated text and is also sent turned a quarter turn each way.
    """
    prepared: list[tuple[int, np.ndarray]] = []
    rows, cols = frame.shape
    for index, box in enumerate(candidates):
        tall = box.height > 1.5 * box.width
        line_height = box.width if tall else box.height
        margin = max(2, line_height // 4)
        crop = frame[max(0, box.y0 - margin):min(rows, box.y1 + margin),
                     max(0, box.x0 - margin):min(cols, box.x1 + margin)]
        # A line box is about 1.4 glyph heights tall (padding, descenders).
        glyph_height = max(1.0, line_height / 1.4)
        scale = min(6.0, max(0.25, TARGET_GLYPH_HEIGHT / glyph_height))
        views = _stroke_views(crop, glyph_height)
        if tall:
            views = [np.ascontiguousarray(np.rot90(v, turn)) for v in views for turn in (1, -1)] + views
        prepared.extend((index, _resize(view, scale)) for view in views)
    return _sheets(prepared)


def _sheets(prepared: list[tuple[int, np.ndarray]]) -> list[list[tuple[int, np.ndarray]]]:
    """Group prepared crops into sheets no taller than :data:`MAX_SHEET_HEIGHT`."""
    sheets: list[list[tuple[int, np.ndarray]]] = [[]]
    height = SPACER
    for index, view in prepared:
        if sheets[-1] and height + view.shape[0] + SPACER > MAX_SHEET_HEIGHT:
            sheets.append([])
            height = SPACER
        sheets[-1].append((index, view))
        height += view.shape[0] + SPACER
    return [sheet for sheet in sheets if sheet]

__all__ = ["OcrFailed", "TesseractConfirmer"]
