"""Typed records of the burnt-in text screen: boxes, regions and the outcome of one screening.

A :class:`Box` is what a :class:`~medanon.pixels.base.TextDetector` returns for one frame; a
:class:`Region` is a box placed on a frame of a dataset; a :class:`Screening` is the whole answer
for one dataset. All three refuse contradictions when created (STYLE.md section 4), so a record that
exists is valid. None of them holds pixel values or recognised text: a screening may be logged.
"""

from __future__ import annotations

from dataclasses import dataclass


def _check_box(x0: int, y0: int, x1: int, y1: int, score: float) -> None:
    for name, value in (("x0", x0), ("y0", y0), ("x1", x1), ("y1", y1)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if x0 < 0 or y0 < 0:
        raise ValueError(f"box ({x0}, {y0}, {x1}, {y1}) starts outside the frame")
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box ({x0}, {y0}, {x1}, {y1}) is empty: need x1 > x0 and y1 > y0")
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score {score!r} is outside [0, 1]")


@dataclass(frozen=True)
class Box:
    """A text-like area of one frame, in pixels, end-exclusive: columns x0..x1-1, rows y0..y1-1.

    ``score`` is the detector's confidence in [0, 1]; ``confirmed`` says that a second, independent
    detector (e.g. OCR) agreed. The screen treats any box as text; scores only order the work.

    Raises
    ------
    TypeError
        If a coordinate is not an ``int``.
    ValueError
        If the box is empty (``x1 <= x0`` or ``y1 <= y0``), starts at a negative coordinate, or the
        score is outside [0, 1].
    """

    x0: int
    y0: int
    x1: int
    y1: int
    score: float = 1.0
    confirmed: bool = False

    def __post_init__(self) -> None:
        _check_box(self.x0, self.y0, self.x1, self.y1, self.score)

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def overlaps(self, other: Box, margin: int = 0) -> bool:
        """True if the two boxes share a pixel once each is grown by ``margin`` pixels."""
        return (
            self.x0 - margin < other.x1 + margin
            and other.x0 - margin < self.x1 + margin
            and self.y0 - margin < other.y1 + margin
            and other.y0 - margin < self.y1 + margin
        )

    def union(self, other: Box) -> Box:
        """The smallest box holding both; it keeps the higher score and is confirmed if either is."""
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
            max(self.score, other.score),
            self.confirmed or other.confirmed,
        )


@dataclass(frozen=True)
class Region:
    """A box on frame ``frame`` (0-based) of a dataset's pixel data that may hold burnt-in text.

    Raises
    ------
    TypeError, ValueError
        As :class:`Box`, and if ``frame`` is negative.
    """

    frame: int
    x0: int
    y0: int
    x1: int
    y1: int
    score: float = 1.0
    confirmed: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.frame, bool) or not isinstance(self.frame, int) or self.frame < 0:
            raise ValueError(f"frame must be a non-negative int, not {self.frame!r}")
        _check_box(self.x0, self.y0, self.x1, self.y1, self.score)

    @classmethod
    def from_box(cls, frame: int, box: Box) -> Region:
        return cls(frame, box.x0, box.y0, box.x1, box.y1, box.score, box.confirmed)

    @property
    def box(self) -> Box:
        return Box(self.x0, self.y0, self.x1, self.y1, self.score, self.confirmed)


@dataclass(frozen=True)
class Screening:
    """The answer of :func:`~medanon.pixels.screen_for_text` for one dataset.

    ``regions`` lists every text-like area found; ``frames_checked`` the 0-based frames decoded and
    searched; ``error`` why the pixels could not be screened (decoding failed, no detector ran), in
    which case the caller must quarantine (DESIGN.md "Fail closed"); regions found on frames decoded
before the failure are kept, for the report. ``detectors`` names the
    detectors that ran, in order; ``notes`` explain choices that made the screen more conservative
    (e.g. OCR unavailable). Neither holds patient data.

    Raises
    ------
    ValueError
        If ``error`` is an empty string, or a region lies on a frame that was not checked.
    """

    regions: tuple[Region, ...] = ()
    frames_checked: tuple[int, ...] = ()
    error: str | None = None
    detectors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.error is not None and not self.error:
            raise ValueError("error must be None or a non-empty reason")
        checked = set(self.frames_checked)
        for region in self.regions:
            if region.frame not in checked:
                raise ValueError(f"region on frame {region.frame}, which was not checked")

    @property
    def found_text(self) -> bool:
        """True if any region was found."""
        return bool(self.regions)

    @property
    def clean(self) -> bool:
        """True only if the pixels were screened and nothing text-like was found.

        Anything else (text found, or the screen could not run) means the item may not be
        released as it is.
        """
        return self.error is None and not self.regions and bool(self.frames_checked)
