"""Redact burnt-in text in every frame of a dataset, re-encode it, and prove the text is gone.

``redact_burnt_in(ds, identifier_forms, policy)`` returns a :class:`Redaction`: a new dataset whose
pixels were cleaned and checked, or a refusal reason (the caller quarantines; DESIGN.md "Fail
closed"). The steps, for every frame:

1. **Find**: the geometric line detector (:mod:`medanon.pixels.detectors.lines`) searches each
   frame (a few ms) for lines of glyphs and, apart, for two-glyph short words; Tesseract (in
   this process, :mod:`medanon.pixels.detectors.tesseract`) reads only the crops that need it,
   all frames on shared sheets, and a crop identical to one already read is not read again.
   Weak candidates count as text only when OCR reads characters in them; short words when OCR
   reads two letters or digits in them at :data:`WORD_CONFIDENCE`.
2. **Decide** (:mod:`medanon.pixels.words`): ``publication`` redacts every text box except short
   ones OCR reads as allow-listed markers or units. On an ultrasound with
   SequenceOfUltrasoundRegions everything outside the regions is a text zone: there every
   candidate of the detector is text, weak or not, with no OCR confirmation needed.
   ``limited-access`` keeps text boxes whose reading matched no header identifier.
3. **Redact**: opaque fill (black as displayed) of each box grown by :attr:`RedactionPolicy.margin`.
4. **Re-encode** (:mod:`medanon.pixels.codec`): lossless stays lossless and bit-identical outside
   the boxes; lossy inputs are re-encoded with a documented quality and truthful
   LossyImageCompression attributes.
5. **Verify** on the re-encoded output, decoded again: the same detection runs on every frame and
   OCR reads what remains: any text-like box outside the kept ones that is strong, or that OCR
   reads, refuses the file, as does any header identifier read; Tesseract also reads the strips
   beside each box filled at step 3, where a character left of a line the detector boxed only in
   part shows. Then overlays, curves and graphic annotations are removed (Clean Graphics) and
   BurnedInAnnotation is set to NO.

Every frame is searched, read where needed, filled and verified; nothing is inferred from a subset
of frames. As a safety net under the detector, verification also has Tesseract read the first,
middle and last frames whole (about 50 ms of CPU per 512x512 frame in process): a line the detector
misses or wrongly keeps is then still read, where a header identifier or a confident word refuses.
The input dataset is never
modified; the recognised text is never logged or returned.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, convert_color_space

from medanon.core.enum import Level
from medanon.core.errors import MedanonError
from medanon.pixels import codec
from medanon.pixels import frames as _frames
from medanon.pixels.detectors import get_detector
from medanon.pixels.detectors.lines import LineTextDetector, join_words, merge_boxes
from medanon.pixels.detectors.tesseract import TesseractConfirmer
from medanon.pixels.model import Box, Region
from medanon.pixels.screen import CONFIRM_BELOW
from medanon.pixels.words import is_allowed, matches_identifier

#: Short-word candidates and the strips beside filled boxes hold text when Tesseract reads letters
#: or digits in them at this confidence (0-100) or more (lower, it reads "words" in speckle).
WORD_CONFIDENCE = 60.0
#: The whole-frame check (:func:`_whole_frame_words`) leaves over a word of three or more letters or
#: digits read at this confidence or more (lower, Tesseract reads "words" in speckle and anatomy);
#: a header identifier is left over at :data:`WORD_CONFIDENCE` or more.
WHOLE_FRAME_CONFIDENCE = 80.0
#: Width of the strip read beside each end of a filled box, in box heights: a remnant of a line the
#: detector boxed only in part ("DO" of "DOB") sits within about one height of the box.
STRIP_WIDTH = 2.0
#: Find-fill-verify rounds: text the check still finds is filled and checked again, this often.
ROUNDS = 3
#: Boxes no wider than this many box heights are read by OCR in ``publication``, to find the
#: allow-listed markers and units; wider lines cannot be one of them and go unread.
SHORT_BOX = 6.0


@dataclass(frozen=True)
class RedactionPolicy:
    """How :func:`redact_burnt_in` decides; built from a :class:`~medanon.core.policy.Policy`.

    Raises
    ------
    ValueError
        If the margin is negative.
    """

    level: Level = Level.PUBLICATION
    #: Pixels added on every side of a text box before it is filled.
    margin: int = 3
    #: Fill everything outside SequenceOfUltrasoundRegions (publication only).
    ultrasound_text_zone: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", Level(self.level))
        if self.margin < 0:
            raise ValueError("margin must not be negative")

    @classmethod
    def from_policy(cls, policy: object) -> RedactionPolicy:
        return cls(level=Level(getattr(policy, "level", Level.PUBLICATION)))


@dataclass(frozen=True)
class Redaction:
    """The outcome of :func:`redact_burnt_in`: a cleaned dataset, or why there is none.

    ``regions`` are the filled boxes (margin included), ``zones`` the ultrasound text zone (outside
    SequenceOfUltrasoundRegions, where every candidate counts as text), ``kept`` the text boxes
    left in place by the policy. ``preview_png``
    shows one frame before and after, boxes drawn; it shows the original text and is for the data
    controller's review, not for sharing.
    """

    dataset: Dataset | None
    reason: str | None = None
    regions: tuple[Region, ...] = ()
    zones: tuple[Box, ...] = ()
    kept: tuple[Region, ...] = ()
    frames: int = 0
    encoding: str = ""
    notes: tuple[str, ...] = ()
    preview_png: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.dataset is None) == (self.reason is None):
            raise ValueError("a redaction has either a dataset or a refusal reason")

    @property
    def refused(self) -> bool:
        return self.dataset is None


class RedactionRefused(MedanonError):
    """The pixels could not be proven clean."""


def redact_burnt_in(ds: Dataset, identifier_forms: Iterable[str],
                    policy: RedactionPolicy | None = None) -> Redaction:
    """Redact burnt-in text in every frame of ``ds`` and verify the re-encoded result.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The dataset (usually already header-cleaned); it is not modified.
    identifier_forms : iterable of str
        Lower-case search forms of the original header's identifying values
        (:func:`medanon.verify.collect_identifiers`); they must not be readable in the output.
    policy : RedactionPolicy, optional
        Defaults to ``publication``.

    Returns
    -------
    Redaction
        With ``dataset`` set when the output was verified clean, otherwise ``reason``.
    """
    policy = policy or RedactionPolicy()
    forms = tuple(f for f in identifier_forms if f)
    try:
        return _redact(ds, forms, policy)
    except (codec.CodecError, RedactionRefused) as exc:
        return Redaction(None, exc.message)
    except MedanonError as exc:  # OCR failure: could not prove clean
        return Redaction(None, f"pixel redaction could not run: {exc.message}")


def _redact(ds: Dataset, forms: tuple[str, ...], policy: RedactionPolicy) -> Redaction:
    lines = get_detector("lines")
    ocr = get_detector("tesseract")
    if not isinstance(lines, LineTextDetector) or not lines.is_available():
        raise RedactionRefused("the text detector is unavailable (needs numpy, scipy)")
    if not isinstance(ocr, TesseractConfirmer) or not ocr.is_available():
        raise RedactionRefused("OCR is unavailable (needs tesseract-ocr and tesseract-ocr-eng)")
    decoded = codec.decode_all(ds)
    views = [_grey_views(frame, decoded.photometric, ds) for frame in decoded.frames]
    shape = decoded.frames.shape[1:3]
    zones = _text_zones(ds, shape) if policy.level is Level.PUBLICATION and policy.ultrasound_text_zone else []
    zone_mask = _mask(shape, zones)
    searched = [_search(lines, frame_views) for frame_views in views]
    found = [boxes for boxes, _ in searched]
    shorts = [pairs for _, pairs in searched]
    requests = {(index, box): ocr.min_confidence for index, boxes in enumerate(found)
                for box in boxes if _needs_reading(box, policy)}
    requests.update({(index, box): WORD_CONFIDENCE for index, boxes in enumerate(shorts) for box in boxes})
    cache: dict[bytes, str] = {}
    texts = _read(ocr, views, requests, cache)
    redact: list[Region] = []
    kept: list[Region] = []
    for index in range(len(views)):
        verdicts = [(box, _decide(box, texts.get((index, box)), forms, policy, _in(zone_mask, box)))
                    for box in found[index]]
        verdicts += [(box, _decide_short(texts.get((index, box)), forms, policy, _in(zone_mask, box)))
                     for box in shorts[index]]
        for box, verdict in verdicts:
            if verdict == "redact":
                redact.append(Region.from_box(index, _grow(box, policy.margin, shape)))
            elif verdict == "keep":
                kept.append(Region.from_box(index, box))
    if not redact and not kept and str(ds.get("BurnedInAnnotation", "") or "").strip().upper() == "YES":
        # The header says there is text and nothing was found: the text may be of a kind the
        # detectors miss (tiny, faint, rotated), so nothing is proven (DESIGN.md "Fail closed").
        raise RedactionRefused("BurnedInAnnotation is YES but no text was found to redact")
    bits = int(ds.get("BitsStored", 8) or 8)
    fill = codec.fill_value(decoded, bits)
    changed: set[int] | None = None  # frames to verify: all in the first round
    beside = _strips(redact, shape)  # read once per file: remnants of lines boxed in part
    for _ in range(ROUNDS):
        cleaned = decoded.frames.copy()
        for region in redact:
            cleaned[region.frame, region.y0:region.y1, region.x0:region.x1] = fill
        out = copy.deepcopy(ds)
        encoding = codec.write_back(out, decoded, cleaned)
        # A lossless output was decoded back inside write_back and equals ``cleaned`` exactly, so
        # the check reads those frames instead of decoding the same bytes a second time.
        proven = None if decoded.lossy else codec.Decoded(
            cleaned, decoded.photometric, codec.transfer_syntax(out), False)
        leftovers = _verify(out, forms, policy, lines, ocr, kept, zone_mask, cache, beside, changed, proven)
        if not leftovers:
            break
        # A frame whose pixels do not change in this round would verify as before (the checks are
        # deterministic for identical pixels: same detector, cached OCR readings, per-frame
        # encoding), so the next round verifies only the frames that get new fills.
        changed = {r.frame for r, _ in leftovers}
        redact.extend(Region.from_box(r.frame, _grow(r.box, policy.margin, shape)) for r, _ in leftovers)
    else:
        raise RedactionRefused(f"verification: {leftovers[0][1]} after {ROUNDS} rounds of redaction")
    _clean_graphics(out)
    out.BurnedInAnnotation = "NO"
    _record_options(out)
    notes = [f"{len(redact)} text box(es) filled on {len({r.frame for r in redact})} of "
             f"{len(decoded.frames)} frame(s)"]
    if zones:
        notes.append("ultrasound: every text candidate outside SequenceOfUltrasoundRegions filled")
    if kept:
        why = "allow list" if policy.level is Level.PUBLICATION else "no identifier read"
        notes.append(f"{len(kept)} text box(es) kept ({why})")
    preview = _preview(views, cleaned, decoded, ds, redact, zones)
    return Redaction(out, None, tuple(redact), tuple(zones), tuple(kept), len(decoded.frames), encoding,
                     tuple(notes), preview)


# -- finding -------------------------------------------------------------------------------------
def _grey_views(frame: np.ndarray, photometric: str, ds: Dataset) -> list[np.ndarray]:
    if photometric == "PALETTE COLOR":
        frame = apply_color_lut(frame, ds)
    elif frame.ndim == 3 and photometric.startswith("YBR"):
        frame = convert_color_space(frame, "YBR_FULL", "RGB")
    return _frames.to_grey(frame, photometric)


def _search(lines: LineTextDetector, views: list[np.ndarray],
            glyphs: list[np.ndarray] | None = None) -> tuple[list[Box], list[Box]]:
    """Lines of glyphs and, apart, short-word candidates, over every grey view of one frame.

    With ``glyphs``, the boxes of all glyph-sized pieces are collected too (see
    :meth:`~medanon.pixels.detectors.lines.LineTextDetector.detect_lines`).
    """
    boxes: list[Box] = []
    shorts: list[Box] = []
    for view in views:
        found, pairs = lines.detect_lines(view, short_words=True, glyphs=glyphs)
        boxes.extend(found)
        shorts.extend(pairs)
    if len(views) > 1:
        boxes = join_words(boxes, 0.0)
        shorts = [s for s in merge_boxes(shorts) if not any(s.overlaps(b) for b in boxes)]
    return boxes, shorts


def _needs_reading(box: Box, policy: RedactionPolicy) -> bool:
    if policy.level is Level.LIMITED_ACCESS or box.score < CONFIRM_BELOW:
        return True
    return box.width <= SHORT_BOX * box.height


def _in(mask: np.ndarray, box: Box) -> bool:
    return bool(mask[box.y0:box.y1, box.x0:box.x1].any())


def _read(ocr: TesseractConfirmer, views: list[list[np.ndarray]], requests: dict[tuple[int, Box], float],
          cache: dict[bytes, str]) -> dict[tuple[int, Box], str]:
    """OCR of the requested (frame, box) crops at their confidence floors; each distinct crop once.

    Identical crops (static text on a cine) are read once, and ``cache`` keeps readings by crop
    across detection and verification: Tesseract's reading of a crop depends a little on its
    neighbours on the sheet, and an unchanged crop must not change its verdict between the two.
    """
    unique: dict[bytes, list[tuple[int, Box]]] = {}
    crops: list[tuple[np.ndarray, Box]] = []
    floors: list[float] = []
    for (index, box), floor in requests.items():
        view = views[index][0]
        key = hashlib.blake2b(view[box.y0:box.y1, box.x0:box.x1].tobytes() + repr(
            (box.x0, box.y0, box.x1, box.y1, floor)).encode(), digest_size=16).digest()
        if key not in unique:
            unique[key] = []
            if key not in cache:
                crops.append((view, box))
                floors.append(floor)
        unique[key].append((index, box))
    new_keys = [key for key in unique if key not in cache]
    for key, text in zip(new_keys, ocr.read_boxes(crops, floors) if crops else [], strict=True):
        cache[key] = text
    return {member: cache[key] for key, members in unique.items() for member in members}


def _decide(box: Box, text: str | None, forms: tuple[str, ...], policy: RedactionPolicy,
            in_zone: bool = False) -> str:
    """"redact", "keep" (text the policy allows) or "ignore" (a weak candidate OCR read nothing in).

    In the ultrasound text zone a weak candidate is text even when OCR reads nothing in it;
    elsewhere it is text when OCR reads a word of three or more letters or digits in it, or a
    header identifier. Shorter readings ("Ee", "SS", "ab") were OCR noise in every case looked at
    (colour Doppler, speckle, bowel gas); the price is that a lone pair of initials in a weak
    candidate is not filled unless it matches the header.
    """
    readable = text is not None and sum(ch.isalnum() for ch in text) >= 2
    if box.score < CONFIRM_BELOW and not in_zone and not _confirms_weak(text, forms):
        return "ignore"
    if policy.level is Level.LIMITED_ACCESS:
        return "keep" if readable and text is not None and not matches_identifier(text, forms) else "redact"
    if text is not None and is_allowed(text) and _accounts_for(box, text) and not matches_identifier(text, forms):
        return "keep"
    return "redact"


#: A glyph is about this wide for its height (digits and capitals of the usual overlay fonts).
GLYPH_ASPECT = 0.6


def _accounts_for(box: Box, text: str) -> bool:
    """True if a reading has at least half the characters the box's size suggests.

    OCR garbles some crops into one or two characters ("=a" for a seven-digit ID): a
    single-letter marker read in a box the width of a word explains only part of the box, so the
    box is not kept on the strength of that reading.
    """
    visible = sum(not ch.isspace() for ch in text)
    expected = box.width / max(1.0, GLYPH_ASPECT * box.height)
    return visible >= 0.5 * expected


def _confirms_weak(text: str | None, forms: tuple[str, ...]) -> bool:
    """True if an OCR reading makes a weak candidate text: a 3+ character word or an identifier."""
    if not text:
        return False
    if any(len(word) >= 3 for word in re.split(r"[^0-9A-Za-z]+", text)):
        return True
    return bool(forms) and matches_identifier(text, forms)


def _decide_short(text: str | None, forms: tuple[str, ...], policy: RedactionPolicy,
                  in_zone: bool = False) -> str:
    """Verdict on a two-glyph short-word candidate: text only if OCR reads two letters or digits.

    Pairs of blobs are common in anatomy, so a short candidate OCR cannot read is ignored, except
    in the ultrasound text zone where every candidate is text. Read ones are decided like lines:
    "R", "Lt", "cm" stay on the allow list, initials go.
    """
    readable = text is not None and sum(ch.isalnum() for ch in text) >= 2
    if not readable:
        return "redact" if in_zone else "ignore"
    if policy.level is Level.LIMITED_ACCESS:
        return "redact" if text is not None and matches_identifier(text, forms) else "keep"
    if text is not None and is_allowed(text) and not matches_identifier(text, forms):
        return "keep"
    return "redact"



def _text_zones(ds: Dataset, shape: tuple[int, ...]) -> list[Box]:
    """Rectangles outside every ultrasound region (PS3.3 C.8.5.5), or none without regions."""
    regions = ds.get("SequenceOfUltrasoundRegions")
    if not regions:
        return []
    rows, cols = int(shape[0]), int(shape[1])
    inside = np.zeros((rows, cols), dtype=bool)
    for item in regions:
        try:
            x0, y0 = int(item.RegionLocationMinX0), int(item.RegionLocationMinY0)
            x1, y1 = int(item.RegionLocationMaxX1), int(item.RegionLocationMaxY1)
        except (AttributeError, TypeError, ValueError):
            raise RedactionRefused("an ultrasound region has no usable location") from None
        inside[max(0, y0):min(rows, y1 + 1), max(0, x0):min(cols, x1 + 1)] = True
    zones = []
    for y in range(rows):  # run-length rows into boxes, merged vertically when identical
        outside = ~inside[y]
        if not outside.any():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate(([0], outside.view(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            zones.append(Box(int(start), y, int(stop), y + 1))
    return _merge_rows(zones)


def _merge_rows(boxes: list[Box]) -> list[Box]:
    merged: list[Box] = []
    open_boxes: dict[tuple[int, int], Box] = {}
    for box in boxes:
        key = (box.x0, box.x1)
        previous = open_boxes.get(key)
        if previous is not None and previous.y1 == box.y0:
            open_boxes[key] = Box(box.x0, previous.y0, box.x1, box.y1)
        else:
            if previous is not None:
                merged.append(previous)
            open_boxes[key] = box
    return merged + list(open_boxes.values())


def _mask(shape: tuple[int, ...], boxes: Sequence[Box]) -> np.ndarray:
    mask = np.zeros((int(shape[0]), int(shape[1])), dtype=bool)
    for box in boxes:
        mask[box.y0:box.y1, box.x0:box.x1] = True
    return mask


def _grow(box: Box, margin: int, shape: tuple[int, ...]) -> Box:
    return Box(max(0, box.x0 - margin), max(0, box.y0 - margin), min(int(shape[1]), box.x1 + margin),
               min(int(shape[0]), box.y1 + margin), box.score, box.confirmed)


# -- verifying -----------------------------------------------------------------------------------
def _verify(out: Dataset, forms: tuple[str, ...], policy: RedactionPolicy, lines: LineTextDetector,
            ocr: TesseractConfirmer, kept: list[Region], zone_mask: np.ndarray,
            cache: dict[bytes, str], beside: list[Region],
            only: set[int] | None = None, proven: codec.Decoded | None = None) -> list[tuple[Region, str]]:
    """Decode the re-encoded output; return the text it still shows (region, why), empty if clean.

    Every frame (or the frames in ``only``, whose pixels changed since the last check) is searched
    again with the same detection and whatever it finds outside the kept boxes is read by OCR: a
    reading that matches a header identifier is always left over; in ``publication`` so is any
    text not on the allow list. The strips ``beside`` the filled boxes that hold a glyph-sized
    piece are read too: a letter or digit there (not an allowed marker) is a remnant of a line the
    detector boxed only in part, left over even alone. ``proven`` is the output's pixels when the
    encoder already decoded them back and found them equal to what was written (lossless outputs).
    """
    decoded = proven if proven is not None else codec.decode_all(out)
    checked = [only is None or index in only for index in range(len(decoded.frames))]
    views = [_grey_views(frame, decoded.photometric, out) if check else []
             for frame, check in zip(decoded.frames, checked, strict=True)]
    kept_by_frame: dict[int, list[Box]] = {}
    for region in kept:
        kept_by_frame.setdefault(region.frame, []).append(region.box)

    def is_kept(index: int, box: Box) -> bool:
        return any(box.overlaps(k) for k in kept_by_frame.get(index, []))

    glyphs: list[list[np.ndarray]] = [[] for _ in views]
    searched = [_search(lines, frame_views, glyphs[index]) if check else ([], [])
                for index, (frame_views, check) in enumerate(zip(views, checked, strict=True))]
    left = [[b for b in boxes if not is_kept(index, b)] for index, (boxes, _) in enumerate(searched)]
    shorts = [[b for b in pairs if not is_kept(index, b)] for index, (_, pairs) in enumerate(searched)]
    strips = [r for r in beside if checked[r.frame] and not is_kept(r.frame, r.box)
              and _holds_glyph(r.box, glyphs[r.frame])]
    requests = {(index, box): ocr.min_confidence for index, boxes in enumerate(left) for box in boxes}
    requests.update({(index, box): WORD_CONFIDENCE for index, boxes in enumerate(shorts) for box in boxes})
    requests.update({(r.frame, r.box): WORD_CONFIDENCE for r in strips})
    texts = _read(ocr, views, requests, cache)
    leftovers: list[tuple[Region, str]] = []
    for index, boxes in enumerate(left):
        for box in boxes:
            text = texts.get((index, box), "")
            readable = sum(ch.isalnum() for ch in text) >= 2
            if forms and matches_identifier(text, forms):
                leftovers.append((Region.from_box(index, box), f"a header identifier is readable on frame {index}"))
            elif policy.level is Level.PUBLICATION and not (readable and is_allowed(text)) and (
                    box.score >= CONFIRM_BELOW or _confirms_weak(text, forms) or _in(zone_mask, box)):
                leftovers.append((Region.from_box(index, box), f"text remains on frame {index}"))
    for index, boxes in enumerate(shorts):
        for box in boxes:
            if _decide_short(texts.get((index, box)), forms, policy, _in(zone_mask, box)) == "redact":
                leftovers.append((Region.from_box(index, box), f"a short word remains on frame {index}"))
    for region in strips:
        text = texts.get((region.frame, region.box), "")
        if any(ch.isalnum() for ch in text) and (
                policy.level is Level.PUBLICATION and not is_allowed(text) or matches_identifier(text, forms)):
            leftovers.append((region, f"text beside a filled box on frame {region.frame}"))
    leftovers += _whole_frame_words(ocr, views, checked, forms, policy, is_kept)
    return leftovers


def _whole_frame_words(ocr: TesseractConfirmer, views: list[list[np.ndarray]], checked: list[bool],
                       forms: tuple[str, ...], policy: RedactionPolicy,
                       is_kept: Callable[[int, Box], bool]) -> list[tuple[Region, str]]:
    """A safety net under the detector: Tesseract reads the first, middle and last frames whole.

    The detector can miss a line (merged with neighbouring structure, too faint) or keep one on a
    garbled reading: a header identifier read anywhere outside the kept boxes is left over, and in
    ``publication`` so is any other word of three or more letters or digits read with high
    confidence. It costs about 50 ms of CPU per 512x512 frame read (Tesseract in process).
    """
    leftovers: list[tuple[Region, str]] = []
    for index in _frames.frames_to_check(len(views)):
        if not checked[index]:
            continue
        for box, text in ocr.read_words(views[index][0], WORD_CONFIDENCE):
            if is_kept(index, box):
                continue
            if forms and matches_identifier(text, forms):
                leftovers.append((Region.from_box(index, box), f"a header identifier is readable on frame {index}"))
            elif (policy.level is Level.PUBLICATION and box.score * 100 >= WHOLE_FRAME_CONFIDENCE
                    and sum(ch.isalnum() for ch in text) >= 3 and not is_allowed(text)):
                leftovers.append((Region.from_box(index, box), f"OCR still reads text on frame {index}"))
    return leftovers


def _holds_glyph(strip: Box, glyphs: list[np.ndarray]) -> bool:
    """True if a glyph-sized piece of the strip's line height lies mostly inside the strip.

    A remnant character is such a piece (the detector's contrast threshold and glyph-size rules);
    a strip holding none has nothing OCR could read as a character of that line, and is not read.
    """
    if not glyphs:
        return False
    pieces = np.concatenate(glyphs)
    x0, y0, x1, y1 = pieces[:, 0], pieces[:, 1], pieces[:, 2], pieces[:, 3]
    height = y1 - y0
    inside_x = np.minimum(x1, strip.x1) - np.maximum(x0, strip.x0)
    inside_y = np.minimum(y1, strip.y1) - np.maximum(y0, strip.y0)
    fits = (height >= 0.25 * strip.height) & (height <= strip.height)
    return bool(np.any(fits & (inside_x >= 0.5 * (x1 - x0)) & (inside_y >= 0.5 * height)))


def _strips(filled: list[Region], shape: tuple[int, ...]) -> list[Region]:
    """The strips left and right of each filled box, :data:`STRIP_WIDTH` box heights wide.

    They are taken from the boxes filled at detection only: a strip that is filled in its turn
    is not followed further along the line.
    """
    strips: list[Region] = []
    cols = int(shape[1])
    for region in filled:
        width = max(4, round(STRIP_WIDTH * region.box.height))
        for x0, x1 in ((max(0, region.x0 - width), region.x0), (region.x1, min(cols, region.x1 + width))):
            if x1 - x0 >= 4:
                strips.append(Region(region.frame, x0, region.y0, x1, region.y1))
    return strips


# -- graphics and preview --------------------------------------------------------------------------
def _clean_graphics(ds: Dataset) -> None:
    """Remove overlays (60xx), curves (50xx) and graphic annotations (PS3.15 Clean Graphics Option)."""
    for tag in list(ds.keys()):
        group = tag >> 16
        if (0x6000 <= group <= 0x60FF or 0x5000 <= group <= 0x50FF) and not group & 1:
            del ds[tag]
    if "GraphicAnnotationSequence" in ds:
        del ds.GraphicAnnotationSequence


def _record_options(ds: Dataset) -> None:
    """Add Clean Pixel Data and Clean Graphics (CID 7050) to a DeidentificationMethodCodeSequence.

    Only when the header engine already wrote the sequence: the pixels module does not decide
    whether a dataset is de-identified, it reports what it did to the pixels.
    """
    from pydicom.sr.codedict import codes

    items = ds.get("DeidentificationMethodCodeSequence")
    if items is None:
        return
    present = {str(item.get("CodeValue", "")) for item in items}
    for code in (codes.cid7050.CleanPixelDataOption, codes.cid7050.CleanGraphicsOption):
        if code.value in present:
            continue
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = (
            code.value, code.scheme_designator, code.meaning)
        items.append(item)


def _preview(views: list[list[np.ndarray]], cleaned: np.ndarray, decoded: codec.Decoded, ds: Dataset,
             regions: list[Region], zones: list[Box]) -> bytes | None:
    from medanon.pixels.preview import before_after_png

    counts = np.bincount([r.frame for r in regions], minlength=len(views)) if regions else np.zeros(1)
    index = int(np.argmax(counts))
    after = _grey_views(cleaned[index], decoded.photometric, ds)[0]
    boxes = [r.box for r in regions if r.frame == index]
    return before_after_png(views[index][0], after, boxes)
