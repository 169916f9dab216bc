"""Typed records of the free-text scrubber: what was found, where and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """Kinds of identifier the scrubber finds (DESIGN.md "Identifiers"); the value is the tag's word."""

    NAME = "NAME"
    DATE = "DATE"
    AGE = "AGE"
    LOCATION = "LOCATION"
    POSTCODE = "POSTCODE"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    URL = "URL"
    IP = "IP"
    ID = "ID"
    DEVICE = "DEVICE"
    VEHICLE = "VEHICLE"


class Output(str, Enum):
    """How a found span is written: a tag, nothing, or a keyed surrogate."""

    TAGS = "tags"
    REMOVE = "remove"
    SURROGATES = "surrogates"


@dataclass(frozen=True)
class Span:
    """One identifier in the *input* text: ``text[start:end]``, its kind, and the rule that found it.

    ``why`` names the rule (``"title Dr before a name"``), never the value.
    """

    start: int
    end: int
    kind: Kind
    why: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"a span needs 0 <= start < end, not {self.start}..{self.end}")

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "kind": self.kind.value, "why": self.why}


@dataclass(frozen=True)
class ScrubResult:
    """The cleaned text and every span found in the input (offsets into the input)."""

    text: str
    spans: tuple[Span, ...]
    profile: str
    output: Output

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "profile": self.profile,
            "output": self.output.value,
            "spans": [s.to_dict() for s in self.spans],
        }
