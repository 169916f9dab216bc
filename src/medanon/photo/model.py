"""Typed records of the photo engine: face boxes and the outcome of cleaning one photograph.

A :class:`FaceBox` is what a :class:`~medanon.photo.faces.base.FaceDetector` returns; it refuses
an empty or negative box when created (STYLE.md section 4). No record holds pixels of a face or any
metadata value of the input, so every record may be written to a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FaceBox:
    """A face in pixel coordinates of the image it was found in, end-exclusive.

    Columns ``x0..x1-1`` and rows ``y0..y1-1``; ``score`` is the detector's confidence in [0, 1]
    and ``detector`` its registry label. A detector clips its boxes to the frame, so a face cut by
    the border gives the visible part.

    Raises
    ------
    TypeError
        If a coordinate is not an ``int``.
    ValueError
        If the box is empty, starts at a negative coordinate, or the score is outside [0, 1].
    """

    x0: int
    y0: int
    x1: int
    y1: int
    score: float = 1.0
    detector: str = ""

    def __post_init__(self) -> None:
        for name in ("x0", "y0", "x1", "y1"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if self.x0 < 0 or self.y0 < 0:
            raise ValueError(f"face box {self.as_tuple()} starts outside the image")
        if self.x1 <= self.x0 or self.y1 <= self.y0:
            raise ValueError(f"face box {self.as_tuple()} is empty")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score!r} is outside [0, 1]")

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)

    def intersection(self, other: FaceBox) -> int:
        """Pixels the two boxes share."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(0, w) * max(0, h)

    def iou(self, other: FaceBox) -> float:
        """Intersection over union, 0 for disjoint boxes."""
        shared = self.intersection(other)
        union = self.width * self.height + other.width * other.height - shared
        return shared / union if union else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"box": list(self.as_tuple()), "score": round(self.score, 3), "detector": self.detector}

    @classmethod
    def clipped(cls, x0: float, y0: float, x1: float, y1: float, width: int, height: int,
                score: float = 1.0, detector: str = "") -> FaceBox | None:
        """A box from float coordinates clipped to a ``width`` x ``height`` image; ``None`` if nothing is left."""
        left, top = max(0, int(x0)), max(0, int(y0))
        right, bottom = min(width, int(round(x1 + 0.4999))), min(height, int(round(y1 + 0.4999)))
        if right <= left or bottom <= top:
            return None
        return cls(left, top, right, bottom, float(min(1.0, max(0.0, score))), detector)


@dataclass
class PhotoOutcome:
    """What the photo engine did to one photograph (no pixels, no metadata values).

    ``faces`` are the detections on the input; ``obscured`` the whole-face regions filled;
    ``residual`` detections on the written output that survived every re-obscuring round (any
    means the photo must not be released); ``metadata_removed`` the kinds of metadata the input
    carried, by category; ``review`` what a person should still look at; ``min_face`` the smallest
    face width (pixels) the scan was set to find.
    """

    output_format: str
    size: tuple[int, int]
    faces: list[FaceBox] = field(default_factory=list)
    obscured: list[FaceBox] = field(default_factory=list)
    residual: list[FaceBox] = field(default_factory=list)
    metadata_removed: list[str] = field(default_factory=list)
    orientation_applied: int = 1
    detectors: tuple[str, ...] = ()
    consent: str | None = None
    review: list[str] = field(default_factory=list)
    text_regions: int = 0
    min_face: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_format": self.output_format,
            "size": list(self.size),
            "faces": [f.to_dict() for f in self.faces],
            "obscured": [f.to_dict() for f in self.obscured],
            "residual": [f.to_dict() for f in self.residual],
            "metadata_removed": list(self.metadata_removed),
            "orientation_applied": self.orientation_applied,
            "detectors": list(self.detectors),
            "consent": self.consent,
            "text_regions": self.text_regions,
            "min_face": self.min_face,
        }
