"""``scrub``: the one free-text scrubber every part of medanon calls.

It finds identifiers (``patterns`` for shapes, ``names`` for people and
places), merges overlapping finds, and writes the text again in one of three
outputs (``Output``): tags (``[NAME]``, ``[DATE]``), removal, or keyed
surrogates for the limited-access profile.  Ages are never tagged: adult ages
are rounded to the nearest 5 years and ages of 90 and over written ``90+``
(the rule of ``medanon.core.ages``, shared with the DICOM engine).
"""

from __future__ import annotations

import re

from medanon.core.ages import AGE_TOP_CODE, round_age_years
from medanon.core.enum import Level
from medanon.core.errors import PolicyError
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.text.dates import shift_date_text
from medanon.text.model import Kind, Output, ScrubResult, Span
from medanon.text.names import find_names
from medanon.text.patterns import DETECTORS

MAX_TEXT_CHARS = 2_000_000
"""Longest text scrubbed; a longer one is refused (the caller quarantines it)."""

# Same-kind spans separated only by these characters are one identifier (John Smith, J. Smith).
_JOINABLE_GAP = re.compile(r"[ \t.,'-]{0,3}")
_WORD_IN_NAME = re.compile(r"[A-Za-z0-9'\u2019-]+")
_MERGED_KINDS = frozenset({Kind.NAME, Kind.LOCATION})


def scrub(
    text: str,
    profile: str | Policy | Level = Level.PUBLICATION,
    *,
    keys: KeyRing | None = None,
    patient_key: str = "",
    output: Output | str | None = None,
) -> ScrubResult:
    """Find every identifier in ``text`` and write it again without them.

    Parameters
    ----------
    text : str
        The free text (a note, a case description, a DICOM descriptor).
    profile : str | Policy | Level
        ``publication`` (RCR level 3; default output tags) or
        ``limited-access`` (RCR level 2; default output keyed surrogates).
    keys : KeyRing, optional
        The project key; needed for surrogates.
    patient_key : str
        What identifies the patient, as the DICOM engine derives it; surrogates
        and the date shift (``KeyRing.date_shift_days``) depend on it, so the
        same patient gets the same codes and the same shift everywhere.
    output : Output | str, optional
        ``tags``, ``remove`` or ``surrogates``; default from the profile.

    Returns
    -------
    ScrubResult
        The cleaned text and every span found, with offsets into ``text``.

    Raises
    ------
    PolicyError
        Surrogates without a key, or publication with surrogates (keyed codes
        keep data linkable, which publication forbids).
    ValueError
        ``text`` is not a ``str`` or is longer than `MAX_TEXT_CHARS`.
    """
    level = _level(profile)
    chosen = Output(output) if output is not None else (
        Output.SURROGATES if level is Level.LIMITED_ACCESS else Output.TAGS
    )
    if chosen is Output.SURROGATES and keys is None:
        raise PolicyError("keyed surrogates need the project key")
    if chosen is Output.SURROGATES and level is Level.PUBLICATION:
        raise PolicyError("publication does not allow keyed surrogates: use tags or remove")
    if not isinstance(text, str):
        raise ValueError("text must be a str")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text longer than {MAX_TEXT_CHARS} characters")
    spans = find_spans(text)
    writer = _Writer(chosen, keys, patient_key)
    return ScrubResult(text=writer.write(text, spans), spans=tuple(spans), profile=level.value, output=chosen)


def _level(profile: str | Policy | Level) -> Level:
    if isinstance(profile, Policy):
        return profile.level
    try:
        return Level(profile)
    except ValueError:
        raise PolicyError(f"unknown text profile {profile!r}: publication or limited-access") from None


def find_spans(text: str) -> list[Span]:
    """Every identifier span of ``text``, overlaps merged, in order."""
    found: list[Span] = []
    for detect in DETECTORS:
        found.extend(detect(text))
    found.extend(find_names(text))
    return _merge(text, found)


def _merge(text: str, spans: list[Span]) -> list[Span]:
    """Overlapping spans become one (the longer one's kind); an age inside another span goes with it."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start), s.kind is Kind.AGE)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end <= last.end:
                continue
            keep = span if last.kind is Kind.AGE else last
            merged[-1] = Span(last.start, span.end, keep.kind, keep.why)
            continue
        if (
            merged
            and merged[-1].kind is span.kind
            and span.kind in _MERGED_KINDS
            and _JOINABLE_GAP.fullmatch(text[merged[-1].end : span.start])
            and "\n" not in text[merged[-1].end : span.start]
        ):
            last = merged[-1]
            merged[-1] = Span(last.start, span.end, last.kind, last.why)
            continue
        merged.append(span)
    return merged


class _Writer:
    """Writes the text again with each span replaced as the output asks."""

    def __init__(self, output: Output, keys: KeyRing | None, patient_key: str) -> None:
        self.output = output
        self.keys = keys
        self.patient_key = patient_key
        self.shift_days = keys.date_shift_days(patient_key) if keys is not None else 0

    def write(self, text: str, spans: list[Span]) -> str:
        parts: list[str] = []
        position = 0
        for span in spans:
            parts.append(text[position : span.start])
            parts.append(self.replacement(text[span.start : span.end], span))
            position = span.end
        parts.append(text[position:])
        return "".join(parts)

    def replacement(self, value: str, span: Span) -> str:
        if span.kind is Kind.AGE:
            return age_text(int(value))
        if self.output is Output.REMOVE:
            return ""
        if self.output is Output.TAGS:
            return f"[{span.kind.value}]"
        if span.kind is Kind.DATE:
            return shift_date_text(value, self.shift_days) or f"[{span.kind.value}]"
        if span.kind is Kind.NAME:
            # One code per word, so "Smith" alone and "John Smith" share Smith's code.
            return _WORD_IN_NAME.sub(lambda m: self.code(Kind.NAME, m.group()), value)
        return self.code(span.kind, value)

    def code(self, kind: Kind, value: str) -> str:
        assert self.keys is not None
        normal = re.sub(r"[^a-z0-9]", "", value.lower())
        pseudonym = self.keys.pseudonym(f"text:{kind.value}", f"{self.patient_key}\x00{normal}", length=8)
        return f"[{kind.value}-{pseudonym.split('-', 1)[1]}]"


def age_text(years: int) -> str:
    """An age in years as written after scrubbing: rounded to 5, ``90+`` for 90 and over."""
    if years >= AGE_TOP_CODE:
        return f"{AGE_TOP_CODE}+"
    return str(round_age_years(years))
